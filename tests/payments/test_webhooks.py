"""/stripe/webhook/: signatures, duplicates, unknown types, out-of-order and concurrent replays,
and real deliveries signed by localstripe to the live test server."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
import requests
from django.core import mail
from django.db import connections
from django.test import Client

from booking.models import BookingStatus, Service
from payments.models import Payment, PaymentStatus, Refund, StripeEvent
from portal.models import User
from tests.booking.conftest import WED
from tests.booking.factories import local
from tests.payments.conftest import (
    body_of,
    event,
    intent_event,
    pay_with_test_card,
    sign,
)
from tests.payments.factories import checkout_for, reload

URL = "/stripe/webhook/"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stripe_settings", "eager_celery")]


def post(client: Client, evt: dict[str, Any] | bytes, *, signature: str | None = None) -> Any:
    body = evt if isinstance(evt, bytes) else body_of(evt)
    if signature == "":
        return client.post(URL, data=body, content_type="application/json")
    return client.post(
        URL,
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature or sign(body)},
    )


@pytest.fixture
def payment(online: Service, patient: User) -> Payment:
    """A place held for the patient on Wednesday at 09:00, its card payment still open."""
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None and result.payment.stripe_payment_intent_id
    return result.payment


def event_for(payment: Payment, kind: str, **fields: Any) -> dict[str, Any]:
    """The Stripe event ``kind`` about the payment's intent."""
    return intent_event(kind, payment.stripe_payment_intent_id or "", **fields)


def test_a_signed_succeeded_event_confirms_the_held_place(client: Client, payment: Payment) -> None:
    response = post(client, event_for(payment, "payment_intent.succeeded"))
    assert response.status_code == 200
    assert response.json() == {"received": True, "outcome": "handled"}
    assert reload(payment.booking).status == BookingStatus.CONFIRMED
    assert StripeEvent.objects.get().type == "payment_intent.succeeded"


@pytest.mark.parametrize(
    "signature",
    ["", "t=1,v1=00", "garbage", "v1=abc"],
    ids=["missing", "forged", "garbage", "no-timestamp"],
)
def test_a_bad_signature_is_refused_with_400_and_changes_nothing(
    client: Client, payment: Payment, signature: str
) -> None:
    response = post(
        client,
        event_for(payment, "payment_intent.succeeded"),
        signature=signature,
    )
    assert response.status_code == 400
    assert reload(payment.booking).status == BookingStatus.HELD
    assert not StripeEvent.objects.exists()


def test_an_event_signed_with_another_secret_is_refused(client: Client, payment: Payment) -> None:
    body = body_of(event_for(payment, "payment_intent.succeeded"))
    assert post(client, body, signature=sign(body, secret="whsec_forger")).status_code == 400
    assert reload(payment.booking).status == BookingStatus.HELD


def test_a_replayed_old_signature_is_refused(client: Client, payment: Payment) -> None:
    body = body_of(event_for(payment, "payment_intent.succeeded"))
    assert (
        post(client, body, signature=sign(body, timestamp=int(time.time()) - 3600)).status_code
        == 400
    )


def test_a_signed_body_that_is_not_an_event_is_refused(client: Client) -> None:
    assert post(client, b'{"id": "evt_1", "type": "payment_intent.succeeded"}').status_code == 400
    assert post(client, b"[1, 2]").status_code == 400
    assert not StripeEvent.objects.exists()


def test_the_webhook_answers_only_post(client: Client) -> None:
    assert client.get(URL).status_code == 405


def test_unknown_event_types_are_acknowledged_and_ignored(client: Client) -> None:
    response = post(client, event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert StripeEvent.objects.get().payload == {}


def test_events_for_intents_that_are_not_ours_are_acknowledged(client: Client) -> None:
    assert (
        post(client, intent_event("payment_intent.succeeded", "pi_someone_else")).status_code == 200
    )
    assert not Payment.objects.exists()


def test_the_same_event_twice_changes_state_once(
    client: Client, payment: Payment, django_capture_on_commit_callbacks: Any
) -> None:
    evt = event_for(payment, "payment_intent.succeeded")
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, evt)
    with django_capture_on_commit_callbacks(execute=True) as second_callbacks:
        second = post(client, evt)
    assert first.json()["outcome"] == "handled" and second.json()["outcome"] == "duplicate"
    assert second_callbacks == []  # nothing queued by the duplicate
    assert len(mail.outbox) == 1
    assert StripeEvent.objects.count() == 1


def test_a_failure_arriving_after_the_success_does_not_undo_it(
    client: Client, payment: Payment
) -> None:
    post(client, event_for(payment, "payment_intent.succeeded"))
    declined = {"message": "Declined"}
    post(client, event_for(payment, "payment_intent.payment_failed", last_payment_error=declined))
    post(client, event_for(payment, "payment_intent.canceled"))
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.failure_message == ""
    assert reload(payment.booking).status == BookingStatus.CONFIRMED


def test_a_failure_is_remembered_and_the_place_stays_held(client: Client, payment: Payment) -> None:
    post(
        client,
        event_for(
            payment,
            "payment_intent.payment_failed",
            last_payment_error={"message": "Your card was declined."},
        ),
    )
    payment.refresh_from_db()
    assert (
        payment.status == PaymentStatus.PENDING
        and payment.failure_message == "Your card was declined."
    )
    assert reload(payment.booking).status == BookingStatus.HELD


def test_a_success_after_a_cancellation_event_still_counts(
    client: Client, payment: Payment
) -> None:
    """Out of order: the cancel event (of an attempt) lands first; the money that arrived wins."""
    post(client, event_for(payment, "payment_intent.canceled"))
    assert Payment.objects.get().status == PaymentStatus.CANCELED
    post(client, event_for(payment, "payment_intent.succeeded"))
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert reload(payment.booking).status == BookingStatus.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_one_event_delivered_ten_times_at_once_changes_state_once(
    live_server: Any, payment: Payment
) -> None:
    """Ten concurrent deliveries, each its own connection: one state change, one email, one row."""
    body = body_of(event_for(payment, "payment_intent.succeeded"))
    header = sign(body)
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def deliver() -> None:
        try:
            barrier.wait(timeout=30)
            response = requests.post(
                live_server.url + URL,
                data=body,
                headers={"Stripe-Signature": header, "Content-Type": "application/json"},
                timeout=30,
            )
            outcomes.append(f"{response.status_code} {response.json()['outcome']}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["200 duplicate"] * 9 + ["200 handled"]
    assert StripeEvent.objects.count() == 1
    assert reload(payment.booking).status == BookingStatus.CONFIRMED
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert len(mail.outbox) == 1
    assert not Refund.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("localstripe_webhooks")
def test_localstripe_delivers_a_signed_event_to_the_live_server(
    localstripe: str, payment: Payment
) -> None:
    """The whole loop: the card is paid at localstripe, which signs and posts the webhook."""
    assert pay_with_test_card(localstripe, payment.client_secret)["status"] == "succeeded"
    deadline = time.monotonic() + 15  # localstripe waits a second before delivering
    while time.monotonic() < deadline and reload(payment.booking).status == BookingStatus.HELD:
        time.sleep(0.2)
    assert reload(payment.booking).status == BookingStatus.CONFIRMED
    # localstripe is shared by the session: another test's late events may arrive too.
    (recorded,) = StripeEvent.objects.filter(
        type="payment_intent.succeeded",
        payload__data__object__id=payment.stripe_payment_intent_id,
    )
    assert recorded.event_id.startswith("evt_")
