"""Staff edit a practitioner's hours, dated changes and time off from the workspace, with
the practitioner's own forms and rules; other clinics' practitioners stay out of reach."""

from __future__ import annotations

from typing import Any

import pytest

from booking.models import Booking, BookingStatus, Practitioner, TimeOff, WeeklyHours
from portal.models import User
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

HOURS = "/practice/availability/hours/"


def test_staff_open_any_practitioner_s_page_and_can_switch(
    front_desk: User, mei: Practitioner, david: Practitioner
) -> None:
    client = client_for(front_desk)
    first = client.get("/practice/availability/")
    assert first.status_code == 200 and "no-store" in first["Cache-Control"]
    page = client.get(f"/practice/availability/?p={david.pk}").content.decode()
    assert "David Rhys" in page
    assert f'<option value="{mei.pk}"' in page  # the switcher lists the team
    assert f'name="p" value="{david.pk}"' in page  # every form posts for David


def test_staff_add_hours_for_a_practitioner(front_desk: User, david: Practitioner) -> None:
    response = client_for(front_desk).post(
        HOURS, {"p": str(david.pk), "weekday": "5", "start_time": "10:00", "end_time": "13:00"}
    )
    assert response.status_code == 302
    assert response["Location"] == f"/practice/availability/?p={david.pk}"
    assert david.hours.filter(weekday=5, start_time="10:00").exists()


def test_staff_get_the_same_validation(front_desk: User, mei: Practitioner) -> None:
    client = client_for(front_desk)
    overlap = client.post(
        HOURS, {"p": str(mei.pk), "weekday": "0", "start_time": "11:00", "end_time": "14:00"}
    )
    assert overlap.status_code == 400
    assert "overlap" in overlap.content.decode() and 'value="11:00"' in overlap.content.decode()
    backwards = client.post(
        HOURS, {"p": str(mei.pk), "weekday": "5", "start_time": "14:00", "end_time": "09:00"}
    )
    assert backwards.status_code == 400
    assert "The end must be after the start" in backwards.content.decode()
    assert not mei.hours.filter(weekday=5).exists()


def test_staff_remove_hours_only_of_the_practitioner_named(
    front_desk: User, mei: Practitioner, david: Practitioner
) -> None:
    client = client_for(front_desk)
    hours = mei.hours.first()
    assert hours is not None
    client.post(f"/practice/availability/hours/{hours.pk}/remove/", {"p": str(david.pk)})
    assert WeeklyHours.objects.filter(pk=hours.pk).exists()  # not David's: nothing removed
    client.post(f"/practice/availability/hours/{hours.pk}/remove/", {"p": str(mei.pk)})
    assert not WeeklyHours.objects.filter(pk=hours.pk).exists()


@pytest.mark.parametrize("p", ["garbage", "999999"])
def test_a_bad_practitioner_id_is_404(front_desk: User, p: str) -> None:
    before = WeeklyHours.objects.count()
    client = client_for(front_desk)
    assert client.get(f"/practice/availability/?p={p}").status_code == 404
    response = client.post(
        HOURS, {"p": p, "weekday": "5", "start_time": "10:00", "end_time": "13:00"}
    )
    assert response.status_code == 404
    assert WeeklyHours.objects.count() == before


def test_a_practitioner_cannot_edit_someone_else_s_hours_by_naming_them(
    practitioner: User, mei: Practitioner, david: Practitioner
) -> None:
    client_for(practitioner).post(
        HOURS, {"p": str(david.pk), "weekday": "5", "start_time": "10:00", "end_time": "13:00"}
    )
    assert not david.hours.filter(weekday=5).exists()
    assert mei.hours.filter(weekday=5).exists()  # ``p`` is ignored: always their own


def test_staff_time_off_over_a_booked_visit_asks_first_then_cancels(
    front_desk: User, mei: Practitioner, visit: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    client = client_for(front_desk)
    form = {
        "p": str(mei.pk),
        "start_date": "2027-03-03",
        "start_time": "08:00",
        "end_date": "2027-03-03",
        "end_time": "18:00",
        "reason": "Course",
    }
    step_one = client.post("/practice/availability/time-off/", form)
    assert step_one.status_code == 200
    html = step_one.content.decode()
    assert f'data-affected="{visit.pk}"' in html and f'name="p" value="{mei.pk}"' in html
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(
            "/practice/availability/time-off/confirm/",
            {**form, "expected": str(visit.pk), "decision": "cancel", "note": "Sorry"},
        )
    assert done.status_code == 302 and done["Location"].endswith(f"&p={mei.pk}")
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CANCELLED
    assert TimeOff.objects.filter(practitioner=mei, reason="Course").exists()
