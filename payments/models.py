"""Money records: online payments and their refunds, Stripe events seen, private fee reductions,
and payments taken at the clinic."""

from __future__ import annotations

import uuid
from datetime import date
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from booking.models import Booking
from portal.crypto import EncryptedTextField
from portal.models import Clinic


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Waiting for payment"
    SUCCEEDED = "succeeded", "Paid"
    CANCELED = "canceled", "Not taken (hold ended)"
    REFUNDED = "refunded", "Refunded"
    PARTLY_REFUNDED = "partly_refunded", "Partly refunded"


# The money came in (whatever has been refunded since).
PAID_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTLY_REFUNDED, PaymentStatus.REFUNDED)


class Payment(models.Model):
    """One online payment (a Stripe PaymentIntent) for one held booking."""

    # One payment per booking, by constraint: a second payment for the same booking is refused.
    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="payment")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="payments")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments"
    )
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=20, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    # Sent with the create call, so a retried request can never make a second intent.
    idempotency_key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    stripe_payment_intent_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    # Lets the patient's browser confirm the card; Stripe scopes it to this one intent.
    client_secret = models.CharField(max_length=255, blank=True)
    refunded_minor = models.PositiveIntegerField(default=0)
    failure_message = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    canceled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(refunded_minor__lte=models.F("amount_minor")),
                name="payment_refund_within_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} for booking {self.booking_id} ({self.get_status_display()})"

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES

    @property
    def refundable_minor(self) -> int:
        return self.amount_minor - self.refunded_minor if self.is_paid else 0

    @property
    def net_minor(self) -> int:
        return self.amount_minor - self.refunded_minor

    @property
    def receipt_number(self) -> str:
        return f"R-{self.created_at:%Y}-{self.pk:06d}"


class RefundReason(models.TextChoices):
    CANCELLED = "cancelled", "Visit cancelled"
    LATE_CANCELLED = "late_cancelled", "Visit cancelled after the cutoff"
    PLACE_GONE = "place_gone", "Paid after the hold ended; the place was taken"
    STAFF = "staff", "Refunded by the clinic"


class RefundStatus(models.TextChoices):
    PENDING = "pending", "Being sent"
    SUCCEEDED = "succeeded", "Refunded"
    FAILED = "failed", "Failed"


class Refund(models.Model):
    """Money sent back for a payment; written before Stripe is called, with its own key."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.PositiveIntegerField()
    reason = models.CharField(max_length=20, choices=RefundReason.choices)
    status = models.CharField(
        max_length=10, choices=RefundStatus.choices, default=RefundStatus.PENDING
    )
    idempotency_key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    stripe_refund_id = models.CharField(max_length=255, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at"]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_positive"),
        ]
        indexes: ClassVar = [
            # The retry sweep looks only for refunds still being sent.
            models.Index(
                fields=["created_at"], condition=Q(status="pending"), name="refund_pending"
            ),
        ]

    def __str__(self) -> str:
        return f"Refund {self.pk} of payment {self.payment_id}"


class StripeEvent(models.Model):
    """A webhook event, recorded once: the unique id makes a replay or a duplicate a no-op."""

    event_id = models.CharField(max_length=255, unique=True)
    type = models.CharField(max_length=100)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    handled = models.BooleanField(default=False, help_text="False for types the portal ignores.")

    class Meta:
        ordering: ClassVar = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class FeeReductionStatus(models.TextChoices):
    PENDING = "pending", "Waiting for a reply"
    APPROVED = "approved", "Approved"
    DECLINED = "declined", "Declined"


class FeeReduction(models.Model):
    """A patient's private request for a lower fee, and the clinic's answer (their own floor)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="fee_reductions")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="fee_reductions"
    )
    # The patient's circumstances and the clinic's reply: encrypted like health data.
    reason = EncryptedTextField(blank=True)
    status = models.CharField(
        max_length=10, choices=FeeReductionStatus.choices, default=FeeReductionStatus.PENDING
    )
    floor_minor = models.PositiveIntegerField(
        null=True, blank=True, help_text="The lowest amount this patient pays, once approved."
    )
    ends_on = models.DateField(null=True, blank=True, help_text="Blank: until changed.")
    reply = EncryptedTextField(blank=True, help_text="A kind note to the patient.")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            # One open request at a time: a double submit or a second tab finds the first.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status="pending"),
                name="one_pending_fee_reduction",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(floor_minor__isnull=False),
                name="approved_reduction_has_floor",
            ),
        ]

    def __str__(self) -> str:
        return f"Fee reduction for {self.patient} ({self.get_status_display()})"

    def is_current(self, today: date) -> bool:
        return self.status == FeeReductionStatus.APPROVED and (
            self.ends_on is None or self.ends_on >= today
        )


class TakenBy(models.TextChoices):
    CARD = "card", "Card machine"
    CASH = "cash", "Cash"
    OTHER = "other", "Other (bank transfer, voucher)"


class ClinicPayment(models.Model):
    """Money taken at the clinic for one visit booked to pay there, as the team recorded it."""

    # One per visit, by constraint: a second tab or a double click finds the first.
    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="clinic_payment")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="clinic_payments")
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    method = models.CharField(max_length=10, choices=TakenBy.choices)
    taken_at = models.DateTimeField()
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["-taken_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="clinic_payment_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"Taken at the clinic for booking {self.booking_id}"
