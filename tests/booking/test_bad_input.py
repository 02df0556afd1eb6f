"""Malformed query values on the booking pages: a 404 or a friendly page, never a 500.

``isdigit()`` accepts superscript and circled digits that ``int()`` refuses; these are the
values reported in issue 13, sent through the real views.
"""

from __future__ import annotations

from urllib.parse import quote
from uuid import uuid4

import pytest
from django.test import Client

from booking.models import Booking, Practitioner, Service
from portal.models import User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import book, local
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

# Superscript, circled, Arabic-Indic and full-width digits; signs, spaces, zero, padding,
# past the id range, and a NUL byte.
ODD_DIGITS = [
    *("²", "¹²³", "⑦", "٣", "\uff11\uff12"),
    *("-1", " 1", "1 ", "+1", "0", "007", "9" * 40),
]


def get(client: Client, path: str, **params: str) -> int:
    query = "&".join(f"{k}={quote(v)}" for k, v in params.items())
    return client.get(f"{path}?{query}").status_code


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_odd_digits_in_with_show_everyone_s_times(
    patient: User, private: Service, value: str
) -> None:
    assert get(client_for(patient), f"/book/{private.slug}/times/", **{"with": value}) == 200


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_odd_digits_in_reschedule_are_404(patient: User, private: Service, value: str) -> None:
    client = client_for(patient)
    assert get(client, f"/book/{private.slug}/times/", reschedule=value) == 404
    start = local(WED, 9).isoformat()
    assert get(client, f"/book/{private.slug}/confirm/", start=start, reschedule=value) == 404


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_odd_digits_in_for_are_404_for_the_team(
    front_desk: User, private: Service, value: str
) -> None:
    client = client_for(front_desk)
    assert get(client, "/book/", **{"for": value}) == 404
    assert get(client, f"/book/{private.slug}/times/", **{"for": value}) == 404


@pytest.mark.parametrize("value", ODD_DIGITS)
def test_odd_digits_in_practitioner_on_confirm(patient: User, private: Service, value: str) -> None:
    start = local(WED, 9).isoformat()
    url = f"/book/{private.slug}/confirm/"
    # Read as "whoever is free", as any other unreadable value.
    assert get(client_for(patient), url, start=start, practitioner=value) == 200


def test_a_superscript_practitioner_posted_is_read_as_whoever_is_free(
    patient: User, private: Service, mei: Practitioner
) -> None:
    response = client_for(patient).post(
        f"/book/{private.slug}/confirm/",
        {"start": local(WED, 9).isoformat(), "practitioner": "²", "request_key": str(uuid4())},
    )
    assert response.status_code == 302
    assert Booking.objects.get().practitioner == mei


def test_a_malformed_reschedule_never_books_a_second_visit(patient: User, private: Service) -> None:
    mine = book(patient, private, local(WED, 9), now=NOW)
    response = client_for(patient).post(
        f"/book/{private.slug}/confirm/?reschedule=%C2%B2",
        {"start": local(WED, 14).isoformat(), "practitioner": "any", "request_key": str(uuid4())},
    )
    assert response.status_code == 404
    assert list(Booking.objects.all()) == [mine]


def test_a_nul_byte_in_the_caller_search_is_a_friendly_error(front_desk: User) -> None:
    # Refused before the view by portal.nul_bytes (the same for every parameter of every page).
    response = client_for(front_desk).get("/book/for-a-patient/?q=a%00b")
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()


def test_the_caller_search_still_finds_patients(front_desk: User, patient: User) -> None:
    response = client_for(front_desk).get("/book/for-a-patient/?q=Alex")
    assert response.status_code == 200 and patient.email in response.content.decode()


def test_a_reschedule_of_someone_else_s_visit_is_404(
    patient: User, other_patient: User, private: Service
) -> None:
    theirs = book(other_patient, private, local(WED, 9), now=NOW)
    url = f"/book/{private.slug}/times/"
    assert get(client_for(patient), url, reschedule=str(theirs.pk)) == 404
