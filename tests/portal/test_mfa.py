"""The team's second factor, through the real sign-in, enrolment and recovery pages.

Practitioners, staff and the owner need an authenticator app before any workspace, admin or
patient page; sign-in asks for its code; team sessions end after 30 idle minutes and never get
"remember me". Patients may add an authenticator but are never made to.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from portal.authenticators import totp_code
from portal.models import Clinic, Role, User
from portal.team_security import TOUCH_EVERY_SECONDS
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD, UserFactory
from tests.second_factor import TEST_RECOVERY_CODES, TEST_TOTP_SECRET, current_code

pytestmark = pytest.mark.django_db

LOGIN = reverse("account_login")
CODE_STEP = reverse("mfa_authenticate")
ENROL = reverse("mfa_activate_totp")


def _password_step(client: Client, user: User, **extra: str) -> Any:
    return client.post(LOGIN, {"login": user.email, "password": TEST_PASSWORD, **extra})


def _signed_in_as(client: Client) -> str | None:
    return client.session.get(SESSION_KEY)


@pytest.fixture
def password_only(clinic: Any) -> User:
    """A practitioner who has not set up an authenticator yet."""
    return UserFactory.create(email="new.prac@example.com", role=Role.PRACTITIONER, totp=False)


# --- enrolment is required before anything else -------------------------------------------


@pytest.mark.parametrize(
    "path",
    ["/practice/", "/dashboard/", "/practice/calendar/", "/admin/", "/bookings/", "/"],
)
def test_a_practitioner_with_a_password_only_is_sent_to_enrolment(
    password_only: User, patient: User, path: str
) -> None:
    client = Client()
    _password_step(client, password_only)
    assert _signed_in_as(client) == str(password_only.pk)  # no code to ask for yet
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"] == ENROL


def test_a_password_only_practitioner_cannot_open_a_patients_record(
    password_only: User, patient: User
) -> None:
    client = Client()
    _password_step(client, password_only)
    for path in [f"/practice/patients/{patient.pk}/", f"/admin/portal/user/{patient.pk}/change/"]:
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, ENROL), path
        assert patient.email not in response.content.decode()


@pytest.mark.parametrize("role", [Role.STAFF, Role.PRACTITIONER])
def test_every_team_role_and_the_owner_must_enrol(clinic: Any, role: Role) -> None:
    member = UserFactory.create(email=f"{role}@example.com", role=role, totp=False)
    owner = User.objects.create_superuser("boss@example.com", TEST_PASSWORD)
    for user in (member, owner):
        client = Client()
        client.force_login(user)
        assert client.get("/dashboard/")["Location"] == ENROL, user.email


@pytest.mark.django_db(transaction=True)
def test_enrolment_with_a_real_code_shows_recovery_codes_and_opens_the_workspace(
    password_only: User,
) -> None:
    client = Client()
    _password_step(client, password_only)
    # allauth asks for the password again before adding an authenticator.
    asked = client.get(ENROL)
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    client.post(asked["Location"], {"password": TEST_PASSWORD})
    page = client.get(ENROL)
    assert page.status_code == 200
    secret = page.context["form"].secret
    assert secret in page.content.decode()  # typed into an app by hand if the QR will not scan

    wrong = client.post(ENROL, {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=password_only).exists()

    done = client.post(ENROL, {"code": totp_code(secret)})
    assert done["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(done["Location"]).content.decode()
    recovery = Authenticator.objects.get(user=password_only, type="recovery_codes").wrap()
    codes = recovery.get_unused_codes()
    assert len(codes) == settings.MFA_RECOVERY_CODE_COUNT
    assert all(code in codes_page for code in codes)
    assert reverse("dashboard") in codes_page  # and a way on from there

    # Typing the new app's code counts as this session's second factor.
    assert client.get("/practice/").status_code == 200


# --- signing in with the code ----------------------------------------------------------------


def test_sign_in_of_an_enrolled_practitioner_asks_for_the_code(practitioner: User) -> None:
    client = Client()
    response = _password_step(client, practitioner)
    assert response["Location"] == CODE_STEP
    assert _signed_in_as(client) is None  # not signed in on the password alone
    assert client.get("/practice/")["Location"].startswith(LOGIN)
    # The second step speaks as the rest of the portal does ("Log in", not "Sign In").
    step = client.get(CODE_STEP).content.decode()
    assert "Type the code from your authenticator app" in step
    assert "Two-Factor Authentication" not in step and "Sign In" not in step

    response = client.post(CODE_STEP, {"code": current_code(practitioner)})
    assert response["Location"] == reverse("dashboard")
    assert _signed_in_as(client) == str(practitioner.pk)
    assert client.get("/practice/").status_code == 200


def test_a_wrong_code_is_refused(practitioner: User) -> None:
    client = Client()
    _password_step(client, practitioner)
    right = current_code(practitioner)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = client.post(CODE_STEP, {"code": wrong})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert _signed_in_as(client) is None
    assert client.get("/practice/").status_code == 302


@pytest.mark.parametrize(("steps_ago", "accepted"), [(1, True), (2, False)])
def test_the_code_that_just_changed_still_works_but_an_older_one_does_not(
    practitioner: User, steps_ago: int, accepted: bool
) -> None:
    # Someone reads the code in its last second and types it after the app has moved on.
    period = int(getattr(settings, "MFA_TOTP_PERIOD", 30))
    secret = TEST_TOTP_SECRET
    client = Client()
    _password_step(client, practitioner)
    with time_machine.travel(time.time(), tick=False):
        client.post(CODE_STEP, {"code": totp_code(secret, at=time.time() - steps_ago * period)})
    assert (_signed_in_as(client) == str(practitioner.pk)) is accepted


def test_a_code_signs_in_once(practitioner: User) -> None:
    code = current_code(practitioner)
    first, second = Client(), Client()
    _password_step(first, practitioner)
    first.post(CODE_STEP, {"code": code})
    _password_step(second, practitioner)
    second.post(CODE_STEP, {"code": code})
    assert _signed_in_as(first) == str(practitioner.pk)
    assert _signed_in_as(second) is None  # someone who saw the code over a shoulder


def test_a_recovery_code_works_once(practitioner: User) -> None:
    code = TEST_RECOVERY_CODES[3]
    first = Client()
    _password_step(first, practitioner)
    first.post(CODE_STEP, {"code": code})
    assert _signed_in_as(first) == str(practitioner.pk)
    assert first.get("/practice/").status_code == 200

    again = Client()
    _password_step(again, practitioner)
    response = again.post(CODE_STEP, {"code": code})
    assert response.status_code == 200
    assert _signed_in_as(again) is None
    recovery = Authenticator.objects.get(user=practitioner, type="recovery_codes").wrap()
    assert code not in recovery.get_unused_codes()
    assert len(recovery.get_unused_codes()) == len(TEST_RECOVERY_CODES) - 1


def test_a_session_that_skipped_the_code_is_signed_out(practitioner: User) -> None:
    # A session signed in some other way (older than the rule, or a bug) never reaches data.
    client = Client()
    client.force_login(practitioner)
    response = client.get("/practice/")
    assert response["Location"] == f"{LOGIN}?next=/practice/"
    assert _signed_in_as(client) is None


def test_the_code_step_is_checked_on_the_admin_too(front_desk: User) -> None:
    client = Client()
    client.force_login(front_desk)
    assert client.get("/admin/portal/user/")["Location"].startswith(LOGIN)
    assert client_for(front_desk).get("/admin/portal/user/").status_code == 200


# --- idle timeout and no "remember me" for the team ---------------------------------------------


def test_a_team_member_idle_for_31_minutes_is_signed_out(practitioner: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = client_for(practitioner)
        assert client.get("/practice/").status_code == 200
        traveller.shift(timedelta(minutes=29))
        assert client.get("/practice/").status_code == 200  # activity keeps the session
        traveller.shift(timedelta(minutes=31))
        response = client.get("/practice/")
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)
    assert _signed_in_as(client) is None


def test_a_patient_is_not_signed_out_after_31_minutes(patient: User) -> None:
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        client = client_for(patient)
        assert client.get("/me/").status_code == 200
        traveller.shift(timedelta(minutes=31))
        assert client.get("/me/").status_code == 200


def test_the_team_never_gets_remember_me(practitioner: User, patient: User) -> None:
    team = Client()
    _password_step(team, practitioner, remember="on")
    team.post(CODE_STEP, {"code": current_code(practitioner)})
    assert _signed_in_as(team) == str(practitioner.pk)
    # The stored session lasts the idle limit (plus the minute between writes), not 14 days.
    team_limit = Clinic.objects.current().team_idle_minutes * 60 + TOUCH_EVERY_SECONDS
    assert team.session.get_expiry_age() == team_limit
    cookie = team.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == team_limit < settings.SESSION_COOKIE_AGE

    # A patient who ticks it stays signed in on their own device as before.
    own = Client()
    _password_step(own, patient, remember="on")
    assert _signed_in_as(own) == str(patient.pk)
    assert own.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def test_the_idle_limit_is_a_clinic_setting(practitioner: User, clinic: Clinic) -> None:
    clinic.team_idle_minutes = 5
    clinic.save()
    start = time.time()
    with time_machine.travel(start, tick=False) as traveller:
        client = client_for(practitioner)
        assert client.get("/practice/").status_code == 200
        traveller.shift(timedelta(minutes=6))
        assert client.get("/practice/").status_code == 302


# --- patients: optional --------------------------------------------------------------------------


def test_patients_are_not_forced_and_may_set_it_up_from_their_privacy_page(
    patient: User,
) -> None:
    client = Client()
    _password_step(client, patient)
    assert _signed_in_as(client) == str(patient.pk)
    assert client.get("/me/").status_code == 200
    privacy = client.get(reverse("intake:privacy")).content.decode()
    assert reverse("mfa_index") in privacy
    assert client.get(reverse("mfa_index")).status_code == 200


def test_a_patient_who_set_it_up_is_asked_for_the_code(patient: User) -> None:
    from tests.second_factor import give_authenticator

    give_authenticator(patient)
    client = Client()
    assert _password_step(client, patient)["Location"] == CODE_STEP
    client.post(CODE_STEP, {"code": current_code(patient)})
    assert client.get("/me/").status_code == 200
