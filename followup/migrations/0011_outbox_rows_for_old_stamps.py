"""Every email is now an outbox row: give the emails the old stamps recorded their rows.

- A booking's ``confirmation_sent_at`` / ``cancellation_sent_at`` without an outbox row (made
  by seeding or before the outbox sent booking emails) becomes a ``sent`` row at that time.
- A refund or a fee decision the patient was told about (``patient_told_at``) becomes a
  ``sent`` row; one not yet told becomes a ``pending`` row if it happened in the last week
  (the outbox sends it), else an ``expired`` row that says why it never went.

The stamps themselves are removed by booking 0004 and payments 0003, which run after this.
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

RECENT = timedelta(days=7)
TOO_LATE = "Decided before these emails went through the outbox; not sent late."


def _row(OutboxMessage, **fields):
    key = {"kind": fields["kind"], "extra": fields.get("extra", "")}
    if fields.get("booking_id") is not None:
        key["booking_id"] = fields["booking_id"]
    else:
        key["recipient_id"] = fields["recipient_id"]
        key["booking__isnull"] = True
    if not OutboxMessage.objects.filter(**key).exists():
        OutboxMessage.objects.create(**fields)


def forwards(apps, schema_editor):
    OutboxMessage = apps.get_model("followup", "OutboxMessage")
    Booking = apps.get_model("booking", "Booking")
    Refund = apps.get_model("payments", "Refund")
    FeeReduction = apps.get_model("payments", "FeeReduction")
    now = timezone.now()

    for kind, stamp in (
        ("booking_confirmed", "confirmation_sent_at"),
        ("booking_cancelled", "cancellation_sent_at"),
    ):
        for booking in Booking.objects.filter(**{f"{stamp}__isnull": False}).iterator():
            at = getattr(booking, stamp)
            _row(
                OutboxMessage,
                kind=kind,
                recipient_id=booking.patient_id,
                booking_id=booking.pk,
                status="sent",
                due_at=at,
                sent_at=at,
            )

    for refund in Refund.objects.filter(status="succeeded").select_related("payment"):
        payment = refund.payment
        done = refund.patient_told_at or refund.completed_at or refund.created_at
        if refund.patient_told_at is not None:
            status = {"status": "sent", "sent_at": refund.patient_told_at}
        elif done >= now - RECENT:
            status = {"status": "pending"}
        else:
            status = {"status": "expired", "last_error": TOO_LATE}
        _row(
            OutboxMessage,
            kind="payment_refunded",
            recipient_id=payment.patient_id,
            booking_id=payment.booking_id,
            extra=f"refund:{refund.pk}",
            due_at=now if status["status"] == "pending" else done,
            context={
                "amount_minor": refund.amount_minor,
                "currency": payment.currency,
                "place_gone": refund.reason == "place_gone",
            },
            **status,
        )

    for reduction in FeeReduction.objects.filter(status__in=["approved", "declined"]):
        done = reduction.patient_told_at or reduction.decided_at or reduction.created_at
        if reduction.patient_told_at is not None:
            status = {"status": "sent", "sent_at": reduction.patient_told_at}
        elif done >= now - RECENT:
            status = {"status": "pending"}
        else:
            status = {"status": "expired", "last_error": TOO_LATE}
        _row(
            OutboxMessage,
            kind=f"fee_reduction_{reduction.status}",
            recipient_id=reduction.patient_id,
            booking_id=None,
            extra=f"fee_reduction:{reduction.pk}",
            due_at=now if status["status"] == "pending" else done,
            context={
                "floor_minor": reduction.floor_minor,
                "ends_on": reduction.ends_on.isoformat() if reduction.ends_on else "",
                "reply": reduction.reply or "",
            },
            **status,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("followup", "0010_outbox_context_and_payment_kinds"),
        ("booking", "0006_practitioner_profile"),
        ("payments", "0002_encrypt_free_text"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
