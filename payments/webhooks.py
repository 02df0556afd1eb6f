"""Stripe webhook events: recorded once by id, routed by type, each handler idempotent.

Safe to receive the same event twice, concurrently or out of order: the unique event id
turns a replay into a no-op (a concurrent duplicate waits on the unique index, then finds
the id taken), and every handler changes state only by conditional UPDATEs that check the
current status, so an old event arriving late cannot undo a newer one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.models import Payment, PaymentStatus, StripeEvent
from payments.services import record_payment_succeeded


class MalformedEvent(ValueError):
    """A signed event without the parts the portal reads."""


def _payment(obj: dict[str, Any]) -> Payment | None:
    intent_id = obj.get("id")
    if not isinstance(intent_id, str):
        raise MalformedEvent("payment intent without an id")
    return Payment.objects.filter(stripe_payment_intent_id=intent_id).first()


def _succeeded(obj: dict[str, Any], now: datetime) -> None:
    payment = _payment(obj)
    if payment is not None:
        record_payment_succeeded(payment=payment, now=now)


def _failed(obj: dict[str, Any], now: datetime) -> None:
    # The patient can try another card on the same intent: only remember why it failed.
    error = obj.get("last_payment_error") or {}
    message = str(error.get("message") or "The card was declined.")[:300]
    Payment.objects.filter(
        stripe_payment_intent_id=obj.get("id"), status=PaymentStatus.PENDING
    ).update(failure_message=message)


def _canceled(obj: dict[str, Any], now: datetime) -> None:
    Payment.objects.filter(
        stripe_payment_intent_id=obj.get("id"), status=PaymentStatus.PENDING
    ).update(status=PaymentStatus.CANCELED, canceled_at=now)


HANDLERS: dict[str, Callable[[dict[str, Any], datetime], None]] = {
    "payment_intent.succeeded": _succeeded,
    "payment_intent.payment_failed": _failed,
    "payment_intent.canceled": _canceled,
}


def ingest_event(event: dict[str, Any], *, now: datetime | None = None) -> str:
    """Record a verified event once and apply it: "handled", "duplicate" or "ignored".

    One transaction holds the event row and the state change, so a handler that fails
    leaves no record and Stripe's retry is processed in full. Follow-up work (emails,
    refunds) is queued on commit by the services the handlers call.
    """
    now = now or timezone.now()
    event_type = event.get("type")
    obj = (event.get("data") or {}).get("object")
    if not isinstance(event_type, str) or not isinstance(obj, dict):
        raise MalformedEvent("event without a type or data.object")
    handler = HANDLERS.get(event_type)
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(
                    event_id=event["id"],
                    type=event_type,
                    # Unknown types keep only their id: nothing will read their body.
                    payload=event if handler else {},
                    handled=handler is not None,
                )
        except IntegrityError:
            return "duplicate"
        if handler is None:
            return "ignored"
        handler(obj, now)
    return "handled"
