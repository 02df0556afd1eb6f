"""Signed webhooks of the wrong shape (issue 13): a 4xx or "ignored", never a 500, and
nothing half-written (no event row without its state change, no state change without it).

Stripe signs what it sends, so these can only come from a bug or a leaked secret; the
portal still answers them plainly.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from booking.models import BookingStatus, Service
from payments.models import Payment, PaymentStatus, StripeEvent
from portal.models import User
from tests.booking.conftest import WED
from tests.booking.factories import local
from tests.payments.conftest import event, intent_event, sign
from tests.payments.factories import checkout_for, reload

URL = "/stripe/webhook/"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "eager_celery")]


def post_raw(client: Client, body: bytes) -> Any:
    return client.post(
        URL, data=body, content_type="application/json", headers={"Stripe-Signature": sign(body)}
    )


def post(client: Client, evt: Any) -> Any:
    return post_raw(client, json.dumps(evt).encode())


@pytest.fixture
def payment(online: Service, patient: User) -> Payment:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None and result.payment.stripe_payment_intent_id
    return result.payment


def succeeded(**envelope: Any) -> dict[str, Any]:
    return {**event("payment_intent.succeeded", {}), **envelope}


@pytest.mark.parametrize(
    "evt",
    [
        succeeded(data="x"),
        succeeded(data=[1]),
        succeeded(data={"object": "x"}),
        succeeded(data={"object": [1]}),
        succeeded(data=None),
        succeeded(data={}),
        succeeded(data={"object": {}}),
        succeeded(data={"object": {"id": 7}}),
        succeeded(data={"object": {"id": ["pi_1"]}}),
        succeeded(data={"object": {"id": "pi_\x00"}}),
        succeeded(data={"object": {"id": "pi_" + "x" * 300}}),
        succeeded(id="evt_" + "x" * 300, data={"object": {"id": "pi_1"}}),
        succeeded(id="evt_\x00", data={"object": {"id": "pi_1"}}),
        succeeded(id="", data={"object": {"id": "pi_1"}}),
        succeeded(type=7),
        succeeded(type="payment_intent." + "x" * 200),
        succeeded(type="x\x00"),
        {"id": "evt_1"},
        succeeded(data={"object": {"id": "pi_1", "note": "a\x00b"}}),
    ],
    ids=[
        "data-string",
        "data-list",
        "object-string",
        "object-list",
        "data-null",
        "data-empty",
        "object-without-id",
        "intent-id-number",
        "intent-id-list",
        "intent-id-nul",
        "intent-id-too-long",
        "event-id-too-long",
        "event-id-nul",
        "event-id-empty",
        "type-number",
        "type-too-long",
        "type-nul",
        "no-type",
        "nul-in-the-payload",
    ],
)
def test_a_signed_event_of_the_wrong_shape_is_400_and_stores_nothing(
    client: Client, evt: dict[str, Any]
) -> None:
    response = post(client, evt)
    assert response.status_code == 400
    assert response.json() == {"error": "malformed event"}
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize(
    "body",
    [
        b'{"id": "evt_1", "type": "payment_intent.succeeded", '
        b'"data": {"object": {"id": "pi_1", "n": 1e400}}}',
        b"[" * 100_000,
        # JSON's \\u escapes can spell half a surrogate pair, which UTF-8 cannot encode.
        b'{"id": "evt_\\ud800", "type": "customer.created"}',
        b'{"id": "evt_1", "type": "customer.\\udfff"}',
        b'{"id": "evt_1", "type": "payment_intent.succeeded", '
        b'"data": {"object": {"id": "pi_\\ud800"}}}',
        b'{"id": "evt_1", "type": "payment_intent.succeeded", '
        b'"data": {"object": {"id": "pi_1", "\\ud800": "x", "note": "\\udfff"}}}',
        b'{"id": "evt_1", "type": "payment_intent.payment_failed", "data": {"object": '
        b'{"id": "pi_1", "last_payment_error": {"message": "\\ud800"}}}}',
    ],
    ids=[
        "infinite-number",
        "deeply-nested",
        "event-id-lone-surrogate",
        "type-lone-surrogate",
        "intent-id-lone-surrogate",
        "lone-surrogates-in-the-payload",
        "failure-message-lone-surrogate",
    ],
)
def test_signed_json_the_database_cannot_hold_is_400(client: Client, body: bytes) -> None:
    response = post_raw(client, body)
    assert response.status_code == 400 and "error" in response.json()
    assert not StripeEvent.objects.exists()


@pytest.mark.parametrize("error", ["Card declined", ["x"], 7, {"message": 7}, {"message": None}])
def test_a_failure_with_an_odd_last_payment_error_keeps_a_plain_message(
    client: Client, payment: Payment, error: Any
) -> None:
    evt = intent_event(
        "payment_intent.payment_failed",
        payment.stripe_payment_intent_id or "",
        last_payment_error=error,
    )
    response = post(client, evt)
    assert response.status_code == 200 and response.json()["outcome"] == "handled"
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.PENDING
    assert payment.failure_message == "The card was declined."
    assert StripeEvent.objects.get().handled


def test_an_unknown_type_with_an_odd_body_is_ignored(client: Client) -> None:
    response = post(client, {"id": "evt_odd", "type": "customer.created", "data": "x"})
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert StripeEvent.objects.get().payload == {}


def test_a_good_event_after_the_bad_ones_still_confirms(client: Client, payment: Payment) -> None:
    intent = payment.stripe_payment_intent_id or ""
    post(client, succeeded(id="evt_" + "x" * 300, data={"object": {"id": intent}}))
    assert reload(payment.booking).status == BookingStatus.HELD
    assert post(client, intent_event("payment_intent.succeeded", intent)).status_code == 200
    assert reload(payment.booking).status == BookingStatus.CONFIRMED
