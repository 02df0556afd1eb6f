"""The closure pages: the desk and the owner close the clinic, see the visits to move, and
patients see "Closed" on the week page."""

from __future__ import annotations

import pytest

from booking.models import ClinicClosure, MultibedShift, Service
from portal.models import Clinic, User
from tests.booking.conftest import NOW, TUE, WED
from tests.booking.factories import book, local
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

URL = "/desk/closures/"


def test_only_the_desk_and_the_owner_open_the_closures_page(
    policies: Clinic, front_desk: User, owner: User, patient: User, practitioner: User
) -> None:
    assert client_for(front_desk).get(URL).status_code == 200
    assert client_for(owner).get(URL).status_code == 200
    assert client_for(patient).get(URL).status_code == 403
    assert client_for(practitioner).get(URL).status_code == 403
    assert client_for(patient).post(URL, {"first_day": TUE, "last_day": TUE}).status_code == 403
    assert not ClinicClosure.objects.exists()


def test_adding_a_closure_lists_the_visits_to_move_or_cancel(
    private: Service, policies: Clinic, front_desk: User, patient: User
) -> None:
    visit = book(patient, private, local(TUE, 9), now=NOW)
    client = client_for(front_desk)
    response = client.post(
        URL, {"first_day": "2027-03-02", "last_day": "2027-03-03", "reason": "Staff training"}
    )
    closure = ClinicClosure.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/desk/closures/{closure.pk}/"
    assert (closure.first_day, closure.last_day, closure.reason) == (TUE, WED, "Staff training")
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "1 visit is still booked on them" in html
    assert f'data-visit="{visit.pk}"' in html
    assert (
        f"/book/{private.slug}/times/?reschedule={visit.pk}&amp;with={visit.practitioner_id}"
        f"&amp;for={patient.pk}" in html
    )
    assert f"/practice/bookings/{visit.pk}/cancel/" in html
    visit.refresh_from_db()
    assert visit.status == "confirmed"  # nothing cancelled by the closure itself
    listed = client.get(URL).content.decode()
    assert "1 visit to move or cancel" in listed and "Staff training" in listed


@pytest.mark.parametrize(
    ("first", "last", "words"),
    [
        ("2027-03-03", "2027-03-02", "The last closed day must be on or after the first"),
        ("2027-02-20", "2027-03-02", "The first closed day has passed"),
        ("", "2027-03-02", "Please enter the first day the clinic is closed."),
        ("2027-03-01", "2030-03-02", "A closure can last at most 366 days"),
    ],
)
def test_a_closure_that_makes_no_sense_is_refused_with_what_was_typed(
    policies: Clinic, front_desk: User, first: str, last: str, words: str
) -> None:
    response = client_for(front_desk).post(
        URL, {"first_day": first, "last_day": last, "reason": "Holidays"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert words in html and "There is a problem" in html
    assert 'value="Holidays"' in html
    assert not ClinicClosure.objects.exists()


def test_an_overlapping_closure_is_refused_and_names_the_one_it_meets(
    policies: Clinic, front_desk: User
) -> None:
    ClinicClosure.objects.create(clinic=policies, first_day=TUE, last_day=WED)
    response = client_for(front_desk).post(
        URL, {"first_day": "2027-03-03", "last_day": "2027-03-05"}
    )
    assert response.status_code == 400
    assert "already closed from 2 March 2027 to 3 March 2027" in response.content.decode()
    assert ClinicClosure.objects.count() == 1


def test_patients_see_closed_and_the_reason_on_the_week_page(
    private: Service,
    multibed: Service,
    shift: MultibedShift,
    policies: Clinic,
    front_desk: User,
    patient: User,
    django_capture_on_commit_callbacks,
) -> None:
    client = client_for(patient)
    before = client.get(f"/book/{private.slug}/times/?week=2027-03-01").content.decode()
    assert "data-closed" not in before
    with django_capture_on_commit_callbacks(execute=True):
        client_for(front_desk).post(
            URL,
            {"first_day": "2027-03-02", "last_day": "2027-03-02", "reason": "Closed for training"},
        )
    for service in (private, multibed):
        html = client.get(f"/book/{service.slug}/times/?week=2027-03-01").content.decode()
        assert html.count("data-closed") == 1
        assert "<strong>Closed</strong>" in html and "Closed for training" in html
        assert local(TUE, 9).isoformat() not in html and local(TUE, 17, 30).isoformat() not in html
    assert local(WED, 9).isoformat() in client.get(f"/book/{private.slug}/times/").content.decode()


def test_the_desk_calendar_marks_the_closed_day_and_keeps_its_visits(
    private: Service, policies: Clinic, front_desk: User, patient: User
) -> None:
    visit = book(patient, private, local(TUE, 9), now=NOW)
    ClinicClosure.objects.create(clinic=policies, first_day=TUE, last_day=TUE, reason="Flood")
    html = client_for(front_desk).get("/practice/calendar/day/?date=2027-03-02&p=all").content
    page = html.decode()
    assert "data-clinic-closed" in page and "Clinic closed" in page and "Flood" in page
    assert f'data-booking="{visit.pk}"' in page
    other_day = client_for(front_desk).get("/practice/calendar/day/?date=2027-03-03&p=all")
    assert "data-clinic-closed" not in other_day.content.decode()


def test_reopening_removes_the_closure_once(policies: Clinic, front_desk: User) -> None:
    closure = ClinicClosure.objects.create(clinic=policies, first_day=TUE, last_day=TUE)
    client = client_for(front_desk)
    response = client.post(f"/desk/closures/{closure.pk}/reopen/", follow=True)
    assert "open again" in response.content.decode()
    assert not ClinicClosure.objects.exists()
    again = client.post(f"/desk/closures/{closure.pk}/reopen/", follow=True)
    assert "already removed" in again.content.decode()
    assert client.get(f"/desk/closures/{closure.pk}/").status_code == 404


def test_the_room_lane_says_the_clinic_is_closed_that_day(
    multibed: Service, shift: MultibedShift, policies: Clinic, front_desk: User, practitioner: User
) -> None:
    ClinicClosure.objects.create(clinic=policies, first_day=TUE, last_day=TUE, reason="Flood")
    desk_page = client_for(front_desk).get("/practice/room/?date=2027-03-02").content.decode()
    assert "data-clinic-closed" in desk_page and "Flood" in desk_page
    assert "/desk/closures/" in desk_page
    mei_page = client_for(practitioner).get("/practice/room/?date=2027-03-02").content.decode()
    assert "data-clinic-closed" in mei_page and "/desk/closures/" not in mei_page
    open_day = client_for(front_desk).get("/practice/room/?date=2027-03-09").content.decode()
    assert "data-clinic-closed" not in open_day
