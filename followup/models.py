"""Messages around a visit: the outbox every follow-up email goes through, and check-ins.

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


class MessageKind(models.TextChoices):
    BOOKING_CONFIRMED = "booking_confirmed", "Booking confirmation"
    BOOKING_CANCELLED = "booking_cancelled", "Cancellation"
    BOOKING_MOVED = "booking_moved", "Visit moved"
    PRE_VISIT = "pre_visit", "Pre-visit guidance"
    FIRST_VISIT = "first_visit", "First-visit guidance"
    CHECKIN = "checkin", "48-hour check-in"
    CHECKIN_CHASER = "checkin_chaser", "Check-in reminder"
    RECHECK = "recheck", "Day-5 re-check"
    URGENT_ADVICE = "urgent_advice", "Urgent care advice"
    INTAKE_ADVICE = "intake_advice", "Advice after the health questionnaire"
    ALERT_URGENT = "alert_urgent", "Emergency or urgent alert (team)"
    ALERT_CHASE = "alert_chase", "Alert not acknowledged: sent again (team and owner)"
    ALERT_DIGEST = "alert_digest", "Daily alert digest (practitioner)"
    TREATMENT_HOLD = "treatment_hold", "Treatment on hold until a practitioner has talked with you"
    DATA_EXPORT = "data_export", "Your data is ready to download"
    TEAM_INVITATION = "team_invitation", "New team account: choose your password"
    WAITLIST_OFFER = "waitlist_offer", "A place from the waiting list"


# Sent whatever the hour: a red flag or the confirmation of something just done.
URGENT_KINDS = frozenset(
    {
        MessageKind.BOOKING_CONFIRMED,
        MessageKind.BOOKING_CANCELLED,
        MessageKind.BOOKING_MOVED,
        MessageKind.URGENT_ADVICE,
        MessageKind.INTAKE_ADVICE,
        MessageKind.ALERT_URGENT,
        MessageKind.ALERT_CHASE,
        # The answer to something the patient just asked for, with a link that lapses.
        MessageKind.DATA_EXPORT,
        # The owner just added this person and is waiting for them to sign in.
        MessageKind.TEAM_INVITATION,
        # A held place that lapses in hours: waiting for the morning would waste it.
        MessageKind.WAITLIST_OFFER,
    }
)


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
