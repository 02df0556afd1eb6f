"""Health data at rest: the raw columns hold Fernet tokens, and keys rotate."""

import pytest
from cryptography.fernet import Fernet
from django.db import connection
from django.test import override_settings

from intake.models import DiaryEntry, IntakeResponse
from portal.crypto import reencrypt
from tests.intake.factories import DiaryEntryFactory, IntakeResponseFactory, full_answers

pytestmark = pytest.mark.django_db


def raw_column(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def test_answers_and_diary_notes_are_not_stored_in_plain_text(patient) -> None:
    response = IntakeResponseFactory.create(
        patient=patient,
        answers=full_answers(medication="Warfarin 5mg daily", complaint="Sciatica after fall"),
    )
    entry = DiaryEntryFactory.create(patient=patient, note="Flare after gardening, took tramadol")
    stored_answers = raw_column("intake_intakeresponse", "answers", response.pk)
    stored_note = raw_column("intake_diaryentry", "note", entry.pk)
    for secret in ("Warfarin", "Sciatica", "complaint", "pain_now"):
        assert secret not in stored_answers
    assert "tramadol" not in stored_note and "gardening" not in stored_note
    assert stored_answers.startswith("gAAAA") and stored_note.startswith("gAAAA")
    # And reading through the model gives the plain values back.
    assert IntakeResponse.objects.get(pk=response.pk).answers["medication"] == "Warfarin 5mg daily"
    assert DiaryEntry.objects.get(pk=entry.pk).note == "Flare after gardening, took tramadol"


def test_rotating_the_key_rewrites_rows_so_the_old_key_can_go(patient) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[old]):
        response = IntakeResponseFactory.create(patient=patient, answers=full_answers(hopes="walk"))
        entry = DiaryEntryFactory.create(patient=patient, note="slept badly")
        before = raw_column("intake_intakeresponse", "answers", response.pk)
    with override_settings(FIELD_ENCRYPTION_KEYS=[new, old]):
        assert IntakeResponse.objects.get(pk=response.pk).answers["hopes"] == "walk"
        assert reencrypt(IntakeResponse.objects.all(), ["answers"]) == 1
        assert reencrypt(DiaryEntry.objects.all(), ["note", "tags"]) == 1
        assert raw_column("intake_intakeresponse", "answers", response.pk) != before
    with override_settings(FIELD_ENCRYPTION_KEYS=[new]):
        assert IntakeResponse.objects.get(pk=response.pk).answers["hopes"] == "walk"
        assert DiaryEntry.objects.get(pk=entry.pk).note == "slept badly"


def test_pain_outside_0_to_10_is_refused_by_the_database(patient) -> None:
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        DiaryEntryFactory.create(patient=patient, pain=11)
