"""The patient's booking journey before and around signing up (issue 16): public services,
prices and times; one button per time that books who it says; the week by part of day;
fully booked weeks; clock changes; the new-patient rule said up front."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
import time_machine
from django.test import Client

from booking.availability import find_open_slots
from booking.models import (
    Booking,
    BookingStatus,
    Practitioner,
    PriceRule,
    Service,
    ServiceKind,
)
from booking.week_page import build_week, day_choices
from portal.models import Clinic, User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import (
    LONDON,
    PractitionerFactory,
    ServiceFactory,
    book,
    closed_day,
    local,
    visit_at,
    weekly_hours,
)
from tests.conftest import client_for
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

SLOT = re.compile(r'<a class="slot" data-start="([^"]+)" data-practitioner="(\d+)" href="([^"]+)"')


def slots_on(content: str) -> list[tuple[str, int, str]]:
    return [
        (start, int(pid), href.replace("&amp;", "&")) for start, pid, href in SLOT.findall(content)
    ]


def labels_on(content: str) -> list[str]:
    return re.findall(r'<a class="slot"[^>]*>([^<]+)<', content)


@pytest.fixture
def two_practitioners(private: Service, mei: Practitioner) -> tuple[Practitioner, Practitioner]:
    """Mei and Aisha both offer the treatment and both work the same hours."""
    aisha = PractitionerFactory.create(display_name="Aisha Patel", style="Gentle needling")
    weekly_hours(aisha, (time(9), time(12)), (time(13), time(17)))
    private.practitioners.add(aisha)
    return mei, aisha


# --- Public pages -----------------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
def test_the_service_list_shows_prices_as_patients_pay_them(
    client: Client, private: Service, assessment: Service, mei: Practitioner
) -> None:
    ServiceFactory.create(
        slug="community",
        name="Community clinic",
        kind=ServiceKind.MULTIBED,
        price_rule=PriceRule.SLIDING,
        price_minor=2500,
        price_min_minor=1500,
        price_max_minor=3500,
        price_step_minor=500,
        practitioners=[mei],
    )
    page = client.get("/book/").content.decode()
    assert "£15\u2013£35, you choose" in page
    assert "£25" not in page  # the suggested amount is not the price
    assert "£50" in page  # the fixed price
    assert re.search(r"data-price>\s*Free", page)
    assert "Mei Chen" in page  # practitioners are public too


@pytest.mark.usefixtures("frozen")
def test_choosing_a_time_asks_a_visitor_to_sign_in_and_comes_back_to_that_time(
    client: Client, private: Service, mei: Practitioner
) -> None:
    week = client.get(f"/book/{private.slug}/times/?with=any").content.decode()
    start, pid, href = slots_on(week)[0]
    response = client.get(href)
    assert response.status_code == 302
    login = urlsplit(response["Location"])
    assert login.path == "/accounts/login/"
    back = parse_qs(login.query)["next"][0]
    assert back == href  # the same slot choice, a local path (allauth checks it is safe)
    query = parse_qs(urlsplit(back).query)
    assert query["start"] == [start] and query["practitioner"] == [str(pid)]


@pytest.mark.usefixtures("frozen")
def test_a_visitor_cannot_reach_anything_private_through_the_public_pages(
    client: Client, private: Service, patient: User
) -> None:
    book(patient, private, local(WED, 9), now=NOW)
    for url in (f"/book/{private.slug}/times/?reschedule=1", f"/book/?for={patient.pk}"):
        page = client.get(url).content.decode()
        assert patient.email not in page and "Pick a new time" not in page


# --- Any practitioner: one button per time, booking who it says ------------------------


@pytest.mark.usefixtures("frozen")
def test_any_practitioner_shows_each_time_once(
    private: Service, two_practitioners: tuple[Practitioner, Practitioner], patient: User
) -> None:
    page = client_for(patient).get(f"/book/{private.slug}/times/?with=any").content.decode()
    starts = [start for start, _, _ in slots_on(page)]
    assert starts and len(starts) == len(set(starts))
    assert starts.count(local(WED, 9).isoformat()) == 1


@pytest.mark.usefixtures("frozen")
def test_each_time_books_the_practitioner_the_confirm_page_names(
    private: Service, two_practitioners: tuple[Practitioner, Practitioner], patient: User
) -> None:
    """The bug: "09:00 Aisha Patel" booked David Rhys, because every link said
    practitioner=any. Each link now names its practitioner, the confirm page says who, and
    the booking is made with them, even when a colleague is also free then."""
    mei, aisha = two_practitioners
    client = client_for(patient)
    # Mei is busy at 09:00 on Wednesday, so that time is Aisha's.
    book(PatientFactory.create(), private, local(WED, 9), now=NOW, practitioner=mei)
    page = client.get(f"/book/{private.slug}/times/?with=any&week={WED}").content.decode()
    nine = next(s for s in slots_on(page) if s[0] == local(WED, 9).isoformat())
    assert nine[1] == aisha.pk
    ten = next(s for s in slots_on(page) if s[0] == local(WED, 10, 30).isoformat())
    for start, pid, href in (nine, ten):
        confirm = client.get(href).content.decode()
        named = re.search(r"<dd data-with>(.*?)</dd>", confirm, re.S)
        assert named, confirm
        assert (aisha if pid == aisha.pk else mei).display_name in named.group(1)
        assert f'name="practitioner" value="{pid}"' in confirm
        query = parse_qs(urlsplit(href).query)
        response = client.post(
            href,
            {
                "start": unquote(query["start"][0]),
                "practitioner": str(pid),
                "request_key": f"00000000-0000-4000-8000-00000000000{1 if start == nine[0] else 2}",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
        made = Booking.objects.filter(patient=patient).latest("pk")
        assert made.practitioner_id == pid
        assert made.starts_at == datetime.fromisoformat(start)
        made.status = BookingStatus.CANCELLED
        made.save()


def test_one_choice_per_instant_in_time_order() -> None:
    from booking.availability import Slot

    at = datetime(2027, 3, 3, 9, tzinfo=UTC)
    later = datetime(2027, 3, 3, 10, tzinfo=UTC)
    slots = [Slot(later, later, 2), Slot(at, at, 7), Slot(at, at, 3), Slot(later, later, 5)]
    choices = day_choices(slots, LONDON)
    assert [(c.label, c.practitioner_id) for c in choices] == [("09:00", 3), ("10:00", 2)]


def test_times_are_grouped_by_morning_afternoon_and_evening() -> None:
    from booking.availability import Slot

    day = date(2027, 3, 3)
    slots = [Slot(local(day, hour), local(day, hour), 1) for hour in (9, 11, 12, 16, 17, 19)]
    week = build_week(
        slots,
        monday=date(2027, 3, 1),
        today=date(2027, 3, 1),
        horizon_end=date(2027, 5, 1),
        tz=LONDON,
    )
    wednesday = week.days[2]
    assert [(p.name, [t.label for t in p.times]) for p in wednesday.parts] == [
        ("Morning", ["09:00", "11:00"]),
        ("Afternoon", ["12:00", "16:00"]),
        ("Evening", ["17:00", "19:00"]),
    ]
    assert week.count == 6 and week.days[0].parts == []


# --- A week with no place ----------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
def test_a_week_with_no_session_says_so_not_fully_booked_and_links_the_next_week_with_places(
    private: Service, mei: Practitioner, patient: User
) -> None:
    asked = date(2027, 3, 8)
    for offset in range(5):
        closed_day(mei, date(2027, 3, 8 + offset))
    for offset in range(5):
        closed_day(mei, date(2027, 3, 15 + offset))
    page = client_for(patient).get(f"/book/{private.slug}/times/?week={asked}").content.decode()
    assert "No sessions this week" in page and "Fully booked" not in page
    assert f"{private.name} does not run this week" in page
    assert "week=2027-03-22" in page and "See the week of 22 March" in page
    assert 'class="slot"' not in page
    assert "Next week" in page


@pytest.mark.usefixtures("frozen")
def test_a_week_whose_every_time_is_taken_is_fully_booked(
    private: Service, mei: Practitioner, patient: User
) -> None:
    asked, sunday = date(2027, 3, 8), date(2027, 3, 14)
    # Book the first open time until none is left (each visit also blocks its neighbours).
    while open_now := find_open_slots(private, asked, sunday, now=NOW):
        book(PatientFactory.create(), private, open_now[0].starts_at, now=NOW)
    page = client_for(patient).get(f"/book/{private.slug}/times/?week={asked}").content.decode()
    assert "Fully booked this week" in page and "No sessions" not in page
    assert 'data-week="full"' in page


# --- Clock changes (Europe/London, the real 2026 dates) ---------------------------------


@pytest.fixture
def night_service(policies: Clinic) -> Iterator[Service]:
    """A 10-minute visit on a 10-minute grid, offered 00:30-02:30 on Sundays."""
    policies.time_zone = "Europe/London"
    policies.min_notice_minutes = 0
    policies.save()
    night = PractitionerFactory.create(display_name="Night Owl")
    weekly_hours(night, (time(0, 30), time(2, 30)), weekdays=[6])
    yield ServiceFactory.create(
        slug="night",
        name="Night visit",
        duration_minutes=10,
        slot_step_minutes=10,
        practitioners=[night],
    )


def test_the_october_night_lists_the_repeated_hour_in_order_with_its_zone(
    night_service: Service, patient: User
) -> None:
    with time_machine.travel(datetime(2026, 10, 19, 8, tzinfo=UTC), tick=False):
        page = client_for(patient).get("/book/night/times/?week=2026-10-25").content.decode()
    starts = [datetime.fromisoformat(start) for start, _, _ in slots_on(page)]
    assert starts == sorted(starts) and len(starts) == len(set(starts))
    labels = labels_on(page)
    assert labels[:3] == ["00:30", "00:40", "00:50"]
    assert labels[3:9] == [f"01:{m}0 BST" for m in range(6)]
    assert labels[9:15] == [f"01:{m}0 GMT" for m in range(6)]
    assert labels[15:] == [f"02:{m}0" for m in range(3)]  # 02:30 is the end


def test_the_march_night_shows_no_time_that_does_not_exist(
    night_service: Service, patient: User
) -> None:
    with time_machine.travel(datetime(2026, 3, 23, 8, tzinfo=UTC), tick=False):
        page = client_for(patient).get("/book/night/times/?week=2026-03-29").content.decode()
    labels = labels_on(page)
    assert labels == ["00:30", "00:40", "00:50", "02:00", "02:10", "02:20"]
    assert not any(label.startswith("01:") for label in labels)


# --- Query strings ---------------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(
    "query", ["with=%C2%B9", "with=any&for=x", "week=2027-02-30", "with=-3", "start=garbage"]
)
def test_malformed_query_values_read_as_not_given(
    client: Client, private: Service, query: str
) -> None:
    response = client.get(f"/book/{private.slug}/times/?{query}")
    assert response.status_code == 200
    assert 'class="slot"' in response.content.decode()


# --- The new-patient rule and the dashboard -----------------------------------------------


@pytest.fixture
def one_visit_limit(policies: Clinic) -> Clinic:
    """The clinic's new-patient rule: one upcoming visit at a time until the first."""
    policies.new_patient_booking_limit = 1
    policies.save()
    return policies


@pytest.mark.usefixtures("frozen")
def test_the_new_patient_rule_is_said_on_the_service_list(
    client: Client, private: Service, one_visit_limit: Clinic
) -> None:
    page = client.get("/book/").content.decode()
    assert "you can hold one upcoming visit at a time" in page
    assert "Start with the free 15-minute assessment, or book one treatment" in page


@pytest.mark.usefixtures("frozen")
def test_the_dashboard_stops_offering_an_assessment_once_one_is_booked(
    assessment: Service, patient: User, one_visit_limit: Clinic
) -> None:
    client = client_for(patient)
    before = client.get("/me/").content.decode()
    assert "Book a free assessment" in before
    assert "you can hold one upcoming visit at a time" in before
    book(patient, assessment, local(WED, 9), now=NOW)
    after = client.get("/me/").content.decode()
    assert "Book a free assessment" not in after
    assert "Free assessment booked" in after
    assert "Before your first visit" in after  # still new


@pytest.mark.usefixtures("frozen")
def test_the_dashboard_offers_no_booking_button_to_a_new_patient_at_the_limit(
    private: Service, patient: User, one_visit_limit: Clinic
) -> None:
    client = client_for(patient)
    book(patient, private, local(WED, 9), now=NOW)
    page = client.get("/me/").content.decode()
    assert 'data-rule="at-limit"' in page and ">Book a visit</a>" not in page
    one_visit_limit.new_patient_booking_limit = 2
    one_visit_limit.save()
    page = client.get("/me/").content.decode()
    assert 'data-rule="at-limit"' not in page and ">Book a visit</a>" in page


@pytest.mark.usefixtures("frozen")
def test_the_dashboard_treats_a_returning_patient_as_returning(
    private: Service, patient: User, one_visit_limit: Clinic
) -> None:
    with time_machine.travel(datetime(2027, 2, 1, 8, tzinfo=UTC), tick=False):
        visit = book(patient, private, local(date(2027, 2, 3), 9), now=NOW.replace(month=2))
    visit.status = BookingStatus.ATTENDED
    visit.save()
    page = client_for(patient).get("/me/").content.decode()
    assert "Before your first visit" not in page
    assert "Book a free assessment" not in page
    assert "Book your next treatment" in page
    assert "upcoming visit at a time" not in page


@pytest.mark.usefixtures("frozen")
def test_a_returning_patient_with_nothing_booked_is_asked_for_a_next_visit_not_a_first(
    private: Service, mei: Practitioner, patient: User
) -> None:
    """Between courses a returning patient's empty visit list said "No bookings yet: book your
    first visit" above their own past visits; it now asks for the next one."""
    client = client_for(patient)
    assert "Book your first visit" in client.get("/me/").content.decode()
    assert "book your first visit" in client.get("/bookings/").content.decode()
    visit_at(
        patient=patient,
        service=private,
        practitioner=mei,
        starts_at=local(date(2027, 2, 22), 9),
        status=BookingStatus.ATTENDED,
    )
    dashboard = client.get("/me/").content.decode()
    assert "No visits booked" in dashboard and "Book your next visit" in dashboard
    assert "No bookings yet" not in dashboard and "first visit" not in dashboard
    bookings = client.get("/bookings/").content.decode()
    assert "No visits coming up" in bookings and "book your next visit" in bookings
    assert "No bookings yet" not in bookings


@pytest.mark.usefixtures("frozen")
def test_a_new_patient_holding_their_one_visit_is_told_on_the_service_list(
    private: Service, patient: User, one_visit_limit: Clinic
) -> None:
    client = client_for(patient)
    assert (
        "You already have your upcoming visit booked" not in client.get("/book/").content.decode()
    )
    book(patient, private, local(WED, 9), now=NOW)
    page = client.get("/book/").content.decode()
    assert "You already have your upcoming visit booked" in page
    assert "/bookings/" in page
