"""The owner closes the clinic for a day in a browser, sees the visit booked on it to move or
cancel, a patient sees "Closed" with the reason on the week page, and the owner then cancels
every visit on the day at once."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.availability import find_open_slots
from booking.models import Booking, ClinicClosure, Service
from booking.services import BookingRequest, booking_create
from portal.demo import DEMO_PASSWORD
from portal.models import Clinic, Role, User
from tests.factories import UserFactory

from .conftest import log_in, log_out, shot_both

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]


def test_the_owner_closes_a_day_and_a_patient_sees_it_closed(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    alex = User.objects.get(email="alex@patient.example")
    follow_up = Service.objects.get(clinic=demo_clinic, slug="follow-up")
    now = timezone.now()
    tz = demo_clinic.tz
    today = now.astimezone(tz).date()
    # A weekday at least two days away with open times, and one visit already booked on it.
    open_times = find_open_slots(
        follow_up, today + timedelta(days=2), today + timedelta(days=21), now=now
    )
    slot = open_times[0]
    day = slot.starts_at.astimezone(tz).date()
    visit = booking_create(
        BookingRequest(patient=alex, service=follow_up, starts_at=slot.starts_at)
    )

    owner = UserFactory.create(email="helen@example.com", first_name="Helen", role=Role.STAFF)
    User.objects.filter(pk=owner.pk).update(is_superuser=True, is_staff=True)
    log_in(page, live_server.url, owner.email)
    expect(page.locator('[data-dashboard="staff"]')).to_be_visible()
    page.get_by_role("link", name="Clinic closures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Clinic closures")
    expect(page.get_by_text("No closures coming up")).to_be_visible()

    # The last day before the first: said next to the field, and nothing typed is lost.
    page.get_by_label("First closed day").fill((day + timedelta(days=1)).isoformat())
    page.get_by_label("Last closed day").fill(day.isoformat())
    page.get_by_label("What patients are told").fill("Closed for the holidays")
    page.get_by_role("button", name="Close the clinic on these days").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("The last closed day must be on or after the first")
    expect(page.get_by_label("What patients are told")).to_have_value("Closed for the holidays")
    shot_both(page, "closure-error")

    page.get_by_label("First closed day").fill(day.isoformat())
    page.get_by_role("button", name="Close the clinic on these days").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Closed on")
    expect(page.get_by_role("heading", name="1 visit to move or cancel")).to_be_visible()
    row = page.locator(f'[data-visit="{visit.pk}"]')
    expect(row).to_contain_text(alex.get_full_name())
    expect(row.locator('[data-action="move"]')).to_have_attribute(
        "href", re.compile(rf"reschedule={visit.pk}")
    )
    expect(row.locator('[data-action="cancel"]')).to_be_visible()
    shot_both(page, "closure-visits-to-move")
    assert ClinicClosure.objects.get().reason == "Closed for the holidays"
    assert Booking.objects.get(pk=visit.pk).status == "confirmed"

    # The desk's day view marks the day and still shows the visit on it.
    page.goto(f"{live_server.url}/practice/calendar/day/?date={day.isoformat()}&p=all")
    expect(page.locator("[data-clinic-closed]").first).to_contain_text("Clinic closed")
    expect(page.locator(f'[data-booking="{visit.pk}"]')).to_be_visible()
    shot_both(page, "closure-desk-calendar")
    log_out(page)

    log_in(page, live_server.url, alex.email, DEMO_PASSWORD)
    expect(page.locator('[data-dashboard="patient"]')).to_be_visible()
    monday = day - timedelta(days=day.weekday())
    page.goto(f"{live_server.url}/book/follow-up/times/?week={monday.isoformat()}")
    closed = page.locator("[data-closed]")
    expect(closed).to_have_count(1)
    expect(closed).to_contain_text("Closed")
    expect(closed).to_contain_text("Closed for the holidays")
    expect(closed.locator("a.slot")).to_have_count(0)
    shot_both(page, "closure-week-page")

    # Back as the owner: cancel every visit on the closed day at once, with one message.
    log_out(page)
    log_in(page, live_server.url, owner.email)
    page.goto(f"{live_server.url}/desk/closures/{ClinicClosure.objects.get().pk}/")
    expect(page.get_by_label("Message to each patient")).to_have_value("Closed for the holidays")
    page.get_by_role("button", name="Cancel 1 visit").click()
    expect(page.locator(".messages")).to_contain_text("1 visit cancelled")
    expect(page.get_by_role("heading", name="No visits to move")).to_be_visible()
    shot_both(page, "closure-all-cancelled")
    cancelled = Booking.objects.get(pk=visit.pk)
    assert (cancelled.status, cancelled.cancellation_note) == (
        "cancelled",
        "Closed for the holidays",
    )
