"""payments.stripe_gateway against localstripe: intents, cancel, refunds, signatures."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from payments import stripe_gateway as gateway
from tests.payments.conftest import body_of, event, pay_with_test_card, sign

pytestmark = pytest.mark.usefixtures("stripe_settings")


def new_intent(amount: int = 2500) -> gateway.Intent:
    return gateway.create_intent(
        amount_minor=amount,
        currency="GBP",
        idempotency_key=str(uuid.uuid4()),
        metadata={"payment_id": "1", "booking_id": "1"},
    )


def test_an_intent_is_created_for_the_exact_amount_in_the_clinic_currency() -> None:
    intent = new_intent(2750)
    assert intent.id.startswith("pi_")
    assert intent.amount == 2750
    assert intent.currency == "GBP"
    assert intent.status == "requires_payment_method"
    assert intent.client_secret.startswith(intent.id + "_secret_")


def test_an_unpaid_intent_is_cancelled(localstripe: str) -> None:
    intent = new_intent()
    assert gateway.cancel_intent(intent.id).status == "canceled"


def test_cancelling_a_paid_intent_reports_that_it_was_paid(localstripe: str) -> None:
    intent = new_intent()
    assert pay_with_test_card(localstripe, intent.client_secret)["status"] == "succeeded"
    assert gateway.cancel_intent(intent.id).status == "succeeded"


def test_a_paid_intent_is_refunded_in_part(localstripe: str) -> None:
    intent = new_intent(3000)
    pay_with_test_card(localstripe, intent.client_secret)
    refund_id = gateway.refund(intent_id=intent.id, amount_minor=1000, idempotency_key="k1")
    assert refund_id.startswith("re_")


def test_refunding_an_unpaid_intent_is_refused() -> None:
    intent = new_intent()
    with pytest.raises(gateway.GatewayError):
        gateway.refund(intent_id=intent.id, amount_minor=100, idempotency_key="k2")


def test_stripe_out_of_reach_is_a_transient_error(settings: Any) -> None:
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # nothing listens on the discard port
    with pytest.raises(gateway.GatewayUnavailable):
        new_intent()


def test_a_correctly_signed_event_is_read() -> None:
    payload = body_of(event("payment_intent.succeeded", {"id": "pi_x"}))
    assert gateway.verify_event(payload, sign(payload))["type"] == "payment_intent.succeeded"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "t=1,v1=abc",
        "nonsense",
    ],
)
def test_missing_or_forged_signatures_are_refused(header: str | None) -> None:
    payload = body_of(event("payment_intent.succeeded", {"id": "pi_x"}))
    with pytest.raises(gateway.InvalidSignature):
        gateway.verify_event(payload, header)


def test_a_signature_with_another_secret_is_refused() -> None:
    payload = body_of(event("payment_intent.succeeded", {"id": "pi_x"}))
    with pytest.raises(gateway.InvalidSignature):
        gateway.verify_event(payload, sign(payload, secret="whsec_someone_else"))


def test_a_changed_body_is_refused() -> None:
    payload = body_of(event("payment_intent.succeeded", {"id": "pi_x", "amount": 100}))
    header = sign(payload)
    with pytest.raises(gateway.InvalidSignature):
        gateway.verify_event(payload.replace(b"100", b"1"), header)


def test_an_old_signature_is_refused_as_a_replay() -> None:
    payload = body_of(event("payment_intent.succeeded", {"id": "pi_x"}))
    with pytest.raises(gateway.InvalidSignature):
        gateway.verify_event(payload, sign(payload, timestamp=int(time.time()) - 3600))


def test_without_a_webhook_secret_nothing_is_accepted(settings: Any) -> None:
    settings.STRIPE_WEBHOOK_SECRET = ""
    payload = body_of(event("payment_intent.succeeded", {"id": "pi_x"}))
    with pytest.raises(gateway.InvalidSignature):
        gateway.verify_event(payload, sign(payload))
