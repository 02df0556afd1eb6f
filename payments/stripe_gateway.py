"""The Stripe boundary: every call the portal makes to Stripe, and webhook verification.

Nothing else imports ``stripe``. Calls are made outside database transactions (the
callers' rule); each write carries an idempotency key stored before the call, so a
retry after a timeout can never charge or refund twice.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from typing import Any

import stripe
from django.conf import settings

# Seconds Stripe's signature timestamp may be old: Stripe's own default.
SIGNATURE_TOLERANCE = 300


class GatewayError(Exception):
    """Stripe refused the request or could not be reached."""


class GatewayUnavailable(GatewayError):
    """A transient failure (network, rate limit, Stripe's own error): worth retrying."""


class InvalidSignature(Exception):
    """A webhook whose signature, timestamp or body does not check out."""


@dataclass(frozen=True)
class Intent:
    id: str
    status: str
    client_secret: str
    amount: int
    currency: str


def is_configured() -> bool:
    """Online payment needs both API keys; without them the portal offers pay-at-clinic."""
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_PUBLISHABLE_KEY)


@functools.cache
def _client(secret_key: str, api_base: str) -> stripe.StripeClient:
    base = {"api": api_base} if api_base else None
    return stripe.StripeClient(secret_key, base_addresses=base, max_network_retries=2)  # type: ignore[arg-type]


def client() -> stripe.StripeClient:
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    try:
        return fn(*args, **kwargs)
    except (stripe.APIConnectionError, stripe.RateLimitError) as exc:
        raise GatewayUnavailable(str(exc)) from exc
    except stripe.StripeError as exc:
        if (exc.http_status or 500) >= 500:
            raise GatewayUnavailable(str(exc)) from exc
        raise GatewayError(str(exc)) from exc


def _intent(obj: Any) -> Intent:
    return Intent(
        id=obj["id"],
        status=obj["status"],
        client_secret=obj["client_secret"] or "",
        amount=int(obj["amount"]),
        currency=str(obj["currency"]).upper(),
    )


def create_intent(
    *, amount_minor: int, currency: str, idempotency_key: str, metadata: dict[str, str]
) -> Intent:
    """A card PaymentIntent for exactly ``amount_minor``; the same key returns the same intent."""
    created = _call(
        client().v1.payment_intents.create,
        params={
            "amount": amount_minor,
            "currency": currency.lower(),
            "payment_method_types": ["card"],
            "metadata": metadata,
        },
        options={"idempotency_key": idempotency_key},
    )
    return _intent(created)


def retrieve_intent(intent_id: str) -> Intent:
    return _intent(_call(client().v1.payment_intents.retrieve, intent_id))


def cancel_intent(intent_id: str) -> Intent:
    """Cancel an unpaid intent; if Stripe refuses (already paid or cancelled) say where it is."""
    try:
        return _intent(_call(client().v1.payment_intents.cancel, intent_id))
    except GatewayUnavailable:
        raise
    except GatewayError:
        return retrieve_intent(intent_id)


def refund(*, intent_id: str, amount_minor: int, idempotency_key: str) -> str:
    """Refund part or all of a paid intent; returns the Stripe refund id."""
    created = _call(
        client().v1.refunds.create,
        params={"payment_intent": intent_id, "amount": amount_minor},
        options={"idempotency_key": idempotency_key},
    )
    return str(created["id"])


def verify_event(payload: bytes, signature: str | None) -> dict[str, Any]:
    """The event in a webhook body, once its ``Stripe-Signature`` header checks out."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret or not signature:
        raise InvalidSignature("no signature or no webhook secret configured")
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(text, signature, secret, SIGNATURE_TOLERANCE)
        event = json.loads(text)
    except (UnicodeDecodeError, ValueError, stripe.SignatureVerificationError) as exc:
        raise InvalidSignature(str(exc)) from exc
    except RecursionError as exc:  # signed, but nested past what json can read
        raise InvalidSignature("body nested too deeply") from exc
    if not isinstance(event, dict) or not isinstance(event.get("id"), str):
        raise InvalidSignature("not an event")
    return event
