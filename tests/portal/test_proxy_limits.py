"""Login limits behind the TLS proxy: every request arrives from the proxy's address, so the
per-address limit must count the visitor's address the proxy forwards, and only as far as
the configured proxies are trusted."""

from __future__ import annotations

import json
from typing import Any

import pytest
from allauth.account.adapter import get_adapter
from django.test import Client

from portal.models import User
from tests.factories import TEST_PASSWORD
from tests.portal.test_accounts import _is_logged_in, _login, _per_ip_limit, redis_cache
from tests.portal.test_settings import assert_refused, production, start

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures(redis_cache.__name__)]

PROXY = "10.0.0.2"  # what REMOTE_ADDR is for every request behind the proxy


@pytest.fixture(autouse=True)
def behind_one_proxy(settings: Any) -> None:
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = None


def _from(address: str, *, spoofed: str = "") -> Client:
    # The proxy appends the address it saw to whatever the client sent.
    forwarded = f"{spoofed}, {address}" if spoofed else address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded)


def _too_many(response: Any) -> bool:
    too_many = str(get_adapter().error_messages["too_many_login_attempts"])
    return too_many in list(response.context["form"].non_field_errors())


def _fail_until_limited(address: str, *, spoofed: str = "") -> None:
    for attempt in range(_per_ip_limit()):
        response = _login(_from(address, spoofed=spoofed), f"guess{attempt}@example.com", "nope-1")
        assert not _too_many(response)


def test_two_people_behind_the_proxy_do_not_share_a_lockout(
    patient: User, other_patient: User
) -> None:
    _fail_until_limited("198.51.100.7")

    same_place = _from("198.51.100.7")
    assert _too_many(_login(same_place, patient.email, TEST_PASSWORD))
    assert not _is_logged_in(same_place)

    someone_else = _from("203.0.113.9")
    _login(someone_else, other_patient.email, TEST_PASSWORD)
    assert _is_logged_in(someone_else)


def test_a_forged_forwarded_address_does_not_dodge_the_limit(patient: User) -> None:
    # Only the last hop (what our proxy saw) is trusted: a client that writes its own
    # X-Forwarded-For still counts under its real address.
    for attempt in range(_per_ip_limit()):
        _login(
            _from("198.51.100.7", spoofed=f"192.0.2.{attempt}"), f"g{attempt}@example.com", "x-1"
        )
    client = _from("198.51.100.7", spoofed="192.0.2.200")
    assert _too_many(_login(client, patient.email, TEST_PASSWORD))


def test_without_a_trusted_proxy_the_forwarded_header_is_ignored(
    settings: Any, patient: User
) -> None:
    # The safe default: nothing in front of the portal is trusted, so the header a client
    # sends cannot spread its failures over made-up addresses.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 0
    for attempt in range(_per_ip_limit()):
        _login(_from(f"192.0.2.{attempt}"), f"g{attempt}@example.com", "x-1")
    assert _too_many(_login(_from("192.0.2.250"), patient.email, TEST_PASSWORD))


def test_a_header_named_by_the_proxy_wins(settings: Any, patient: User) -> None:
    settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER = "X-Real-IP"
    for attempt in range(_per_ip_limit()):
        Client(REMOTE_ADDR=PROXY, HTTP_X_REAL_IP="198.51.100.7").post(
            "/accounts/login/", {"login": f"g{attempt}@example.com", "password": "x-1"}
        )
    limited = Client(REMOTE_ADDR=PROXY, HTTP_X_REAL_IP="198.51.100.7")
    assert _too_many(_login(limited, patient.email, TEST_PASSWORD))
    elsewhere = Client(REMOTE_ADDR=PROXY, HTTP_X_REAL_IP="203.0.113.9")
    _login(elsewhere, patient.email, TEST_PASSWORD)
    assert _is_logged_in(elsewhere)


def test_a_request_that_skipped_a_proxy_is_counted_by_who_connected(
    settings: Any, patient: User
) -> None:
    # Two proxies configured, one address forwarded (a probe from inside the network, or a
    # misconfigured hop): allauth finds the count wrong; the login still answers, counted
    # under the connecting address instead of failing with a server error.
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 2
    client = Client(REMOTE_ADDR="192.0.2.80", HTTP_X_FORWARDED_FOR="198.51.100.7")
    _login(client, patient.email, TEST_PASSWORD)
    assert _is_logged_in(client)
    for attempt in range(_per_ip_limit()):
        _login(
            Client(REMOTE_ADDR="192.0.2.80", HTTP_X_FORWARDED_FOR=f"198.51.100.{attempt}"),
            f"g{attempt}@example.com",
            "x-1",
        )
    limited = Client(REMOTE_ADDR="192.0.2.80", HTTP_X_FORWARDED_FOR="203.0.113.1")
    assert _too_many(_login(limited, patient.email, TEST_PASSWORD))


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({}, [0, None]),
        ({"TRUSTED_PROXY_COUNT": "1"}, [1, None]),
        ({"TRUSTED_CLIENT_IP_HEADER": "X-Real-IP"}, [0, "X-Real-IP"]),
    ],
)
def test_the_proxy_settings_come_from_the_environment_and_trust_nothing_by_default(
    environment: dict[str, str], expected: list[object]
) -> None:
    show = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.ALLAUTH_TRUSTED_PROXY_COUNT, s.ALLAUTH_TRUSTED_CLIENT_IP_HEADER]))"
    )
    result = start(production(**environment), show)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == expected


def test_a_negative_proxy_count_stops_start_up() -> None:
    assert_refused(start(production(TRUSTED_PROXY_COUNT="-1")), "TRUSTED_PROXY_COUNT")
