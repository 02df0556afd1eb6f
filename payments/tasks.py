"""Payment work done by the worker: hold expiry, refunds, Stripe cancellations.

Their emails are outbox rows (``portal.messaging.outbox_put``) written with the change.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from payments import services
from payments.fee_reductions import decision_email_put
from payments.models import FeeReduction, Refund, RefundStatus
from payments.stripe_gateway import GatewayUnavailable

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
    """Send a written refund to Stripe; the patient's email is put in the same transaction."""
    services.refund_send(refund_id=refund_id)


@shared_task(ignore_result=True)
def send_refund_email(refund_id: int) -> None:
    """Put a refund's email in the outbox (a task queued by an older version; a no-op twice)."""
    refund = Refund.objects.select_related("payment").filter(
        pk=refund_id, status=RefundStatus.SUCCEEDED
    )
    found = refund.first()
    if found is not None:
        services.refund_email_put(found, found.payment)


@shared_task(ignore_result=True)
def send_fee_reduction_email(reduction_id: int) -> None:
    """Put a fee decision's email in the outbox (a task queued by an older version)."""
    found = FeeReduction.objects.filter(pk=reduction_id).exclude(status="pending").first()
    if found is not None:
        decision_email_put(found)


@shared_task(ignore_result=True)
def retry_pending_refunds() -> int:
    """Every ten minutes (beat): re-send refunds whose task gave up while Stripe was away."""
    ids = services.stalled_refund_ids(now=timezone.now())
    for refund_id in ids:
        send_refund.delay(refund_id)
    return len(ids)
