"""Paying for bookings: checkout, online payments, hold expiry, refunds.

The booking state changes themselves (hold, confirm, expire, cancel) are ``booking.services``
functions; this module orchestrates them with Stripe. The rule throughout: a database
transaction never waits on Stripe. A hold is committed before its PaymentIntent is created,
refunds are written as rows and sent by a task after commit, and a hold is expired only
after its intent was cancelled (so no payment can land on a place already given away).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone

from booking.attendance import inside_cutoff
from booking.holds import (
    booking_confirm_held,
    booking_expire_hold,
    booking_hold,
    booking_reinstate_expired,
)
from booking.models import Booking, BookingStatus, PaymentMode, Practitioner, Service
from booking.services import BookingRequest, booking_cancel, booking_create
from payments import stripe_gateway as gateway
from payments.fee_reductions import current_floor
from payments.models import Payment, PaymentStatus, Refund, RefundReason, RefundStatus
from payments.pricing import PriceRange, payment_mode_for, refund_due, service_price_range
from payments.pricing import validate_amount as _validate_amount
from portal.audit import AuditAction, record_action
from portal.celery import app as celery_app
from portal.messaging import MessageKind, outbox_put
from portal.models import User
from portal.services import lock_patient

logger = logging.getLogger(__name__)

# The worker's tasks (``payments/tasks.py``) call this module, and their work queues tasks again
# (an expired hold paid after all writes a refund), so this module queues them by name instead
# of importing them: the imports stay one way, tasks -> services. ``PaymentsConfig.ready``
# registers the tasks in every process, so an eager Celery (the tests) still runs them in place.
SEND_REFUND_TASK = "payments.tasks.send_refund"
CANCEL_PAYMENT_TASK = "payments.tasks.cancel_payment"


def _queue_after_commit(task_name: str, object_id: int) -> None:
    transaction.on_commit(lambda: celery_app.signature(task_name, args=(object_id,)).delay())


class PaymentError(Exception):
    """A payment step that cannot go ahead, with a message fit to show the patient."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CheckoutResult:
    booking: Booking
    payment: Payment | None


def prices_for(*, service: Service, patient: User, now: datetime | None = None) -> PriceRange:
    """What ``patient`` may pay for ``service`` today, their approved floor included."""
    today = (now or timezone.now()).astimezone(service.clinic.tz).date()
    floor = current_floor(patient=patient, clinic=service.clinic, today=today)
    return service_price_range(service, floor_minor=floor)


def checkout_mode(*, service: Service, amount_minor: int, patient: User, booked_by: User) -> str:
    """How this booking will be paid, as the confirm page announces it.

    Online needs Stripe keys (the demo without them takes payment at the clinic) and the
    patient at the keyboard: a booking the front desk makes for a caller is paid at the clinic.
    """
    mode = payment_mode_for(service, amount_minor)
    if mode == PaymentMode.ONLINE and (not gateway.is_configured() or booked_by != patient):
        return PaymentMode.AT_CLINIC
    return mode


def checkout(
    *,
    patient: User,
    service: Service,
    starts_at: datetime,
    amount: str | None,
    currency: str | None = None,
    practitioner: Practitioner | None = None,
    booked_by: User | None = None,
    request_key: str | None = None,
    now: datetime | None = None,
) -> CheckoutResult:
    """Check the amount, then book (paid at the clinic, or free) or hold and start paying online.

    Raises ``PriceError`` for an amount the patient may not choose, and the booking errors
    (``SlotUnavailable``, ``NotEligible``) from the booking service. The PaymentIntent is
    created after the hold committed; if Stripe cannot be reached the hold stands and the
    payment page offers to try again.
    """
    now = now or timezone.now()
    booked_by = booked_by or patient
    prices = prices_for(service=service, patient=patient, now=now)
    amount_minor = _validate_amount(prices, amount, currency=currency)
    mode = checkout_mode(
        service=service, amount_minor=amount_minor, patient=patient, booked_by=booked_by
    )
    asked = BookingRequest(
        patient=patient,
        service=service,
        starts_at=starts_at,
        practitioner=practitioner,
        booked_by=booked_by,
        request_key=request_key,
    )
    if mode != PaymentMode.ONLINE:
        booking = booking_create(asked, now=now, price_minor=amount_minor, payment_mode=mode)
        return CheckoutResult(booking, None)
    booking = booking_hold(asked, now=now, price_minor=amount_minor)
    if booking.status != BookingStatus.HELD or booking.payment_mode != PaymentMode.ONLINE:
        # A resubmitted form found the booking its first submit made.
        return CheckoutResult(booking, payment_for_booking(booking))
    payment = _payment_for_hold(booking)
    try:
        payment = payment_start(payment=payment)
    except (gateway.GatewayError, PaymentError):
        logger.warning("could not start payment %s; the pay page will retry", payment.pk)
    return CheckoutResult(booking, payment)


def _payment_for_hold(booking: Booking) -> Payment:
    try:
        with transaction.atomic():
            payment, _ = Payment.objects.get_or_create(
                booking=booking,
                defaults={
                    "clinic_id": booking.clinic_id,
                    "patient_id": booking.patient_id,
                    "amount_minor": booking.price_minor,
                    "currency": booking.currency,
                },
            )
    except IntegrityError:
        # A double submit created it at the same moment: the one-to-one kept one row.
        payment = Payment.objects.get(booking=booking)
    return payment


def payment_start(*, payment: Payment) -> Payment:
    """Create the Stripe PaymentIntent for a held booking (once; safe to call again)."""
    if payment.stripe_payment_intent_id:
        return payment
    if payment.booking.status != BookingStatus.HELD:
        raise PaymentError("This place is no longer held, so there is nothing to pay.")
    intent = gateway.create_intent(
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        idempotency_key=str(payment.idempotency_key),
        metadata={"payment_id": str(payment.pk), "booking_id": str(payment.booking_id)},
    )
    # The same idempotency key returns the same intent, so two racing calls store one id.
    Payment.objects.filter(pk=payment.pk, stripe_payment_intent_id__isnull=True).update(
        stripe_payment_intent_id=intent.id, client_secret=intent.client_secret
    )
    payment.refresh_from_db()
    return payment


def payment_for_booking(booking: Booking) -> Payment | None:
    """The payment behind a visit, following moves back to the booking that was paid."""
    current: Booking | None = booking
    for _ in range(20):  # a visit moved more often than this is not worth a longer walk
        if current is None:
            return None
        payment = Payment.objects.filter(booking_id=current.pk).first()
        if payment is not None:
            return payment
        current = current.rescheduled_from
    return None


def record_payment_succeeded(*, payment: Payment, now: datetime | None = None) -> str:
    """Money arrived: confirm the held place, re-take a lapsed one if still free, else refund.

    Call inside a transaction (the webhook's). The conditional UPDATE on the payment row is
    the one place that decides: a duplicate or concurrent delivery finds it already paid.
    Returns what happened: "confirmed", "reinstated", "refunding" or "already".
    """
    now = now or timezone.now()
    claimed = Payment.objects.filter(
        pk=payment.pk, status__in=(PaymentStatus.PENDING, PaymentStatus.CANCELED)
    ).update(status=PaymentStatus.SUCCEEDED, paid_at=now, failure_message="")
    if not claimed:
        return "already"
    if booking_confirm_held(booking_id=payment.booking_id):
        return "confirmed"
    if booking_reinstate_expired(booking_id=payment.booking_id, now=now):
        return "reinstated"
    payment.refresh_from_db()
    refund_create(
        payment=payment, amount_minor=payment.amount_minor, reason=RefundReason.PLACE_GONE
    )
    return "refunding"


def hold_expire(*, booking_id: int, now: datetime | None = None) -> str:
    """Release a lapsed hold, first cancelling its PaymentIntent so it can no longer be paid.

    If Stripe says the intent was paid after all (the webhook is late or lost), the payment
    is recorded now instead. Returns "expired", "paid", "waiting" or "unchanged".
    """
    now = now or timezone.now()
    payment = Payment.objects.filter(booking_id=booking_id).first()
    if (
        payment is not None
        and payment.stripe_payment_intent_id
        and payment.status == PaymentStatus.PENDING
    ):
        intent = gateway.cancel_intent(payment.stripe_payment_intent_id)  # no lock held
        if intent.status == "succeeded":
            with transaction.atomic():
                record_payment_succeeded(payment=payment, now=now)
            return "paid"
        if intent.status != "canceled":
            return "waiting"  # processing: the next sweep looks again
    expired = booking_expire_hold(booking_id=booking_id, now=now)
    if payment is not None:
        Payment.objects.filter(pk=payment.pk, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.CANCELED, canceled_at=now
        )
    return "expired" if expired else "unchanged"


def lapsed_hold_ids(*, now: datetime, limit: int = 500) -> list[int]:
    """Held bookings whose payment time is over (read through the partial index on held rows)."""
    return list(
        Booking.objects.filter(status=BookingStatus.HELD, hold_expires_at__lte=now)
        .order_by("hold_expires_at")
        .values_list("pk", flat=True)[:limit]
    )


def refund_create(
    *, payment: Payment, amount_minor: int, reason: str, by: User | None = None
) -> Refund:
    """Write a refund (sent to Stripe by a task after commit); never more than is left to refund.

    The payment row is locked while the outstanding amount is summed: a cancellation and a
    staff refund at the same moment would otherwise both refund the same money.
    """
    with transaction.atomic():
        # The patient first, as every writer of their visits does: a cancellation holds the
        # patient, then wants this payment, while the refund's audit row references the
        # patient; taking the payment first would deadlock against it.
        lock_patient(payment.patient_id)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if not locked.is_paid:
            raise PaymentError("Only a payment that went through can be refunded.")
        if amount_minor <= 0 or amount_minor > left_to_refund(locked):
            raise PaymentError("That is more than is left to refund on this payment.")
        refund = Refund.objects.create(
            payment=locked, amount_minor=amount_minor, reason=reason, created_by=by
        )
        record_action(
            action=AuditAction.REFUND_ISSUED,
            actor=by,
            subject=locked.patient,
            detail={
                "refund": refund.pk,
                "payment": locked.pk,
                "amount_minor": amount_minor,
                "currency": locked.currency,
                "reason": str(reason),
            },
        )
        _queue_after_commit(SEND_REFUND_TASK, refund.pk)
    return refund


def left_to_refund(payment: Payment) -> int:
    """What is still refundable: paid, less every refund written and not failed (pending ones
    count, so two refunds at once never give back the same money). Lock the payment first."""
    committed = (
        payment.refunds.exclude(status=RefundStatus.FAILED).aggregate(total=Sum("amount_minor"))[
            "total"
        ]
        or 0
    )
    return payment.amount_minor - committed


def refund_send(*, refund_id: int, now: datetime | None = None) -> bool:
    """Send a written refund to Stripe (its stored key makes a retry safe); True once done."""
    now = now or timezone.now()
    refund = Refund.objects.select_related("payment").filter(pk=refund_id).first()
    if refund is None or refund.status != RefundStatus.PENDING:
        return False
    intent_id = refund.payment.stripe_payment_intent_id or ""
    try:
        stripe_id = gateway.refund(
            intent_id=intent_id,
            amount_minor=refund.amount_minor,
            idempotency_key=str(refund.idempotency_key),
        )
    except gateway.GatewayUnavailable:
        raise
    except gateway.GatewayError:
        logger.exception("Stripe refused refund %s", refund_id)
        Refund.objects.filter(pk=refund_id, status=RefundStatus.PENDING).update(
            status=RefundStatus.FAILED
        )
        return False
    with transaction.atomic():
        # The patient first (see refund_create): the refund email's row references them.
        lock_patient(refund.payment.patient_id)
        done = Refund.objects.filter(pk=refund_id, status=RefundStatus.PENDING).update(
            status=RefundStatus.SUCCEEDED, stripe_refund_id=stripe_id, completed_at=now
        )
        if done:
            payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
            total = (
                payment.refunds.filter(status=RefundStatus.SUCCEEDED).aggregate(
                    total=Sum("amount_minor")
                )["total"]
                or 0
            )
            payment.refunded_minor = total
            payment.status = (
                PaymentStatus.REFUNDED
                if total >= payment.amount_minor
                else PaymentStatus.PARTLY_REFUNDED
            )
            payment.save(update_fields=["refunded_minor", "status"])
            refund_email_put(refund, payment)
    return bool(done)


def refund_email_put(refund: Refund, payment: Payment) -> None:
    """Put "your money is on its way back" in the outbox, once per refund, in the caller's
    transaction (the one that records the refund as done)."""
    outbox_put(
        kind=MessageKind.PAYMENT_REFUNDED,
        to_user=payment.patient_id,
        booking=payment.booking_id,
        dedupe_key=f"refund:{refund.pk}",
        context={
            "amount_minor": refund.amount_minor,
            "currency": payment.currency,
            "place_gone": refund.reason == RefundReason.PLACE_GONE,
        },
    )


def _counts_as_late(booking: Booking, now: datetime, clinics_reason: bool) -> bool:
    """Cancelled inside the clinic's window by the patient: the late rule applies (never when
    the clinic cancels for a reason of its own)."""
    return inside_cutoff(booking, now) and not clinics_reason


def refund_on_cancel(
    *, booking: Booking, payment: Payment | None, now: datetime, clinics_reason: bool = False
) -> int:
    """What cancelling ``booking`` now would give back, by the clinic's policy; everything
    left when the clinic cancels for a reason of its own (``clinics_reason``)."""
    if payment is None or not payment.is_paid:
        return 0
    clinic = booking.clinic
    return refund_due(
        paid_minor=payment.amount_minor,
        refunded_minor=payment.refunded_minor,
        late=_counts_as_late(booking, now, clinics_reason),
        rule=clinic.late_cancellation_rule,
        fee_minor=clinic.late_cancellation_fee_minor,
    )


def cancel_with_refund(
    *,
    booking: Booking,
    by: User,
    note: str = "",
    now: datetime | None = None,
    clinics_reason: bool = False,
) -> tuple[Booking, Refund | None]:
    """Cancel a visit (``booking_cancel``'s rules, its ``note`` in the email) and refund by policy.

    Both happen in one transaction, so a cancelled paid visit always has its refund written;
    an unpaid intent of a held place is cancelled at Stripe by a task afterwards. With
    ``clinics_reason`` (the clinic is closed, the practitioner is away or unwell) the late
    rule never applies: the patient gets back everything they paid, whatever the hour.
    """
    now = now or timezone.now()
    payment = payment_for_booking(booking)
    refund = None
    with transaction.atomic():
        booking = booking_cancel(booking=booking, by=by, note=note, now=now)
        if payment is not None and payment.status == PaymentStatus.PENDING:
            _queue_after_commit(CANCEL_PAYMENT_TASK, payment.pk)
        due = refund_on_cancel(
            booking=booking, payment=payment, now=now, clinics_reason=clinics_reason
        )
        if payment is not None and due:
            # A staff refund may have gone out (or be on its way) since the payment was read:
            # give back by policy, never more than is left. Every refund writer takes the
            # patient's lock first, and booking_cancel holds it, so what is left cannot move.
            due = min(due, left_to_refund(payment))
        if payment is not None and due > 0:
            late = _counts_as_late(booking, now, clinics_reason)
            reason = RefundReason.LATE_CANCELLED if late else RefundReason.CANCELLED
            refund = refund_create(payment=payment, amount_minor=due, reason=reason, by=by)
    return booking, refund


def payment_cancel(*, payment_id: int, now: datetime | None = None) -> str:
    """Cancel the intent of a place cancelled before it was paid; returns its Stripe status."""
    now = now or timezone.now()
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or payment.status != PaymentStatus.PENDING:
        return "unchanged"
    if not payment.stripe_payment_intent_id:
        Payment.objects.filter(pk=payment_id, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.CANCELED, canceled_at=now
        )
        return "canceled"
    intent = gateway.cancel_intent(payment.stripe_payment_intent_id)
    if intent.status == "canceled":
        Payment.objects.filter(pk=payment_id, status=PaymentStatus.PENDING).update(
            status=PaymentStatus.CANCELED, canceled_at=now
        )
    # "succeeded": the webhook records it and, the place being cancelled, refunds it.
    return intent.status


def stalled_refund_ids(*, now: datetime, older_than: timedelta = timedelta(minutes=5)) -> list[int]:
    """Refunds written but still not sent after a while (read through the partial index)."""
    return list(
        Refund.objects.filter(status=RefundStatus.PENDING, created_at__lte=now - older_than)
        .order_by("created_at")
        .values_list("pk", flat=True)[:200]
    )
