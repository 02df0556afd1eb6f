"""A NUL byte anywhere in the query string gets the friendly 400 page, on any page (the
admin's list filters included), never a database error."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import Role, User
from portal.nul_bytes import query_has_nul
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("query", "refused"),
    [
        ("q=a%00b", True),
        ("%00=1", True),
        ("role__exact=%00", True),
        ("q=a%2500b", False),  # an escaped percent sign, not a NUL
        ("q=a+b", False),
        ("", False),
    ],
)
def test_query_has_nul_reads_the_decoded_query(query: str, refused: bool) -> None:
    assert query_has_nul(query) is refused


def test_a_nul_in_the_admin_list_filter_is_a_friendly_400(clinic: object) -> None:
    owner = UserFactory.create(role=Role.STAFF)
    User.objects.filter(pk=owner.pk).update(is_superuser=True, is_staff=True)
    owner.refresh_from_db()
    client = client_for(owner)
    url = reverse("admin:portal_user_changelist")
    assert client.get(url, {"q": "ann"}).status_code == 200
    response = client.get(url + "?q=a%00b&role__exact=%00")
    assert response.status_code == 400
    assert b"Something in that address was not right" in response.content
    assert "Content-Security-Policy" in response.headers


def test_a_nul_on_a_public_page_is_a_friendly_400() -> None:
    response = Client().get(reverse("home") + "?next=%00")
    assert response.status_code == 400
    assert b"Nothing was changed" in response.content


@pytest.mark.parametrize(
    "path",
    [
        "/book/for-a-patient/?for=1%00",
        "/practice/calendar/?week=2026-12-07%00",
        "/practice/calendar/?p=1%00",
        "/practice/availability/?p=1%00",
    ],
)
def test_a_nul_in_an_id_or_date_parameter_is_a_friendly_400(path: str, front_desk: User) -> None:
    response = client_for(front_desk).get(path)
    assert response.status_code == 400
    assert b"Something in that address was not right" in response.content


def test_a_form_without_its_csrf_token_gets_a_friendly_page(patient: User) -> None:
    client = client_for(patient)
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("intake:diary"), {"pain": "3"})
    assert response.status_code == 403
    assert b"Please send that again" in response.content
    assert "Content-Security-Policy" in response.headers


@pytest.mark.parametrize("ticked", ["abc", "1\x00", "\u00b2", "1.5", ""])
@pytest.mark.parametrize(
    "changelist",
    [
        "admin:portal_user_changelist",
        "admin:booking_booking_changelist",
        # Third-party apps' admins go through the same site.
        "admin:account_emailaddress_changelist",
        "admin:mfa_authenticator_changelist",
    ],
)
def test_an_admin_action_on_rows_that_are_not_ids_is_a_friendly_400(
    owner: User, ticked: str, changelist: str
) -> None:
    response = client_for(owner).post(
        reverse(changelist),
        {"action": "delete_selected", "_selected_action": [ticked], "index": "0"},
    )
    assert response.status_code == 400
    assert b"Something in that address was not right" in response.content


def test_bad_admin_list_input_from_someone_signed_out_goes_to_sign_in() -> None:
    response = Client().post(
        reverse("admin:booking_booking_changelist"),
        {"action": "delete_selected", "_selected_action": ["abc"], "index": "0"},
    )
    assert response.status_code == 302


def test_the_admin_names_the_portals_icon(owner: User) -> None:
    page = client_for(owner).get(reverse("admin:index")).content.decode()
    assert 'rel="icon"' in page and "Clinic administration" in page


def test_an_admin_action_on_real_ids_still_asks_to_confirm(owner: User, patient: User) -> None:
    response = client_for(owner).post(
        reverse("admin:portal_user_changelist"),
        {"action": "delete_selected", "_selected_action": [str(patient.pk)], "index": "0"},
    )
    assert response.status_code == 200
    assert b"<title>Delete multiple objects" in response.content
    assert User.objects.filter(pk=patient.pk).exists()


@pytest.mark.parametrize(
    "cookie",
    [
        'sessionid="\\000aaaaaaaaaaaaaaa"',
        'sessionid="aaaaaaaa\\000aaaaaaa"',
        "sessionid=" + "\u00b2" * 9,
    ],
)
def test_a_session_cookie_no_django_key_could_be_is_no_session(cookie: str) -> None:
    client = Client()
    response = client.get(reverse("home"), HTTP_COOKIE=cookie)
    assert response.status_code == 200
    assert b"Something in that address" not in response.content


def test_a_real_session_cookie_still_signs_in(patient: User) -> None:
    client = client_for(patient)
    key = client.cookies["sessionid"].value
    assert client.session.session_key == key
    response = Client().get(reverse("my_details"), HTTP_COOKIE=f"sessionid={key}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        "year=9999",
        "year=9999&{f}__month=12",
        "year=9999&{f}__month=12&{f}__day=31",
        "year=99999999999999999999",
        "year=2026&{f}__month=99999999999999999999",
        "year=2026&{f}__month=1&{f}__day=99999999999999999999",
        "year=%C2%B2",
    ],
)
@pytest.mark.parametrize(
    ("changelist", "field"),
    [
        ("admin:booking_booking_changelist", "starts_at"),
        ("admin:payments_payment_changelist", "created_at"),
        ("admin:followup_outboxmessage_changelist", "due_at"),
    ],
)
def test_an_admin_date_drill_down_past_the_calendar_is_a_friendly_400(
    front_desk: User, changelist: str, field: str, query: str
) -> None:
    url = reverse(changelist) + f"?{field}__" + query.format(f=field)
    response = client_for(front_desk).get(url)
    assert response.status_code == 400
    assert b"Something in that address was not right" in response.content


def test_an_admin_date_drill_down_within_the_calendar_still_lists(front_desk: User) -> None:
    url = reverse("admin:booking_booking_changelist")
    client = client_for(front_desk)
    assert client.get(url + "?starts_at__year=9998&starts_at__month=12").status_code == 200
    assert client.get(url + "?starts_at__year=2026&starts_at__month=13").status_code == 302
