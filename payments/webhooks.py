"""Stripe webhook events: recorded once by id, routed by type, each handler idempotent.

Safe to receive the same event twice, concurrently or out of order: the unique event id
turns a replay into a no-op (a concurrent duplicate waits on the unique index, then finds
the id taken), and every handler changes state only by conditional UPDATEs that check the
current status, so an old event arriving late cannot undo a newer one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from payments.models import Payment, PaymentStatus, StripeEvent
from payments.services import record_payment_succeeded
from portal.params import has_nul


class MalformedEvent(ValueError):
    """A signed event without the parts the portal reads, or that it could not store."""


# The columns the envelope is stored in, and how deep a body jsonb is asked to hold.
MAX_ID = StripeEvent._meta.get_field("event_id").max_length or 255
MAX_TYPE = StripeEvent._meta.get_field("type").max_length or 100
MAX_DEPTH = 64
DECLINED = "The card was declined."


def _clean(value: str) -> bool:
    """Whether PostgreSQL can store the string: no NUL and no lone surrogate (JSON's
    ``"\\ud800"`` escape reads as one, and UTF-8 cannot encode it)."""
    if has_nul(value):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: object, limit: int | None = None) -> str | None:
    """``value`` if it is text PostgreSQL can store (in ``limit`` characters); else None."""
    if not isinstance(value, str) or not value or not _clean(value):
        return None
    return value if limit is None or len(value) <= limit else None


def _storable(value: object, depth: int = 0) -> bool:
    """Whether jsonb can hold ``value``: no NUL or lone surrogate in any string, no NaN or
    infinity (which ``json`` reads from 1e400), not absurdly deep."""
    if depth > MAX_DEPTH:
        return False
    if isinstance(value, str):
        return _clean(value)
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, dict):
        return all(_storable(k) and _storable(v, depth + 1) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v, depth + 1) for v in value)
    return True


def _without_secrets(value: Any) -> Any:
    """``value`` with every ``client_secret`` left out, at any depth. A PaymentIntent in an
    event carries its client secret, which completes or reads the payment from a browser and
    is for the paying patient's page alone (the payments admin hides it); the stored event is
    shown in the admin, so it keeps everything but that."""
    if isinstance(value, dict):
        return {k: _without_secrets(v) for k, v in value.items() if k != "client_secret"}
    if isinstance(value, list):
        return [_without_secrets(v) for v in value]
    return value


def _intent_id(obj: dict[str, Any]) -> str:
    intent_id = _text(obj.get("id"), MAX_ID)
    if intent_id is None:
        raise MalformedEvent("payment intent without a readable id")
    return intent_id


def _succeeded(obj: dict[str, Any], now: datetime) -> None:
    payment = Payment.objects.filter(stripe_payment_intent_id=_intent_id(obj)).first()
    if payment is not None:
        record_payment_succeeded(payment=payment, now=now)


def _failed(obj: dict[str, Any], now: datetime) -> None:
    # The patient can try another card on the same intent: only remember why it failed.
    error = obj.get("last_payment_error")
    message = _text(error.get("message")) if isinstance(error, dict) else None
    Payment.objects.filter(
        stripe_payment_intent_id=_intent_id(obj), status=PaymentStatus.PENDING
    ).update(failure_message=message[:300] if message else DECLINED)


def _canceled(obj: dict[str, Any], now: datetime) -> None:
    Payment.objects.filter(
        stripe_payment_intent_id=_intent_id(obj), status=PaymentStatus.PENDING
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
    event_id, event_type = _text(event.get("id"), MAX_ID), _text(event.get("type"), MAX_TYPE)
    if event_id is None or event_type is None:
        raise MalformedEvent("event without a readable id or type")
    handler = HANDLERS.get(event_type)
    obj: dict[str, Any] = {}
    if handler is not None:
        # Checked before anything is written: a handler that refused half-way would
        # still roll back, but the answer should not depend on how far it got.
        data = event.get("data")
        found = data.get("object") if isinstance(data, dict) else None
        if not isinstance(found, dict):
            raise MalformedEvent("event without data.object")
        obj = found
        _intent_id(obj)
        if not _storable(event):
            raise MalformedEvent("event the database cannot store")
    with transaction.atomic():
        try:
            with transaction.atomic():
                StripeEvent.objects.create(
                    event_id=event_id,
                    type=event_type,
                    # Unknown types keep only their id: nothing will read their body.
                    payload=_without_secrets(event) if handler else {},
                    handled=handler is not None,
                )
        except IntegrityError:
            return "duplicate"
        if handler is None:
            return "ignored"
        handler(obj, now)
    return "handled"
