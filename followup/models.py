"""Messages around a visit: the outbox every email goes through, and check-ins.

The outbox is the source of truth for "was this sent?": one row per (kind, booking or
recipient, extra), unique, so planning twice or a duplicated task cannot make a second
message. Workers claim a row with a conditional UPDATE before sending it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from portal.crypto import EncryptedJSONField

# The kinds live beside ``portal.messaging.outbox_put`` so every app can name them.
from portal.messaging import GUIDANCE_KINDS as GUIDANCE_KINDS
from portal.messaging import URGENT_KINDS as URGENT_KINDS
from portal.messaging import MessageKind as MessageKind


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    HELD = "held", "Held for quiet hours"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"
    # Too late to be useful (``followup.backlog.USEFUL_LIFE``), or replaced by a newer message.
    EXPIRED = "expired", "Expired"


# Rows a worker may still pick up (the partial index below covers exactly these).
WAITING_STATUSES = (OutboxStatus.PENDING, OutboxStatus.HELD)


class OutboxMessage(models.Model):
    kind = models.CharField(max_length=30, choices=MessageKind.choices)
    # Who gets it: the patient, or the practitioner for alerts.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="outbox_messages"
    )
    booking = models.ForeignKey(
        "booking.Booking",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="outbox_messages",
    )
    # Tells apart messages of one kind for the same key, e.g. an alert id or a digest date.
    extra = models.CharField(max_length=60, blank=True, default="")
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    due_at = models.DateTimeField()
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    # When the beat last put it on the broker; a row whose task was lost is put on again later.
    enqueued_at = models.DateTimeField(null=True, blank=True)
    # When a worker claimed it; a claim older than the lease belongs to a worker that died.
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=200, blank=True)
    # What the template needs beyond the recipient and the booking, given by the app that put
    # the message (a refund's amount, a fee decision's reply); encrypted, it may quote the team.
    context: Any = EncryptedJSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-due_at"]
        verbose_name = "outbox message"
        constraints: ClassVar = [
            # One message per (kind, booking, extra); patient-level ones per (kind, recipient,
            # extra). Two partial constraints because NULL bookings never collide in a unique
            # index.
            models.UniqueConstraint(
                fields=["kind", "booking", "extra"],
                condition=Q(booking__isnull=False),
                name="outbox_once_per_booking",
            ),
            models.UniqueConstraint(
                fields=["kind", "recipient", "extra"],
                condition=Q(booking__isnull=True),
                name="outbox_once_per_recipient",
            ),
            # One piece of guidance per visit, whichever kind: its kind follows the treatment
            # number, which a cancelled earlier visit can change between two planners.
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(kind__in=["pre_visit", "first_visit"]),
                name="outbox_one_guidance_per_visit",
            ),
        ]
        indexes: ClassVar = [
            # What the every-minute dispatcher scans: waiting rows by due time. Sent rows
            # (nearly all of the table) stay out of the index.
            models.Index(
                fields=["due_at"], condition=Q(status__in=["pending", "held"]), name="outbox_due"
            ),
            # Claims that outlived their lease (a worker killed mid-send).
            models.Index(
                fields=["claimed_at"], condition=Q(status="sending"), name="outbox_sending"
            ),
            models.Index(fields=["recipient", "-due_at"], name="outbox_recipient"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient_id} ({self.get_status_display()})"

    @property
    def is_urgent(self) -> bool:
        return self.kind in URGENT_KINDS


class CheckInStage(models.TextChoices):
    CHECKIN = "checkin", "48-hour check-in"
    RECHECK = "recheck", "Re-check"


class CheckIn(models.Model):
    """A patient's answer to a check-in about one visit; answers are encrypted at rest."""

    booking = models.ForeignKey("booking.Booking", on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkins"
    )
    stage = models.CharField(max_length=10, choices=CheckInStage.choices)
    # Which treatment of the patient's this visit was (1 = their first).
    treatment_number = models.PositiveIntegerField()
    answers: Any = EncryptedJSONField()
    # What the rules decided and the patient was told (rule names, advice shown).
    outcome: Any = EncryptedJSONField(default=dict)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-submitted_at"]
        constraints: ClassVar = [
            # Answering twice (two tabs, a reused link) cannot write twice.
            models.UniqueConstraint(fields=["booking", "stage"], name="one_answer_per_stage"),
        ]
        indexes: ClassVar = [models.Index(fields=["patient", "-submitted_at"], name="checkin_pt")]

    def __str__(self) -> str:
        return f"{self.get_stage_display()} for booking {self.booking_id}"
