"""practice views: who may open each page, and what the pages do with good and bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from booking.models import Booking, BookingStatus, Practitioner, TimeOff, WeeklyHours
from intake.models import AlertLevel, FlagKind, HealthAccess
from intake.services import alert_raise, flag_raise
from portal.models import User
from practice.models import TreatmentRecord
from tests.booking.conftest import MON, NOW, TUE, WED
from tests.booking.factories import book, local
from tests.conftest import client_for, reauthenticated

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

RECORD = {
    "areas_and_points": "BL23, BL25, GB30 right",
    "needle_count": "8",
    "depth": "shallow",
    "stimulation": "gentle",
    "style": "Japanese",
    "other_techniques": "",
    "reaction": "Dozed off",
    "plan_next_time": "Same again",
}


def time_off(start_date: str, start_time: str, end_date: str, end_time: str, **more: str) -> dict:
    """The time-off form's fields."""
    return {
        "start_date": start_date,
        "start_time": start_time,
        "end_date": end_date,
        "end_time": end_time,
        **more,
    }


def messages_of(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


# --- Access: every URL for anonymous, patient, other practitioner, staff and owner ----------

# (name, url template, method, who may use it: "team" = practitioner owner and staff,
#  "own" = the practitioner whose booking it is (and staff), "practitioner" = practitioners only,
#  "hours" = a practitioner's own availability, or any of their clinic's for staff)
PAGES = [
    ("week", "/practice/calendar/", "get", "team"),
    ("day", "/practice/calendar/day/", "get", "team"),
    ("room", "/practice/room/", "get", "team"),
    ("booking", "/practice/bookings/{b}/", "get", "own"),
    ("cancel", "/practice/bookings/{b}/cancel/", "get", "own"),
    ("record", "/practice/bookings/{b}/record/", "get", "own-practitioner"),
    ("patient", "/practice/patients/{p}/", "get", "own"),
    ("arrived", "/practice/bookings/{b}/arrived/", "post", "own"),
    ("attendance", "/practice/bookings/{b}/attendance/", "post", "own"),
    ("availability", "/practice/availability/", "get", "hours"),
    ("hours_add", "/practice/availability/hours/", "post", "hours"),
    ("hours_remove", "/practice/availability/hours/{h}/remove/", "post", "hours"),
    ("exception_add", "/practice/availability/dates/", "post", "hours"),
    ("exception_remove", "/practice/availability/dates/999/remove/", "post", "hours"),
    ("time_off_add", "/practice/availability/time-off/", "post", "hours"),
    ("time_off_confirm", "/practice/availability/time-off/confirm/", "post", "hours"),
    ("time_off_remove", "/practice/availability/time-off/999/remove/", "post", "hours"),
    ("feed", "/practice/feed/", "get", "practitioner"),
]


@pytest.fixture
def urls(visit: Booking, mei: Practitioner) -> dict[str, str]:
    # An alert for Mei only: an alert for the whole team would let David read Alex's record.
    alert_raise(
        patient=visit.patient,
        level=AlertLevel.ROUTINE,
        kind="checkin_worse",
        source_key=f"booking-{visit.pk}",
        summary="Sorer after the first session",
        practitioner=mei,
    )
    hours = mei.hours.first()
    assert hours is not None
    return {
        name: url.format(b=visit.pk, p=visit.patient_id, h=hours.pk) for name, url, _, _ in PAGES
    }


@pytest.mark.parametrize(("name", "method"), [(n, m) for n, _, m, _ in PAGES])
def test_anonymous_is_sent_to_sign_in(
    client: Client, urls: dict[str, str], name: str, method: str
) -> None:
    response = getattr(client, method)(urls[name])
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(("name", "method"), [(n, m) for n, _, m, _ in PAGES])
def test_patients_are_refused(patient: User, urls: dict[str, str], name: str, method: str) -> None:
    response = getattr(client_for(patient), method)(urls[name])
    assert response.status_code == 403


@pytest.mark.parametrize(("name", "method", "who"), [(n, m, w) for n, _, m, w in PAGES])
def test_another_practitioner_sees_none_of_mei_s_patients(
    david: Practitioner, urls: dict[str, str], name: str, method: str, who: str
) -> None:
    response = getattr(client_for(david.user), method)(urls[name])
    if name == "patient":
        # A colleague's patient is outside his care: told so, and offered "see anyway".
        assert response.status_code == 403
        assert b"See this record anyway" in response.content
    elif who.startswith("own"):
        assert response.status_code == 404
    else:
        # Their own calendar, hours and feed; removing Mei's hours is a no-op for him.
        assert response.status_code in (200, 302, 400)
    assert WeeklyHours.objects.filter(practitioner__user__email="mei@example.com").count() == 10


@pytest.mark.parametrize(("name", "method", "who"), [(n, m, w) for n, _, m, w in PAGES])
def test_staff_see_the_whole_clinic_but_write_no_records(
    front_desk: User, urls: dict[str, str], name: str, method: str, who: str
) -> None:
    response = getattr(client_for(front_desk), method)(urls[name])
    if who in ("practitioner", "own-practitioner"):
        assert response.status_code == 403
    elif name == "patient":
        assert response.status_code == 404  # the desk reads no health data
    elif who == "hours":
        assert response.status_code in (200, 302, 400)  # an empty form is refused kindly
    else:
        assert response.status_code in (200, 302)


@pytest.mark.parametrize("name", [n for n, _, m, _ in PAGES if m == "get"])
def test_owner_opens_every_page_and_health_pages_are_not_cached(
    practitioner: User, urls: dict[str, str], name: str
) -> None:
    # The feed's page asks for the password first (its address is a key to the diary).
    browser = reauthenticated(practitioner) if name == "feed" else client_for(practitioner)
    response = browser.get(urls[name])
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", [n for n, _, m, _ in PAGES if m == "post"])
def test_post_only_urls_refuse_get(practitioner: User, urls: dict[str, str], name: str) -> None:
    assert client_for(practitioner).get(urls[name]).status_code == 405


# --- Calendar pages ----------------------------------------------------------------------


def test_week_shows_own_bookings_with_badges(
    practitioner: User, visit: Booking, david: Practitioner
) -> None:
    flag_raise(patient=visit.patient, kind=FlagKind.TREAT_GENTLY, reason="Sore for days")
    response = client_for(practitioner).get("/practice/calendar/?week=2027-03-01")
    html = response.content.decode()
    assert f'data-booking="{visit.pk}"' in html
    assert "Treat more gently" in html
    assert 'data-badge="new"' in html  # Alex has no earlier treatment


def test_staff_filter_the_week_and_see_everyone_side_by_side_on_a_day(
    front_desk: User, visit: Booking, mei: Practitioner, david: Practitioner
) -> None:
    client = client_for(front_desk)
    mine = client.get(f"/practice/calendar/?week=2027-03-01&p={mei.pk}").content.decode()
    his = client.get(f"/practice/calendar/?week=2027-03-01&p={david.pk}").content.decode()
    assert f'data-booking="{visit.pk}"' in mine
    assert f'data-booking="{visit.pk}"' not in his
    day = client.get("/practice/calendar/day/?date=2027-03-03&p=all").content.decode()
    assert "Mei Chen" in day and "David Rhys" in day
    assert f'data-booking="{visit.pk}"' in day


def test_the_desks_calendar_link_opens_everyones_day(
    front_desk: User, practitioner: User, mei: Practitioner, david: Practitioner
) -> None:
    """It opened one practitioner's week, the first in name order: an owner with David's
    empty week in front of them read the clinic as empty."""
    desk_page = client_for(front_desk).get("/desk/").content.decode()
    assert '<a href="/practice/calendar/day/"' in desk_page
    day = client_for(front_desk).get("/practice/calendar/day/").content.decode()
    assert "Mei Chen" in day and "David Rhys" in day
    own = client_for(practitioner).get("/practice/").content.decode()
    assert '<a href="/practice/calendar/"' in own


@pytest.mark.parametrize("value", ["garbage", "1 OR 1", "999999", "0" * 40, "all"])
def test_staff_naming_nobody_of_their_clinic_see_the_first_practitioner(
    front_desk: User, visit: Booking, mei: Practitioner, david: Practitioner, value: str
) -> None:
    client = client_for(front_desk)
    named = client.get(f"/practice/calendar/?week=2027-03-01&p={value}").content.decode()
    assert "Calendar · David Rhys" in named  # the team is in name order
    assert f'data-booking="{visit.pk}"' not in named  # Mei's
    mei_named = client.get(f"/practice/calendar/?week=2027-03-01&p={mei.pk}").content.decode()
    assert f'data-booking="{visit.pk}"' in mei_named


@pytest.mark.parametrize("value", ["garbage", "99999-01-01", "2027-13-40", ""])
def test_malformed_dates_fall_back_to_today(
    practitioner: User, mei: Practitioner, value: str
) -> None:
    client = client_for(practitioner)
    assert client.get(f"/practice/calendar/?week={value}").status_code == 200
    assert client.get(f"/practice/calendar/day/?date={value}").status_code == 200
    assert client.get(f"/practice/room/?date={value}&room=abc").status_code == 200


def test_week_page_query_count_does_not_grow_with_bookings(
    practitioner: User,
    mei: Practitioner,
    private: Any,
    django_assert_max_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    from tests.booking.factories import book
    from tests.factories import PatientFactory

    client = client_for(practitioner)
    client.get("/practice/calendar/?week=2027-03-01")  # warm the session
    with django_capture_on_commit_callbacks(execute=True):  # the bookings commit
        for day in range(4):
            for hour, minute in ((9, 0), (10, 30), (13, 0), (14, 30), (16, 0)):
                patient = PatientFactory.create()
                book(patient, private, local(TUE + timedelta(days=day), hour, minute), now=NOW)
    # The sign-in, the clinic and team, the calendar's rows and the badges; no page cache.
    with django_assert_max_num_queries(12):
        response = client.get("/practice/calendar/?week=2027-03-01")
    assert response.content.decode().count("data-booking=") == 20


# --- Booking detail and attendance -----------------------------------------------------------


def test_detail_is_access_logged(practitioner: User, visit: Booking) -> None:
    client_for(practitioner).get(f"/practice/bookings/{visit.pk}/")
    log = HealthAccess.objects.get()
    assert (log.viewer, log.patient) == (practitioner, visit.patient)


def test_marking_a_future_visit_attended_is_refused_kindly(
    practitioner: User, visit: Booking
) -> None:
    response = client_for(practitioner).post(
        f"/practice/bookings/{visit.pk}/attendance/", {"outcome": "attended"}, follow=True
    )
    assert "has not started yet" in messages_of(response)
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CONFIRMED


def test_unknown_outcome_is_refused(practitioner: User, visit: Booking) -> None:
    response = client_for(practitioner).post(
        f"/practice/bookings/{visit.pk}/attendance/", {"outcome": "cancelled"}, follow=True
    )
    assert "Choose attended" in messages_of(response)
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CONFIRMED


def test_attended_leads_to_the_record_then_shows_it_on_the_next_visit(
    practitioner: User, visit: Booking, private: Any
) -> None:
    from tests.booking.factories import book

    following = book(visit.patient, private, local(WED + timedelta(days=7), 9), now=NOW)
    client = client_for(practitioner)
    with time_machine.travel(visit.starts_at + timedelta(minutes=50), tick=False):
        response = client.post(
            f"/practice/bookings/{visit.pk}/attendance/", {"outcome": "attended"}
        )
        assert response["Location"] == f"/practice/bookings/{visit.pk}/record/"
        response = client.post(f"/practice/bookings/{visit.pk}/record/", RECORD)
        assert response.status_code == 302
    record = TreatmentRecord.objects.get(booking=visit)
    assert record.needles == 8 and record.reaction == "Dozed off"
    # The check-in after it asks for a gentler touch next time.
    flag_raise(patient=visit.patient, kind=FlagKind.TREAT_GENTLY, reason="Sore for days")
    html = client.get(f"/practice/bookings/{following.pk}/").content.decode()
    # The next visit shows last time's intensity beside the "treat more gently" flag.
    assert 'data-flag="treat_gently"' in html
    assert "8 needles, shallow depth, gentle stimulation" in html


def test_record_form_keeps_what_was_typed_on_error(practitioner: User, visit: Booking) -> None:
    with time_machine.travel(visit.starts_at + timedelta(minutes=50), tick=False):
        response = client_for(practitioner).post(
            f"/practice/bookings/{visit.pk}/record/", {**RECORD, "needle_count": "lots"}
        )
    assert response.status_code == 200
    html = response.content.decode()
    assert "BL23, BL25, GB30 right" in html and "Enter a whole number of needles" in html
    assert not TreatmentRecord.objects.exists()
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CONFIRMED


def test_a_new_record_makes_no_choice_of_strength_for_the_practitioner(
    practitioner: User, visit: Booking
) -> None:
    url = f"/practice/bookings/{visit.pk}/record/"
    client = client_for(practitioner)
    with time_machine.travel(visit.starts_at + timedelta(minutes=50), tick=False):
        form = client.get(url).content.decode()
        assert 'name="depth"' in form and "checked" not in form
        missing = {k: v for k, v in RECORD.items() if k not in ("depth", "stimulation")}
        response = client.post(url, {**missing, "needle_count": "-3"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose how deep you needled." in html
    assert "Choose how strongly you stimulated the needles." in html
    assert "Enter a number of needles from 0 to 200." in html
    assert "BL23, BL25, GB30 right" in html
    assert not TreatmentRecord.objects.exists()


def test_record_for_a_future_visit_is_refused_and_nothing_written(
    practitioner: User, visit: Booking
) -> None:
    response = client_for(practitioner).post(f"/practice/bookings/{visit.pk}/record/", RECORD)
    assert "has not started yet" in response.content.decode()
    assert not TreatmentRecord.objects.exists()


def test_staff_cancel_with_a_note(front_desk: User, visit: Booking) -> None:
    response = client_for(front_desk).post(
        f"/practice/bookings/{visit.pk}/cancel/", {"how": "clinic", "note": "Mei is unwell."}
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CANCELLED


def test_late_cancellation_inside_the_cutoff(front_desk: User, visit: Booking) -> None:
    with time_machine.travel(visit.starts_at - timedelta(hours=2), tick=False):
        page = client_for(front_desk).get(f"/practice/bookings/{visit.pk}/cancel/")
        assert "cancellation window" in page.content.decode()
        client_for(front_desk).post(f"/practice/bookings/{visit.pk}/cancel/", {"how": "late"})
    visit.refresh_from_db()
    assert visit.status == BookingStatus.LATE_CANCELLED


def test_mark_arrived_ignores_an_outside_next_url(front_desk: User, visit: Booking) -> None:
    with time_machine.travel(visit.starts_at - timedelta(minutes=5), tick=False):
        response = client_for(front_desk).post(
            f"/practice/bookings/{visit.pk}/arrived/", {"next": "https://evil.example/"}
        )
    assert response["Location"] == f"/practice/bookings/{visit.pk}/"
    visit.refresh_from_db()
    assert visit.arrived_at is not None


def test_a_message_naming_the_patient_stays_on_the_server(front_desk: User, visit: Booking) -> None:
    desk = client_for(front_desk)
    with time_machine.travel(visit.starts_at - timedelta(minutes=5), tick=False):
        response = desk.post(f"/practice/bookings/{visit.pk}/arrived/")
        # Django's default keeps one-off messages in a signed, readable cookie.
        assert "messages" not in response.cookies
        page = desk.get(response["Location"]).content.decode()
    assert f"{visit.patient.get_short_name()} is marked as arrived." in page


def test_patient_page_lists_records_and_acknowledges_alerts(
    practitioner: User, visit: Booking
) -> None:
    alert, _ = alert_raise(
        patient=visit.patient,
        level=AlertLevel.URGENT,
        kind="checkin_red_flag",
        source_key="x",
        summary="New numbness reported",
    )
    client = client_for(practitioner)
    html = client.get(f"/practice/patients/{visit.patient_id}/").content.decode()
    assert "New numbness reported" in html
    client.post(
        f"/practice/alerts/{alert.pk}/acknowledge/",
        {"next": f"/practice/patients/{visit.patient_id}/#alerts"},
    )
    alert.refresh_from_db()
    assert alert.acknowledged_by == practitioner


# --- Availability ---------------------------------------------------------------------------


def test_overlapping_hours_are_refused_with_the_form_kept(practitioner: User, mei: Any) -> None:
    response = client_for(practitioner).post(
        "/practice/availability/hours/",
        {"weekday": "0", "start_time": "11:00", "end_time": "14:00"},
    )
    assert response.status_code == 400
    assert "overlap your 09:00 to 12:00" in response.content.decode()
    assert 'value="11:00"' in response.content.decode()


def test_end_before_start_is_refused(practitioner: User, mei: Any) -> None:
    response = client_for(practitioner).post(
        "/practice/availability/hours/",
        {"weekday": "5", "start_time": "14:00", "end_time": "09:00"},
    )
    assert response.status_code == 400
    assert "The end must be after the start" in response.content.decode()
    assert not mei.hours.filter(weekday=5).exists()


def test_time_off_in_the_past_is_refused(practitioner: User, mei: Any) -> None:
    response = client_for(practitioner).post(
        "/practice/availability/time-off/",
        {
            "start_date": "2027-02-26",
            "start_time": "09:00",
            "end_date": "2027-02-26",
            "end_time": "17:00",
        },
    )
    assert response.status_code == 400
    assert "cannot start on a day that has passed" in response.content.decode()
    assert not TimeOff.objects.exists()


def test_time_off_today_from_a_time_gone_starts_now(practitioner: User, mei: Any) -> None:
    """Off sick today: the form's 00:00 start is already past, and means from now."""
    response = client_for(practitioner).post(
        "/practice/availability/time-off/",
        time_off("2027-03-01", "00:00", "2027-03-01", "23:59", reason="Unwell"),
        follow=True,
    )
    assert response.status_code == 200
    off = TimeOff.objects.get()
    assert off.starts_at == NOW
    assert off.ends_at == local(MON, 23, 59)
    assert "Time off added from now (08:00)" in messages_of(response)


def test_time_off_today_over_a_later_visit_confirms_from_now(
    practitioner: User, private: Any, patient: User
) -> None:
    visit = book(patient, private, local(MON, 14), now=NOW)
    fields = time_off("2027-03-01", "00:00", "2027-03-01", "23:59")
    client = client_for(practitioner)
    preview = client.post("/practice/availability/time-off/", fields)
    assert preview.status_code == 200
    assert f'data-affected="{visit.pk}"' in preview.content.decode()
    done = client.post(
        "/practice/availability/time-off/confirm/",
        {**fields, "decision": "keep", "expected": str(visit.pk)},
        follow=True,
    )
    assert "Time off added from now (08:00). The visits in it are kept." in messages_of(done)
    assert TimeOff.objects.get().starts_at == NOW


def test_time_off_over_a_visit_shows_it_then_cancels(practitioner: User, visit: Booking) -> None:
    client = client_for(practitioner)
    fields = {
        "start_date": "2027-03-03",
        "start_time": "00:00",
        "end_date": "2027-03-03",
        "end_time": "23:59",
        "reason": "Course",
    }
    preview = client.post("/practice/availability/time-off/", fields)
    assert preview.status_code == 200
    assert f'data-affected="{visit.pk}"' in preview.content.decode()
    assert not TimeOff.objects.exists()
    done = client.post(
        "/practice/availability/time-off/confirm/",
        {**fields, "decision": "cancel", "expected": str(visit.pk), "note": "Sorry!"},
        follow=True,
    )
    assert "1 visit cancelled" in messages_of(done)
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CANCELLED
    assert TimeOff.objects.get().reason == "Course"


def test_time_off_confirm_with_a_stale_list_shows_the_visits_again(
    practitioner: User, visit: Booking
) -> None:
    fields = {
        "start_date": "2027-03-03",
        "start_time": "00:00",
        "end_date": "2027-03-03",
        "end_time": "23:59",
    }
    response = client_for(practitioner).post(
        "/practice/availability/time-off/confirm/", {**fields, "decision": "cancel", "expected": ""}
    )
    assert response.status_code == 409
    assert f'data-affected="{visit.pk}"' in response.content.decode()
    assert not TimeOff.objects.exists()
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CONFIRMED


def test_time_off_without_visits_is_added_at_once(practitioner: User, mei: Any) -> None:
    response = client_for(practitioner).post(
        "/practice/availability/time-off/",
        {
            "start_date": "2027-03-02",
            "start_time": "09:00",
            "end_date": "2027-03-02",
            "end_time": "12:00",
        },
    )
    assert response.status_code == 302
    off = TimeOff.objects.get()
    assert off.starts_at == local(TUE, 9)


def test_closed_day_with_visits_points_to_time_off(practitioner: User, visit: Booking) -> None:
    response = client_for(practitioner).post(
        "/practice/availability/dates/", {"day": "2027-03-03", "kind": "closed"}
    )
    assert response.status_code == 400
    assert "Add time off instead" in response.content.decode()


def test_extra_hours_need_a_range(practitioner: User, mei: Any) -> None:
    response = client_for(practitioner).post(
        "/practice/availability/dates/", {"day": "2027-03-06", "kind": "extra"}
    )
    assert response.status_code == 400
    assert "Give the time the extra hours start" in response.content.decode()


def test_week_and_day_pages_step_by_their_own_length(practitioner: User, mei: Practitioner) -> None:
    client = client_for(practitioner)
    week = client.get("/practice/calendar/?week=2027-03-10").content.decode()
    assert "<title>Week of 8 Mar · Calendar</title>" in week
    assert "<h1>8 Mar \N{EN DASH} 14 Mar 2027</h1>" in week
    assert 'href="?week=2027-03-01" rel="prev"' in week
    assert 'href="?week=2027-03-15" rel="next"' in week
    assert 'aria-current="page">Week</a>' in week
    assert "Calendar · Mei Chen" in week
    day = client.get("/practice/calendar/day/?date=2027-03-10").content.decode()
    assert "<title>Wednesday 10 Mar · Calendar</title>" in day
    assert 'href="?date=2027-03-09" rel="prev"' in day
    assert 'href="?date=2027-03-11" rel="next"' in day
    assert 'aria-current="page">Day</a>' in day
    # Today (Monday 1 March) is marked only on the page that shows it.
    assert "cal__col--today" not in week
    this_week = client.get("/practice/calendar/").content.decode()
    assert "<h1>1 Mar \N{EN DASH} 7 Mar 2027</h1>" in this_week and "cal__col--today" in this_week


def test_a_second_click_on_remove_says_it_was_already_removed(
    practitioner: User, mei: Practitioner
) -> None:
    client = client_for(practitioner)
    off = TimeOff.objects.create(
        practitioner=mei, starts_at=local(TUE, 9), ends_at=local(TUE, 12), reason="Dentist"
    )
    hours = mei.hours.first()
    assert hours is not None
    for url, done, already in (
        (
            f"/practice/availability/hours/{hours.pk}/remove/",
            "Hours removed.",
            "Those hours were already removed.",
        ),
        (
            f"/practice/availability/time-off/{off.pk}/remove/",
            "Time off removed.",
            "That time off was already removed.",
        ),
    ):
        first = client.post(url, follow=True)
        assert first.redirect_chain == [("/practice/availability/", 302)]
        assert done in messages_of(first)
        again = client.post(url, follow=True)
        assert already in messages_of(again) and done not in messages_of(again)
    assert not WeeklyHours.objects.filter(pk=hours.pk).exists()
    assert not TimeOff.objects.filter(pk=off.pk).exists()
