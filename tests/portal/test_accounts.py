"""Accounts through allauth, end to end over HTTP: sign-up, verification, login,
logout, password reset, enumeration prevention and login rate limits.

Assertions are on behaviour (status codes, redirects, sessions, rows, emails and
the links in them), never on wording or markup, so the templates can be restyled.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
import redis
from allauth.account.adapter import get_adapter
from allauth.account.models import EmailAddress, EmailConfirmation
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from portal.models import Clinic, Role, User
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

SIGNUP_URL = reverse("account_signup")
LOGIN_URL = reverse("account_login")
LOGOUT_URL = reverse("account_logout")
RESET_URL = reverse("account_reset_password")
VERIFICATION_SENT_URL = reverse("account_email_verification_sent")
NEW_PASSWORD = "a-fresh-and-long-passphrase-42"

_URL_RE = re.compile(r"https?://[^\s\"'<>]+")


# --- helpers -----------------------------------------------------------------


def _signup_data(**overrides: str) -> dict[str, str]:
    data = {
        "first_name": "Robin",
        "last_name": "Hart",
        "email": "robin.hart@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def _paths_in(message: mail.EmailMessage) -> list[str]:
    """Paths of every link in an email (text body and any HTML alternative)."""
    bodies = [str(message.body)]
    bodies += [str(content) for content, _mime in getattr(message, "alternatives", [])]
    return [urlsplit(url).path for body in bodies for url in _URL_RE.findall(body)]


def _confirmation_path(message: mail.EmailMessage) -> str:
    prefix = reverse("account_confirm_email", args=["KEY"]).removesuffix("KEY/")
    paths = [p for p in _paths_in(message) if p.startswith(prefix) and p != prefix]
    assert len(set(paths)) == 1, f"expected one confirmation link, got {paths}"
    return paths[0]


def _reset_path(message: mail.EmailMessage) -> str:
    prefix = RESET_URL + "key/"
    paths = [p for p in _paths_in(message) if p.startswith(prefix) and "/done/" not in p]
    assert len(set(paths)) == 1, f"expected one reset link, got {paths}"
    return paths[0]


def _login(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN_URL, {"login": email, "password": password}, **extra)


def _is_logged_in(client: Client) -> bool:
    return SESSION_KEY in client.session


def _form_errors(response: Any) -> dict[str, list[str]]:
    form = response.context["form"]
    return {field: list(errors) for field, errors in form.errors.items()}


# --- sign-up and verification ------------------------------------------------------


def test_signup_page_renders_the_clinic_fields(client: Client, clinic: Clinic) -> None:
    response = client.get(SIGNUP_URL)
    assert response.status_code == 200
    fields = set(response.context["form"].fields)
    assert {"first_name", "last_name", "email", "password1", "password2"} <= fields


def test_signup_creates_an_unverified_patient_of_the_clinic_and_sends_a_link(
    client: Client, clinic: Clinic
) -> None:
    response = client.post(
        SIGNUP_URL, _signup_data(email="Robin.Hart@Example.com", phone="07777 123456")
    )

    assert response.status_code == 302
    assert response["Location"] == VERIFICATION_SENT_URL
    user = User.objects.get()
    assert user.email == "robin.hart@example.com"  # stored lower-case
    assert (user.first_name, user.last_name, user.phone) == ("Robin", "Hart", "+447777123456")
    assert user.role == Role.PATIENT
    assert user.clinic == clinic
    assert not user.is_staff and not user.is_superuser
    assert user.check_password(NEW_PASSWORD)
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.verified, address.primary) == (user.email, False, True)
    # Mandatory verification: the user is not signed in yet.
    assert not _is_logged_in(client)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["robin.hart@example.com"]
    _confirmation_path(mail.outbox[0])


def test_signup_joins_the_portal_s_one_clinic(client: Client) -> None:
    clinic = Clinic.objects.current()
    client.post(SIGNUP_URL, _signup_data())
    assert User.objects.get().clinic == clinic
    assert Clinic.objects.count() == 1


def test_cannot_log_in_before_verifying(client: Client, clinic: Clinic) -> None:
    client.post(SIGNUP_URL, _signup_data())
    page = client.get(VERIFICATION_SENT_URL).content.decode()
    assert "Still nothing after a few minutes?" in page and f'href="{LOGIN_URL}"' in page
    fresh = Client()
    sent_before = len(mail.outbox)
    cache.clear()  # allauth's one-link-per-three-minutes limit has passed

    response = _login(fresh, "robin.hart@example.com", NEW_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == VERIFICATION_SENT_URL
    assert not _is_logged_in(fresh)
    # What the page promises: logging in again sends a new link.
    assert len(mail.outbox) == sent_before + 1
    dashboard = fresh.get(reverse("patient_dashboard"))
    assert dashboard.status_code == 302
    assert urlsplit(dashboard["Location"]).path == LOGIN_URL


def test_confirmation_link_get_shows_a_page_and_post_verifies_and_logs_in(
    client: Client, clinic: Clinic
) -> None:
    client.post(SIGNUP_URL, _signup_data())
    path = _confirmation_path(mail.outbox[0])
    user = User.objects.get()

    # GET only shows the confirmation page: a mail scanner following the link
    # must not verify the address.
    page = client.get(path)
    assert page.status_code == 200
    assert page.context["confirmation"] is not None
    assert page.context["can_confirm"]
    assert not EmailAddress.objects.get(user=user).verified
    assert not _is_logged_in(client)

    response = client.post(path, follow=True)

    assert EmailAddress.objects.get(user=user).verified
    assert _is_logged_in(client)
    assert int(client.session[SESSION_KEY]) == user.pk
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("patient_dashboard")
    assert 'data-dashboard="patient"' in response.content.decode()


def test_confirmation_in_another_browser_verifies_but_does_not_log_in(
    client: Client, clinic: Clinic
) -> None:
    # Logging in on confirmation is only safe for the browser that signed up.
    client.post(SIGNUP_URL, _signup_data())
    path = _confirmation_path(mail.outbox[0])
    elsewhere = Client()

    elsewhere.post(path)

    assert EmailAddress.objects.get(email="robin.hart@example.com").verified
    assert not _is_logged_in(elsewhere)
    # ...and now the password works.
    response = _login(elsewhere, "robin.hart@example.com", NEW_PASSWORD)
    assert response.status_code == 302
    assert _is_logged_in(elsewhere)


def test_a_bad_confirmation_key_confirms_nothing(client: Client, clinic: Clinic) -> None:
    client.post(SIGNUP_URL, _signup_data())
    path = reverse("account_confirm_email", args=["not-a-real-key"])
    assert client.get(path).context["confirmation"] is None
    client.post(path)
    assert not EmailAddress.objects.get().verified
    assert not _is_logged_in(client)


# --- sign-up with bad input ---------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "bad_field"),
    [
        ({"password2": "a-different-long-passphrase-7"}, "password2"),
        ({"first_name": ""}, "first_name"),
        ({"last_name": "   "}, "last_name"),
        ({"email": "robin.hart-at-example.com"}, "email"),
        ({"password1": "password123", "password2": "password123"}, "password1"),
        ({"password1": "Zq9vX", "password2": "Zq9vX"}, "password1"),
    ],
    ids=["mismatched", "no-first-name", "blank-last-name", "bad-email", "common", "short"],
)
def test_signup_with_bad_input_shows_errors_creates_nothing_and_keeps_values(
    client: Client, clinic: Clinic, overrides: dict[str, str], bad_field: str
) -> None:
    data = _signup_data(**overrides)

    response = client.post(SIGNUP_URL, data)

    assert response.status_code == 200
    errors = _form_errors(response)
    assert bad_field in errors, errors
    assert not User.objects.exists()
    assert not EmailAddress.objects.exists()
    assert mail.outbox == []
    assert not _is_logged_in(client)
    # What the person typed is still there (except passwords, never echoed).
    form = response.context["form"]
    html = response.content.decode()
    for field in ("first_name", "last_name", "email"):
        assert form[field].value() == data[field]
        if data[field].strip():
            assert f'value="{data[field]}"' in html, field
    assert data["password1"] not in html


def test_signup_closed_when_the_clinic_turns_it_off(
    client: Client, clinic: Clinic, settings: Any
) -> None:
    settings.ACCOUNT_ALLOW_SIGNUPS = False
    response = client.post(SIGNUP_URL, _signup_data())
    assert response.status_code == 200
    assert not User.objects.exists()
    assert mail.outbox == []


# --- enumeration prevention on sign-up ------------------------------------------------


def test_signup_with_an_existing_email_looks_the_same_and_tells_the_owner(
    patient: User,
) -> None:
    new_person = Client()
    fresh = new_person.post(SIGNUP_URL, _signup_data())
    assert len(mail.outbox) == 1
    mail.outbox.clear()
    users_before = User.objects.count()

    attacker = Client()
    taken = attacker.post(SIGNUP_URL, _signup_data(email="Patient@Example.com"))

    # Same answer as a genuine new sign-up: nothing reveals the account exists.
    assert (taken.status_code, taken["Location"]) == (fresh.status_code, fresh["Location"])
    assert attacker.get(taken["Location"]).status_code == 200
    # No second account, no second address, no confirmation for the attacker.
    assert User.objects.count() == users_before
    assert User.objects.filter(email__iexact="patient@example.com").count() == 1
    assert EmailAddress.objects.filter(email__iexact="patient@example.com").count() == 1
    assert not EmailConfirmation.objects.filter(email_address__user=patient).exists()
    assert not _is_logged_in(attacker)
    # The real owner hears about it, with a way back in (a password reset),
    # and no confirmation link that could hand the account to someone else.
    assert len(mail.outbox) == 1
    (message,) = mail.outbox
    assert message.to == ["patient@example.com"]
    paths = _paths_in(message)
    assert RESET_URL in paths
    assert not any(p.startswith("/accounts/confirm-email/") for p in paths)
    # The owner's account is untouched.
    patient.refresh_from_db()
    assert patient.check_password(TEST_PASSWORD)
    assert patient.first_name == "Alex"


# --- login and logout ----------------------------------------------------------------


@pytest.mark.parametrize("typed", ["patient@example.com", "PATIENT@Example.COM"])
def test_login_with_email_any_case_lands_on_the_dashboard(patient: User, typed: str) -> None:
    client = Client()
    response = _login(client, typed, TEST_PASSWORD, follow=True)
    assert int(client.session[SESSION_KEY]) == patient.pk
    assert [url for url, _ in response.redirect_chain] == [
        reverse("dashboard"),
        reverse("patient_dashboard"),
    ]
    assert 'data-dashboard="patient"' in response.content.decode()


def test_login_honours_a_safe_next_url_and_ignores_an_offsite_one(patient: User) -> None:
    client = Client()
    response = client.post(
        LOGIN_URL + "?next=/me/", {"login": patient.email, "password": TEST_PASSWORD}
    )
    assert response["Location"] == "/me/"
    other = Client()
    response = other.post(
        LOGIN_URL + "?next=https://evil.example/",
        {"login": patient.email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


@pytest.mark.usefixtures("clinic")
def test_the_headers_sign_up_and_log_in_links_keep_the_chosen_time() -> None:
    """A newcomer sent to log in after choosing a time who pressed the header's Sign up lost
    the time (the header linked to a bare /accounts/signup/); both header links carry next."""
    chosen = "/book/follow-up/confirm/?with=1&start=2027-03-03T09:00:00+00:00"
    wanted = "next=" + quote(chosen, safe="")
    client = Client()
    login_page = client.get(LOGIN_URL, {"next": chosen}).content.decode()
    assert 'href="/accounts/signup/"' not in login_page
    assert login_page.count(f'href="/accounts/signup/?{wanted}"') >= 3  # bar, menu, page
    signup_page = client.get("/accounts/signup/", {"next": chosen}).content.decode()
    assert 'href="/accounts/login/"' not in signup_page
    assert f'href="/accounts/login/?{wanted}"' in signup_page
    # Without a chosen time the links stay plain.
    assert 'href="/accounts/signup/"' in client.get(LOGIN_URL).content.decode()


def test_wrong_password_shows_an_error_and_does_not_log_in(patient: User) -> None:
    client = Client()
    response = _login(client, patient.email, "not-the-password")
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.non_field_errors()) == [
        str(get_adapter().error_messages["email_password_mismatch"])
    ]
    assert not _is_logged_in(client)
    # The typed email is kept; the password is not echoed back.
    assert form["login"].value() == patient.email
    assert "not-the-password" not in response.content.decode()


def test_unknown_email_gets_the_same_error_as_a_wrong_password(patient: User) -> None:
    unknown = _login(Client(), "nobody@example.com", "whatever-123456")
    wrong = _login(Client(), patient.email, "whatever-123456")
    assert unknown.status_code == wrong.status_code == 200
    assert list(unknown.context["form"].non_field_errors()) == list(
        wrong.context["form"].non_field_errors()
    )


def test_inactive_user_cannot_log_in(patient: User) -> None:
    patient.is_active = False
    patient.save()
    client = Client()
    _login(client, patient.email, TEST_PASSWORD)
    assert not _is_logged_in(client)


def test_logout_needs_a_post(patient: User) -> None:
    client = Client()
    client.force_login(patient)

    # GET shows a confirmation page but keeps the session: a link or an <img>
    # elsewhere must not be able to sign someone out.
    assert client.get(LOGOUT_URL).status_code == 200
    assert _is_logged_in(client)

    response = client.post(LOGOUT_URL)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert not _is_logged_in(client)
    assert client.get(reverse("patient_dashboard")).status_code == 302


# --- password reset ----------------------------------------------------------------------


def test_password_reset_round_trip(patient: User) -> None:
    client = Client()
    response = client.post(RESET_URL, {"email": "Patient@Example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [patient.email]
    key_path = _reset_path(mail.outbox[0])

    # The emailed link stashes the key in the session and moves it out of the URL.
    response = client.get(key_path)
    assert response.status_code == 302
    set_password_path = response["Location"]
    assert set_password_path.startswith(RESET_URL + "key/")
    assert set_password_path != key_path
    page = client.get(set_password_path)
    assert page.status_code == 200
    assert not page.context.get("token_fail")

    response = client.post(
        set_password_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_from_key_done")
    assert not _is_logged_in(client)  # ACCOUNT_LOGIN_ON_PASSWORD_RESET is off

    assert not _is_logged_in(_login_client(patient.email, TEST_PASSWORD))
    assert _is_logged_in(_login_client(patient.email, NEW_PASSWORD))
    # The link is spent once used.
    again = Client().get(key_path)
    assert again.status_code == 200
    assert again.context["token_fail"]


def _login_client(email: str, password: str) -> Client:
    client = Client()
    _login(client, email, password)
    return client


def test_password_reset_rejects_a_mismatched_new_password(patient: User) -> None:
    client = Client()
    client.post(RESET_URL, {"email": patient.email})
    set_password_path = client.get(_reset_path(mail.outbox[0]))["Location"]
    response = client.post(
        set_password_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}
    )
    assert response.status_code == 200
    assert "password2" in _form_errors(response)
    patient.refresh_from_db()
    assert patient.check_password(TEST_PASSWORD)


def test_password_reset_for_an_unknown_email_looks_the_same(patient: User) -> None:
    known = Client().post(RESET_URL, {"email": patient.email})
    unknown = Client().post(RESET_URL, {"email": "nobody@example.com"})
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    # The stranger's mail carries no reset link.
    stranger_mail = [m for m in mail.outbox if m.to == ["nobody@example.com"]]
    assert all(
        not any(p.startswith(RESET_URL + "key/") for p in _paths_in(m)) for m in stranger_mail
    )


# --- login rate limiting (real Redis cache) ----------------------------------------------


def _per_key_limit() -> int:
    rates = [r for r in settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",") if "key" in r]
    assert len(rates) == 1
    return int(rates[0].split("/")[0])


def _per_ip_limit() -> int:
    rates = [r for r in settings.ACCOUNT_RATE_LIMITS["login_failed"].split(",") if "/ip" in r]
    assert len(rates) == 1
    return int(rates[0].split("/")[0])


def _redis_keys(pattern: str) -> list[bytes]:
    location = settings.CACHES["default"]["LOCATION"]
    return list(redis.Redis.from_url(location).scan_iter(match=pattern))


@pytest.fixture
def redis_cache() -> None:
    backend = settings.CACHES["default"]["BACKEND"]
    assert backend.endswith("RedisCache"), (
        "rate-limit tests need the real Redis cache: run with REDIS_URL set"
    )


@pytest.mark.usefixtures("redis_cache")
def test_login_is_refused_after_too_many_failures_even_with_the_right_password(
    patient: User,
) -> None:
    limit = _per_key_limit()
    too_many = str(get_adapter().error_messages["too_many_login_attempts"])
    # Vary the case of the email and the browser: the limit follows the account.
    for attempt in range(limit):
        email = patient.email.upper() if attempt % 2 else patient.email
        response = _login(Client(), email, f"wrong-{attempt}")
        assert response.status_code == 200
        assert too_many not in list(response.context["form"].non_field_errors())

    # The counter lives in Redis, shared by every web process.
    assert _redis_keys("*allauth:rl:allauth.account:login_failed*")

    client = Client()
    response = _login(client, patient.email, TEST_PASSWORD)
    assert response.status_code == 200
    assert list(response.context["form"].non_field_errors()) == [too_many]
    assert not _is_logged_in(client)
    # Another address from the same browser and IP is not locked out by this.
    other = User.objects.create_user("someone.else@example.com", TEST_PASSWORD)
    EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    assert _is_logged_in(_login_client(other.email, TEST_PASSWORD))


@pytest.mark.usefixtures("redis_cache")
def test_failures_below_the_limit_do_not_block_the_right_password(patient: User) -> None:
    for attempt in range(_per_key_limit() - 1):
        _login(Client(), patient.email, f"wrong-{attempt}")
    assert _is_logged_in(_login_client(patient.email, TEST_PASSWORD))


@pytest.mark.usefixtures("redis_cache")
def test_one_ip_trying_many_accounts_is_refused(patient: User, other_patient: User) -> None:
    too_many = str(get_adapter().error_messages["too_many_login_attempts"])
    for attempt in range(_per_ip_limit()):
        _login(Client(), f"guess{attempt}@example.com", "wrong-password-123")
    client = Client()
    response = _login(client, other_patient.email, TEST_PASSWORD)
    assert list(response.context["form"].non_field_errors()) == [too_many]
    assert not _is_logged_in(client)
    # A different address is not affected by that IP's failures.
    elsewhere = Client(REMOTE_ADDR="192.0.2.44")
    _login(elsewhere, other_patient.email, TEST_PASSWORD)
    assert _is_logged_in(elsewhere)


@pytest.mark.usefixtures("redis_cache")
def test_a_password_reset_lifts_the_login_lock(patient: User) -> None:
    for attempt in range(_per_key_limit()):
        _login(Client(), patient.email, f"wrong-{attempt}")
    assert not _is_logged_in(_login_client(patient.email, TEST_PASSWORD))

    client = Client()
    client.post(RESET_URL, {"email": patient.email})
    set_password_path = client.get(_reset_path(mail.outbox[0]))["Location"]
    client.post(set_password_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    assert _is_logged_in(_login_client(patient.email, NEW_PASSWORD))
