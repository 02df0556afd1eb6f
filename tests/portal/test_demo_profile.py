"""The demo as a newcomer sees it: served with DEBUG off but still the demo profile, links at
the address rundemo serves on, emails from the demo clinic."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from portal.demo import CLINIC, seed_clinic
from portal.management.commands.rundemo import demo_site_url
from portal.messaging import from_address, render_email, send_email
from tests.portal.test_settings import assert_refused, clean_env, production, start

PROFILE = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps([s.DEBUG, s.PRODUCTION, s.WHITENOISE_USE_FINDERS]))"
)


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_can_run_with_debug_off_without_production_secrets() -> None:
    result = start(clean_env(DEBUG="false", PORTAL_PROFILE="demo"), PROFILE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, False, True]
    # DEBUG=false alone is still production, as deployments expect.
    assert_refused(start(clean_env(DEBUG="false")), "SECRET_KEY")


def test_production_never_runs_with_debug_pages() -> None:
    assert_refused(start(production(DEBUG="true", PORTAL_PROFILE="production")), "DEBUG")
    result = start(production(), PROFILE)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [False, True, False]


@pytest.mark.parametrize(
    ("addr", "url"),
    [
        ("127.0.0.1:8107", "http://127.0.0.1:8107"),
        ("8107", "http://127.0.0.1:8107"),
        ("0.0.0.0:8107", "http://localhost:8107"),
        ("[::1]:8107", "http://[::1]:8107"),
    ],
)
def test_links_use_the_address_rundemo_serves_on(addr: str, url: str) -> None:
    assert demo_site_url(addr) == url


@pytest.mark.django_db
def test_every_demo_email_comes_from_the_demo_clinic() -> None:
    seed_clinic()
    expected = CLINIC["email_from"]
    assert from_address() == expected
    mail.outbox.clear()
    send_email("someone@example.org", render_email("team_invitation", {"link": "x"}))
    # allauth's own emails (here a password reset) too.
    Client().post("/accounts/password/reset/", {"email": "alex@patient.example"})
    assert [m.from_email for m in mail.outbox] == [expected, expected]
    assert re.search(r"/accounts/password/reset/key/", str(mail.outbox[1].body))


@pytest.mark.django_db
def test_without_a_clinic_address_the_setting_is_used(settings: Any) -> None:
    settings.DEFAULT_FROM_EMAIL = "Clinic <bookings@example.org>"
    assert from_address() == "Clinic <bookings@example.org>"


def test_rundemo_refuses_the_production_profile() -> None:
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError
    from django.test import override_settings

    with override_settings(PRODUCTION=True), pytest.raises(CommandError, match="gunicorn"):
        call_command("rundemo", stdout=StringIO())
