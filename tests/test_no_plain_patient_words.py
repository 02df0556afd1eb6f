"""Nothing a patient (or the team about a patient) writes sits in plain text in the database.

Every service that stores free text is given a marker, then every column of every table of
the raw PostgreSQL database is searched for it: a new field that stores patient words in
plain text fails here without anyone listing it.
"""

from __future__ import annotations

import pytest
from django.db import connection

from intake.breakglass import grant_see_anyway
from intake.diary_entries import diary_add
from intake.models import AlertLevel, FlagKind
from intake.services import alert_raise, flag_clear, flag_raise
from payments.fee_reductions import fee_reduction_decline, fee_reduction_request
from portal.models import Clinic, User

pytestmark = pytest.mark.django_db

MARKER = "Qwzx marker of patient words 7431"
# A diary tag is a fixed word, but which ones a patient ticks is health data too.
TAG = "medication"


def tables_and_columns() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        return [
            (table, column.name)
            for table in connection.introspection.table_names(cursor)
            for column in connection.introspection.get_table_description(cursor, table)
        ]


def columns_holding(text: str) -> list[str]:
    """Every ``table.column`` whose raw value, as text, contains ``text``."""
    found = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in tables_and_columns():
            cursor.execute(
                f"SELECT 1 FROM {quote(table)} WHERE CAST({quote(column)} AS text) LIKE %s LIMIT 1",  # noqa: S608
                [f"%{text}%"],
            )
            if cursor.fetchone():
                found.append(f"{table}.{column}")
    return found


def test_patient_words_are_never_stored_in_plain_text(
    clinic: Clinic, patient: User, practitioner: User
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the raw scan reads PostgreSQL's catalogue")
    alert, _ = alert_raise(
        patient=patient, level=AlertLevel.TODAY, kind="k", source_key="scan", summary=MARKER
    )
    flag, _ = flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason=MARKER)
    flag_clear(flag=flag, by=practitioner, note=MARKER)
    diary_add(patient=patient, pain=4, note=MARKER, tags=[TAG])
    grant_see_anyway(viewer=practitioner, patient=patient, reason=MARKER)
    reduction = fee_reduction_request(patient=patient, clinic=clinic, reason=MARKER)
    fee_reduction_decline(reduction=reduction, by=practitioner, reply=MARKER)

    # The scan can fail: the patient's email is stored plain on purpose (it is how they sign
    # in), and it is found.
    assert "portal_user.email" in columns_holding(patient.email)
    assert columns_holding(MARKER) == []
    assert [c for c in columns_holding(TAG) if c.startswith("intake_diaryentry")] == []
    # And everything reads back.
    alert.refresh_from_db()
    assert alert.summary == MARKER


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_what_was_stored_plain(clinic: Clinic, patient: User) -> None:
    from django.db.migrations.executor import MigrationExecutor

    from payments.models import FeeReduction

    before = [("payments", "0001_payments_refunds_events_fee_reductions")]
    after = [("payments", "0002_encrypt_free_text")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps.get_model("payments", "FeeReduction")
        row = old.objects.create(
            clinic_id=clinic.pk, patient_id=patient.pk, reason=MARKER, reply="Of course"
        )
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(after)
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )
    assert columns_holding(MARKER) == []
    reduction = FeeReduction.objects.get(pk=row.pk)
    assert (reduction.reason, reduction.reply) == (MARKER, "Of course")
