"""Moving a visit in a real browser: one visit that moved, not a second booking. The patient
moves a visit, the new page says where it came from and the old one links to the new; the
email says "Moved: ... from ... to ..." and its calendar file updates the same event."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar
from playwright.sync_api import Page, expect

from booking.availability import find_open_slots
from booking.ics import calendar_uid
from booking.models import Booking, BookingStatus, MultibedShift, Room, Service
from booking.services import BookingRequest, booking_create
from portal.demo import DEMO_PASSWORD
from portal.models import Clinic, Role, User
from tests.booking.factories import book
from tests.factories import UserFactory

from .conftest import confirm, log_in, pick_slot, shot, shot_both, wait_for_mail
from .test_booking_journey import ics_attachments, wall

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]


def test_patient_moves_a_visit_and_it_stays_one_visit(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    clinic = demo_clinic
    alex = User.objects.get(email="alex@patient.example")
    community = Service.objects.get(clinic=clinic, slug="community-clinic")
    now = timezone.now()
    changeable_from = now + timedelta(hours=clinic.cancellation_cutoff_hours, minutes=30)
    today = now.astimezone(clinic.tz).date()
    first = next(
        s
        for s in find_open_slots(community, today, today + timedelta(days=21), now=now)
        if s.starts_at >= changeable_from
    )
    old = booking_create(BookingRequest(patient=alex, service=community, starts_at=first.starts_at))
    wait_for_mail(1)
    booked_ics = Calendar.from_ical(ics_attachments(mail.outbox[0])[0])
    (booked_event,) = booked_ics.walk("VEVENT")
    mail.outbox.clear()

    log_in(page, live_server.url, alex.email, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/bookings/")
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Coming up"))
    upcoming.locator("li", has_text="Community clinic place").get_by_role("link").first.click()
    page.get_by_role("link", name="Move to another time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pick a new time")
    new_start = pick_slot(page, not_before=changeable_from, avoid=old.starts_at.isoformat())
    confirm(page, "Move my visit")

    # The new visit's page: moved, and where it came from.
    expect(page.get_by_role("status")).to_contain_text("Your visit has moved")
    expect(page.locator(".eyebrow")).to_have_text("Moved")
    expect(page.locator(".badge")).to_have_text("Confirmed")
    moved_from = page.locator("[data-moved-from]")
    expect(moved_from).to_contain_text(wall(old.starts_at, clinic).replace(", ", " at "))
    expect(page.get_by_role("status")).to_contain_text("We have emailed you the new time")
    shot_both(page, "move-new-visit")

    new = Booking.objects.get(rescheduled_from=old)
    assert new.starts_at == new_start
    old.refresh_from_db()
    assert old.status == BookingStatus.RESCHEDULED

    # The old page links to the new one.
    moved_from.get_by_role("link").click()
    expect(page.locator(".badge")).to_have_text("Moved")
    moved_to = page.locator("[data-moved-to]")
    expect(moved_to).to_contain_text("This visit was moved")
    expect(moved_to).to_contain_text(wall(new_start, clinic).replace(", ", " at "))
    expect(page.get_by_role("link", name="Move to another time")).to_have_count(0)
    shot_both(page, "move-old-visit")
    moved_to.get_by_role("link").click()
    expect(page).to_have_url(f"{live_server.url}/bookings/{new.pk}/")

    # One email: "Moved", not "Booked", with the same calendar event one sequence on.
    wait_for_mail(1)
    (message,) = mail.outbox
    assert message.subject.startswith("Moved: Community clinic place from ")
    assert "Booked" not in message.subject and "Alex" not in message.subject
    assert " to " in message.subject
    (calendar,) = ics_attachments(message)
    (event,) = Calendar.from_ical(calendar).walk("VEVENT")
    assert str(event["UID"]) == str(booked_event["UID"]) == calendar_uid(new)
    assert event.decoded("SEQUENCE") == 1
    assert event.decoded("DTSTART") == new_start


def test_the_room_lane_and_day_on_the_night_the_clocks_go_back(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    """Not a move, but the practice side of issue 16's clock changes: 25 October 2026 in a
    Europe/London clinic, with the room open through the repeated hour."""
    autumn = date(2026, 10, 25)
    desk = UserFactory.create(
        email="frontdesk@example.com", first_name="Sam", last_name="Okafor", role=Role.STAFF
    )
    community = Service.objects.get(clinic=demo_clinic, slug="community-clinic")
    room = Room.objects.get(clinic=demo_clinic, name="Community room")
    david = community.practitioners.get(display_name="David Rhys")
    MultibedShift.objects.create(
        room=room,
        practitioner=david,
        service=community,
        date=autumn,
        start_time=time(0),
        end_time=time(3),
        max_new_per_start=6,
    )
    week_before = datetime(2026, 10, 18, tzinfo=UTC)
    arrivals = [datetime(2026, 10, 25, 0, 30, tzinfo=UTC)] * 3  # 01:30 BST
    arrivals += [datetime(2026, 10, 25, 1, 0, tzinfo=UTC)] * 2  # 01:00 GMT
    for at in arrivals:
        book(UserFactory.create(), community, at, now=week_before, booked_by=desk)

    log_in(page, live_server.url, desk.email)
    page.goto(f"{live_server.url}/practice/room/?date={autumn.isoformat()}&room={room.pk}")
    expect(page.locator(".lane__stay")).to_have_count(5)
    clocks = page.locator(".lane__clock")
    expect(clocks.filter(has_text="01:00 BST")).to_have_count(1)
    expect(clocks.filter(has_text="01:00 GMT")).to_have_count(1)
    expect(page.locator(".stat__n").nth(1)).to_have_text("5/5")
    expect(page.locator(".lane__stay").first).to_contain_text("01:30 BST\N{EN DASH}01:20 GMT")
    shot_both(page, "clock-change-room-lane")
    page.goto(f"{live_server.url}/practice/calendar/day/?date={autumn.isoformat()}&p={david.pk}")
    times = page.locator(".cal__times")
    expect(times).to_contain_text("01:00 BST")
    expect(times).to_contain_text("01:00 GMT")
    expect(page.locator(".cal-entry--shift")).to_contain_text("00:00\N{EN DASH}03:00")
    shot_both(page, "clock-change-day")
    # The week: the other days have no time in the repeated hour's rows (hatched).
    page.goto(f"{live_server.url}/practice/calendar/?week={autumn.isoformat()}&p={david.pk}")
    expect(page.locator(".cal__times")).to_contain_text("01:00 GMT")
    expect(page.locator(".cal__gap")).to_have_count(6)
    shot(page, "clock-change-week-laptop")
