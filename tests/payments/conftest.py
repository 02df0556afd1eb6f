"""Payments fixtures: localstripe on a loopback port, Stripe settings pointing at it, signed events.

The booking fixtures (a clinic week in March 2027, Mei and her services) are shared with
the booking tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from booking.models import PaymentMode, PriceRule, Service
from tests.booking.conftest import (  # noqa: F401 - fixtures shared with the booking tests
    NOW,
    _fast_passwords,
    eager_celery,
    frozen,
    mei,
    other_patient,
    patient,
    policies,
    private,
)
from tests.booking.factories import ServiceFactory

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_quiet_hours(no_quiet_hours: None) -> None:
    # Refund and fee emails wait out quiet hours: these tests check them at any hour.
    pass


WEBHOOK_SECRET = "whsec_portal_tests"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def localstripe() -> Iterator[str]:
    """localstripe in a subprocess on a free loopback port; yields its base URL."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.payments.localstripe_server", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(f"{url}/js.stripe.com/v3/", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            _, err = process.communicate()
            pytest.fail(f"localstripe did not start: {err.decode(errors='replace')[-2000:]}")
        time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def stripe_settings(settings: Any, localstripe: str) -> Any:
    """The portal configured for online payment, talking to localstripe."""
    settings.STRIPE_SECRET_KEY = "sk_test_portal"
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_portal"
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_JS_URL = f"{localstripe}/js.stripe.com/v3/"
    return settings


@pytest.fixture
def no_stripe(settings: Any) -> Any:
    """The demo without keys: online payment is not configured."""
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_PUBLISHABLE_KEY = ""
    settings.STRIPE_WEBHOOK_SECRET = ""
    return settings


@pytest.fixture
def online(private: Service) -> Service:  # noqa: F811
    """The private treatment (fixed £50), paid online when booking."""
    private.payment_mode = PaymentMode.ONLINE
    private.save()
    return private


@pytest.fixture
def sliding(mei: Any) -> Service:  # noqa: F811
    """A sliding-scale treatment: £15-£35 in £5 steps, £25 suggested, paid online."""
    return ServiceFactory.create(
        slug="sliding",
        name="Sliding-scale treatment",
        price_rule=PriceRule.SLIDING,
        price_minor=2500,
        price_min_minor=1500,
        price_max_minor=3500,
        price_step_minor=500,
        payment_mode=PaymentMode.ONLINE,
        duration_minutes=45,
        practitioners=[mei],
    )


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    """A Stripe-Signature header for ``payload``: ``t=<unix time>,v1=<HMAC-SHA256>``."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def event(kind: str, obj: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """A Stripe event envelope, as Stripe (and localstripe) send them."""
    return {
        "id": event_id or f"evt_test_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def intent_event(
    kind: str, intent_id: str, *, event_id: str | None = None, **fields: Any
) -> dict[str, Any]:
    return event(kind, {"id": intent_id, "object": "payment_intent", **fields}, event_id=event_id)


def body_of(evt: dict[str, Any]) -> bytes:
    return json.dumps(evt).encode()


def pay_with_test_card(
    localstripe_url: str, client_secret: str, number: str = "4242424242424242"
) -> dict[str, Any]:
    """What Stripe.js does in the page: confirm the intent with a card (publishable key only)."""
    intent_id = client_secret.split("_secret_")[0]
    response = requests.post(
        f"{localstripe_url}/v1/payment_intents/{intent_id}/confirm",
        data=json.dumps(
            {
                "key": "pk_test_portal",
                "client_secret": client_secret,
                "payment_method_data": {
                    "type": "card",
                    "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"},
                },
            }
        ),
        timeout=10,
    )
    return dict(response.json())


@pytest.fixture
def localstripe_webhooks(localstripe: str, live_server: Any) -> Iterator[str]:
    """localstripe posts its signed events to this test's live server; muted again afterwards.

    Muting matters: the live server outlives the test, and a late delivery into a later
    test's database would be a flaky test.
    """
    url = f"{localstripe}/_config/webhooks/portal"
    target = {"url": live_server.url + "/stripe/webhook/", "secret": WEBHOOK_SECRET}
    assert requests.post(url, json=target, timeout=5).status_code == 200
    yield live_server.url
    requests.post(url, json={**target, "events": []}, timeout=5)
