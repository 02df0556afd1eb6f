"""Payment work done by the worker: hold expiry, refunds, Stripe cancellations, emails."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

from payments import services
from payments.models import FeeReduction, Refund, RefundReason, RefundStatus
from payments.stripe_gateway import GatewayUnavailable
from portal.messaging import render_email, send_email

log = logging.getLogger(__name__)

# Stripe or SMTP out of reach: retried with backoff, five times (then the sweeps pick up).
retrying = shared_task(
    bind=True,
    ignore_result=True,
    max_retries=5,
    autoretry_for=(GatewayUnavailable, OSError),
    retry_backoff=True,
)


@shared_task(ignore_result=True)
def expire_holds() -> int:
    """Every minute (beat): hand each lapsed hold to ``expire_hold``."""
    ids = services.lapsed_hold_ids(now=timezone.now())
    for booking_id in ids:
        expire_hold.delay(booking_id)
    return len(ids)


@retrying
def expire_hold(self: object, booking_id: int) -> str:
    """Cancel one lapsed hold's PaymentIntent, then free its place (idempotent)."""
    return services.hold_expire(booking_id=booking_id)


@retrying
def cancel_payment(self: object, payment_id: int) -> str:
    """Cancel the PaymentIntent of a place cancelled before it was paid."""
    return services.payment_cancel(payment_id=payment_id)


@retrying
def send_refund(self: object, refund_id: int) -> None:
    """Send a written refund to Stripe, then tell the patient once."""
    if services.refund_send(refund_id=refund_id):
        send_refund_email.delay(refund_id)


@retrying
def send_refund_email(self: object, refund_id: int) -> None:
    """Tell the patient their money is on its way back (sent once)."""
    refund = (
        Refund.objects.select_related("payment__patient", "payment__booking__service")
        .filter(pk=refund_id, status=RefundStatus.SUCCEEDED)
        .first()
    )
    if refund is None:
        return
    if not refund.payment.patient.has_email:
        log.info("refund %s: patient has no email address, nothing sent", refund_id)
        return
    # Claim by conditional UPDATE so a duplicate or retried task sends nothing.
    if not Refund.objects.filter(pk=refund_id, patient_told_at__isnull=True).update(
        patient_told_at=timezone.now()
    ):
        return
    payment = refund.payment
    email = render_email(
        "payment_refunded",
        {
            "refund": refund,
            "payment": payment,
            "booking": payment.booking,
            "patient": payment.patient,
            "place_gone": refund.reason == RefundReason.PLACE_GONE,
        },
    )
    try:
        send_email(payment.patient.email, email)
    except OSError:
        Refund.objects.filter(pk=refund_id).update(patient_told_at=None)
        raise


@retrying
def send_fee_reduction_email(self: object, reduction_id: int) -> None:
    """Tell the patient the answer to their fee-reduction request (sent once)."""
    reduction = FeeReduction.objects.select_related("patient", "clinic").filter(pk=reduction_id)
    found = reduction.first()
    if found is None or found.status == "pending":
        return
    if not found.patient.has_email:
        log.info("fee reduction %s: patient has no email address, nothing sent", reduction_id)
        return
    if not reduction.filter(patient_told_at__isnull=True).update(patient_told_at=timezone.now()):
        return
    email = render_email(
        f"fee_reduction_{found.status}", {"reduction": found, "patient": found.patient}
    )
    try:
        send_email(found.patient.email, email)
    except OSError:
        FeeReduction.objects.filter(pk=reduction_id).update(patient_told_at=None)
        raise


@shared_task(ignore_result=True)
def retry_pending_refunds() -> int:
    """Every ten minutes (beat): re-send refunds whose task gave up while Stripe was away."""
    ids = services.stalled_refund_ids(now=timezone.now())
    for refund_id in ids:
        send_refund.delay(refund_id)
    return len(ids)
