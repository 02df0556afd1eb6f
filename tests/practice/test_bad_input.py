"""Malformed query and form values on the practitioner workspace: never a 500 (issue 13)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from booking.models import Booking, Practitioner
from portal.models import User
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

ODD = ["²", "¹²³", "⑦", "-1", " 1", "9" * 30, "", "all"]


@pytest.mark.parametrize("value", ODD)
def test_odd_p_on_the_availability_page_is_404(
    front_desk: User, mei: Practitioner, value: str
) -> None:
    response = client_for(front_desk).get("/practice/availability/", {"p": value})
    assert response.status_code == 404


@pytest.mark.parametrize("value", ODD)
def test_odd_p_posted_with_hours_is_404_and_adds_nothing(
    front_desk: User, mei: Practitioner, value: str
) -> None:
    before = mei.hours.count()
    response = client_for(front_desk).post(
        "/practice/availability/hours/",
        {"p": value, "weekday": "5", "start_time": "10:00", "end_time": "13:00"},
    )
    assert response.status_code in (302, 404)
    if value:
        assert response.status_code == 404 and mei.hours.count() == before


@pytest.mark.parametrize("param", ["p", "date", "week", "room"])
@pytest.mark.parametrize("value", ODD)
def test_odd_values_on_the_calendar_pages(
    front_desk: User, mei: Practitioner, param: str, value: str
) -> None:
    client = client_for(front_desk)
    for path in ("/practice/calendar/", "/practice/calendar/day/", "/practice/room/"):
        assert client.get(path, {param: value}).status_code == 200


@pytest.mark.parametrize("value", ["practitioner_dashboard", "foo", "//evil.example/", "\x00"])
def test_mark_arrived_with_a_next_that_is_no_local_url(
    front_desk: User, visit: Booking, value: str
) -> None:
    with time_machine.travel(visit.starts_at - timedelta(minutes=5), tick=False):
        response = client_for(front_desk).post(
            f"/practice/bookings/{visit.pk}/arrived/", {"next": value}
        )
    assert response["Location"] == f"/practice/bookings/{visit.pk}/"
    visit.refresh_from_db()
    assert visit.arrived_at is not None
