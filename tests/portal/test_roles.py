"""Who may open which page: every role against every dashboard and the admin."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from portal.models import Role, User
from portal.services import STAFF_GROUP, STAFF_PERMISSIONS, user_set_role
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD, UserFactory
from tests.second_factor import current_code

pytestmark = pytest.mark.django_db

LOGIN_PATH = reverse("account_login")
ADMIN_LOGIN_PATH = reverse("admin:login")
CAST = ["patient", "practitioner", "front_desk"]
MARKER = {
    "/me/": 'data-dashboard="patient"',
    "/practice/": 'data-dashboard="practitioner"',
    "/desk/": 'data-dashboard="staff"',
}
# (page, person) -> expected: a status code, or the path it redirects to.
EXPECTED: dict[tuple[str, str], int | str] = {
    ("/dashboard/", "patient"): "/me/",
    ("/dashboard/", "practitioner"): "/practice/",
    ("/dashboard/", "front_desk"): "/desk/",
    ("/me/", "patient"): 200,
    ("/me/", "practitioner"): 403,
    ("/me/", "front_desk"): 403,
    ("/practice/", "patient"): 403,
    ("/practice/", "practitioner"): 200,
    ("/practice/", "front_desk"): 403,
    ("/desk/", "patient"): 403,
    ("/desk/", "practitioner"): 403,
    ("/desk/", "front_desk"): 200,
}


def _person(request: pytest.FixtureRequest, name: str) -> User:
    user = request.getfixturevalue(name)
    assert isinstance(user, User)
    return user


@pytest.mark.parametrize("path", ["/dashboard/", "/me/", "/practice/", "/desk/"])
def test_anonymous_is_sent_to_login(client: Client, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    assert location.path == LOGIN_PATH
    assert parse_qs(location.query) == {"next": [path]}


def test_anonymous_is_sent_to_admin_login(client: Client) -> None:
    response = client.get("/admin/")
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == ADMIN_LOGIN_PATH


@pytest.mark.parametrize(("path", "who"), list(EXPECTED))
def test_each_role_gets_its_landing_or_403(
    request: pytest.FixtureRequest, path: str, who: str
) -> None:
    user = _person(request, who)
    response = client_for(user).get(path)
    expected = EXPECTED[(path, who)]
    body = response.content.decode()
    if isinstance(expected, str):
        assert response.status_code == 302
        assert response["Location"] == expected
    else:
        assert response.status_code == expected
    if path in MARKER:
        if expected == 200:
            assert MARKER[path] in body
        else:
            # A refused page never carries the page's content.
            assert MARKER[path] not in body
            assert "data-dashboard" not in body


@pytest.mark.parametrize("path", ["/me/", "/practice/", "/desk/"])
def test_refusal_is_the_403_page_not_a_login_loop(client: Client, patient: User, path: str) -> None:
    # A signed-in person without the role must not be bounced to the login
    # page (which would send them straight back): they get a 403.
    if path == "/me/":
        user = UserFactory.create(email="desk2@example.com", role=Role.STAFF)
    else:
        user = patient
    response = client_for(user).get(path)
    assert response.status_code == 403
    assert not response.has_header("Location")


@pytest.mark.parametrize(
    ("who", "dashboard"),
    [
        ("patient", "/me/"),
        ("practitioner", "/practice/"),
        ("front_desk", "/desk/"),
    ],
)
def test_login_sends_each_role_to_its_own_dashboard(
    request: pytest.FixtureRequest, who: str, dashboard: str
) -> None:
    user = _person(request, who)
    client = Client()
    response = client.post(
        LOGIN_PATH, {"login": user.email, "password": TEST_PASSWORD}, follow=True
    )
    if user.role != Role.PATIENT:
        # Team members type the code from their authenticator app after the password.
        assert [url for url, _ in response.redirect_chain] == [reverse("mfa_authenticate")]
        assert SESSION_KEY not in client.session
        response = client.post(
            reverse("mfa_authenticate"), {"code": current_code(user)}, follow=True
        )
    assert int(client.session[SESSION_KEY]) == user.pk
    assert response.status_code == 200
    assert [url for url, _ in response.redirect_chain] == [reverse("dashboard"), dashboard]
    assert MARKER[dashboard] in response.content.decode()


def test_a_user_without_a_known_role_lands_on_the_patient_page_and_is_refused(
    patient: User,
) -> None:
    User.objects.filter(pk=patient.pk).update(role="retired")
    client = client_for(patient)
    response = client.get("/dashboard/")
    assert response["Location"] == "/me/"
    assert client.get("/me/").status_code == 403


# --- the admin ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/portal/clinic/",
        "/admin/portal/user/",
    ],
)
def test_front_desk_can_use_the_admin(front_desk: User, clinic: Any, path: str) -> None:
    response = client_for(front_desk).get(path)
    assert response.status_code == 200


def test_front_desk_can_open_a_clinic_and_a_user_in_the_admin(
    front_desk: User, clinic: Any, patient: User
) -> None:
    client = client_for(front_desk)
    assert client.get(reverse("admin:portal_clinic_change", args=[clinic.pk])).status_code == 200
    assert client.get(reverse("admin:portal_user_change", args=[patient.pk])).status_code == 200
    listing = client.get("/admin/portal/user/")
    assert patient.email in listing.content.decode()


@pytest.mark.parametrize("who", ["patient", "practitioner"])
@pytest.mark.parametrize("path", ["/admin/", "/admin/portal/clinic/", "/admin/portal/user/"])
def test_patients_and_practitioners_cannot_use_the_admin(
    request: pytest.FixtureRequest, who: str, path: str
) -> None:
    user = _person(request, who)
    response = client_for(user).get(path)
    assert response.status_code == 302
    assert urlsplit(response["Location"]).path == ADMIN_LOGIN_PATH


def test_staff_without_the_group_sees_no_models(front_desk: User) -> None:
    front_desk.groups.clear()
    client = client_for(front_desk)
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/portal/user/").status_code == 403


# --- wrong method ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_refuses_writes(client: Client, method: str) -> None:
    response = getattr(client, method)("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_healthz_answers_head_for_probes(client: Client) -> None:
    # Uptime monitors and some load balancers probe with HEAD.
    response = client.head("/healthz")
    assert response.status_code == 200
    assert response.content == b""


def test_dashboard_post_does_not_change_anything(patient: User) -> None:
    # The dashboards only read: a POST gets the same redirect or page.
    client = client_for(patient)
    assert client.post("/dashboard/")["Location"] == "/me/"


# --- user_set_role keeps admin access in step -----------------------------------------------


def _in_staff_group(user: User) -> bool:
    return user.groups.filter(name=STAFF_GROUP).exists()


def test_promoting_to_staff_grants_the_admin_and_demoting_takes_it_away(
    practitioner: User, clinic: Any
) -> None:
    assert not practitioner.is_staff and not _in_staff_group(practitioner)
    assert client_for(practitioner).get("/admin/portal/user/").status_code == 302

    user_set_role(user=practitioner, role=Role.STAFF)
    practitioner.refresh_from_db()
    assert practitioner.role == Role.STAFF
    assert practitioner.is_staff and _in_staff_group(practitioner)
    assert practitioner.has_perm("portal.change_clinic")
    assert client_for(practitioner).get("/admin/portal/user/").status_code == 200
    assert client_for(practitioner).get("/desk/").status_code == 200

    user_set_role(user=practitioner, role=Role.PATIENT)
    practitioner = User.objects.get(pk=practitioner.pk)  # fresh permission cache
    assert practitioner.role == Role.PATIENT
    assert not practitioner.is_staff and not _in_staff_group(practitioner)
    assert not practitioner.has_perm("portal.change_clinic")
    assert client_for(practitioner).get("/admin/").status_code == 302
    assert client_for(practitioner).get("/desk/").status_code == 403


def test_a_superuser_keeps_the_admin_whatever_the_role(clinic: Any) -> None:
    owner = User.objects.create_superuser("owner@example.com", TEST_PASSWORD)
    user_set_role(user=owner, role=Role.PRACTITIONER)
    owner.refresh_from_db()
    assert owner.is_staff and owner.is_superuser
    assert not _in_staff_group(owner)


def test_set_role_keeps_the_clinic_or_takes_the_current_one(patient: User, clinic: Any) -> None:
    user_set_role(user=patient, role=Role.STAFF)
    patient.refresh_from_db()
    assert patient.clinic == clinic
    orphan = User.objects.create_user("orphan@example.com")
    user_set_role(user=orphan, role=Role.PRACTITIONER)
    orphan.refresh_from_db()
    assert orphan.clinic == clinic


def test_the_staff_group_holds_exactly_the_listed_permissions(front_desk: User) -> None:
    group = Group.objects.get(name=STAFF_GROUP)
    held = set(group.permissions.values_list("content_type__app_label", "codename"))
    listed = {
        (app, f"{action}_{model}")
        for app, models in STAFF_PERMISSIONS.items()
        for model, actions in models.items()
        for action in actions
    }
    assert held == listed
    assert {("portal", "view_clinic"), ("portal", "change_user")} <= held
    # Nothing that hands out access or reads health data: no adding users (the add form sets a
    # password), no groups or permissions, no authenticators, no email changes, no intake.
    for refused in [
        ("portal", "add_user"),
        ("portal", "delete_user"),
        ("auth", "change_group"),
        ("auth", "change_permission"),
        ("mfa", "view_authenticator"),
        ("account", "change_emailaddress"),
        ("payments", "change_payment"),
        ("booking", "change_booking"),
    ]:
        assert refused not in held
    assert not {app for app, _ in held} & {"intake", "auth", "mfa", "sessions", "admin"}
    assert Group.objects.filter(name=STAFF_GROUP).count() == 1


def test_admin_login_goes_through_allauth_so_its_rate_limits_apply(front_desk: User) -> None:
    # The admin's own login form would authenticate outside allauth's login_failed limit;
    # it hands over to the portal's login instead, and never signs anyone in itself.
    client = Client()
    response = client.post(
        ADMIN_LOGIN_PATH, {"username": front_desk.email, "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert SESSION_KEY not in client.session
