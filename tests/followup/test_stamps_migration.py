"""followup 0008: the old "sent" stamps become outbox rows before booking 0004 and payments 0003
drop them, so staff's outbox shows what went and the new path sends nothing twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from booking.models import Booking, Service
from followup.models import MessageKind, OutboxMessage, OutboxStatus
from payments.models import FeeReduction, Payment, Refund
from portal.models import Clinic, User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import local
from tests.followup.conftest import book

BEFORE = [
    ("followup", "0010_outbox_context_and_payment_kinds"),
    ("booking", "0006_practitioner_profile"),
    ("payments", "0002_encrypt_free_text"),
]


@pytest.mark.django_db(transaction=True)
def test_old_stamps_become_outbox_rows(
    clinic: Clinic, private: Service, patient: User, other_patient: User
) -> None:
    now = timezone.now()
    told = book(patient, private, local(WED, 9), now=NOW)
    untold = book(other_patient, private, local(WED, 11), now=NOW)
    payment = Payment.objects.create(
        booking=told, clinic=clinic, patient=patient, amount_minor=5000, currency="GBP"
    )
    refund = Refund.objects.create(
        payment=payment, amount_minor=5000, reason="cancelled", status="succeeded"
    )
    recent = FeeReduction.objects.create(
        clinic=clinic, patient=other_patient, status="declined", decided_at=now, reply="Sorry"
    )
    old = FeeReduction.objects.create(
        clinic=clinic, patient=patient, status="declined", decided_at=now - timedelta(days=30)
    )
    OutboxMessage.objects.all().delete()
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        state = executor.loader.project_state(BEFORE).apps
        state.get_model("booking", "Booking").objects.filter(pk=told.pk).update(
            confirmation_sent_at=now - timedelta(days=1), cancellation_sent_at=None
        )
        state.get_model("payments", "Refund").objects.filter(pk=refund.pk).update(
            patient_told_at=now - timedelta(hours=1)
        )
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    finally:
        MigrationExecutor(connection).migrate(
            MigrationExecutor(connection).loader.graph.leaf_nodes()
        )

    rows = {(r.kind, r.booking_id, r.recipient_id): r for r in OutboxMessage.objects.all()}
    confirmation = rows[(MessageKind.BOOKING_CONFIRMED, told.pk, patient.pk)]
    assert confirmation.status == OutboxStatus.SENT
    assert not any(key[1] == untold.pk for key in rows), "no stamp, no row invented"
    refunded = rows[(MessageKind.PAYMENT_REFUNDED, told.pk, patient.pk)]
    assert (refunded.status, refunded.extra) == (OutboxStatus.SENT, f"refund:{refund.pk}")
    assert refunded.context == {"amount_minor": 5000, "currency": "GBP", "place_gone": False}
    waiting = rows[(MessageKind.FEE_REDUCTION_DECLINED, None, other_patient.pk)]
    assert waiting.status == OutboxStatus.PENDING  # decided this week, never told: sent now
    assert waiting.extra == f"fee_reduction:{recent.pk}" and waiting.context["reply"] == "Sorry"
    too_late = rows[(MessageKind.FEE_REDUCTION_DECLINED, None, patient.pk)]
    assert too_late.status == OutboxStatus.EXPIRED and too_late.extra == f"fee_reduction:{old.pk}"
    assert Booking.objects.filter(pk=told.pk).exists()
