"""The waiting list in a real browser: a patient joins it for a full community clinic week,
someone cancels, the offer email's link holds the place and the patient confirms it; another
person offered the same place is told politely it has gone; the front desk sees the list."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from booking.availability import find_open_slots
from booking.models import Booking, BookingStatus, Service
from booking.services import BookingRequest, booking_cancel, booking_create
from booking.waitlist.entries import waitlist_join
from booking.waitlist_models import EntryStatus, WaitlistEntry
from portal.demo import DEMO_PASSWORD
from portal.models import Clinic, User
from tests.factories import PatientFactory

from .conftest import LAPTOP, log_in, log_out, shot_both, wait_for_mail

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]

OFFER_LINK = re.compile(r"https?://\S+/waiting-list/offer/\S+/")


def fill_the_room(service: Service, clinic: Clinic) -> list[Booking]:
    """Book every community clinic place a patient could see (the horizon, plus a day so a
    start crossing into it while the test runs is booked too)."""
    now = timezone.now()
    tz = clinic.tz
    first = now.astimezone(tz).date()
    last = (now + timedelta(days=clinic.booking_horizon_days + 1)).astimezone(tz).date()
    clinic.booking_horizon_days += 1
    clinic.save()
    taken = []
    while slots := find_open_slots(service, first, last, now=now):
        for slot in slots:
            taken.append(
                booking_create(
                    BookingRequest(
                        patient=PatientFactory.create(),
                        service=service,
                        starts_at=slot.starts_at,
                    ),
                    now=now,
                )
            )
    clinic.booking_horizon_days -= 1
    clinic.save()
    return taken


def link_in(email: mail.EmailMessage, base: str) -> str:
    found = OFFER_LINK.search(str(email.body))
    assert found, email.body
    return base + found.group(0).removeprefix(settings.SITE_URL)


def test_a_patient_joins_the_waiting_list_and_books_a_freed_place(
    page: Page, browser: Browser, live_server, demo_clinic: Clinic
) -> None:
    base = live_server.url
    clinic = demo_clinic
    clinic.booking_horizon_days = 14
    clinic.save()
    service = Service.objects.get(slug="community-clinic")
    taken = fill_the_room(service, clinic)
    assert taken
    alex = User.objects.get(email="alex@patient.example")
    jordan = User.objects.get(email="jordan@patient.example")

    # Alex finds the community clinic full and joins the waiting list from the week page.
    log_in(page, base, alex.email, DEMO_PASSWORD)
    page.goto(f"{base}/book/community-clinic/times/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Pick a time")
    expect(page.locator("a.slot")).to_have_count(0)
    page.get_by_role("link", name=re.compile("Next week")).click()  # a week with both evenings
    expect(page.locator("a.slot")).to_have_count(0)
    shot_both(page, "waitlist-week-full")
    page.get_by_role("link", name="Join the waiting list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Join the waiting list")

    page.get_by_role("button", name="Join the waiting list").click()  # nothing chosen yet
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.locator(".error-summary")).to_contain_text("Choose at least one day.")
    page.get_by_label("Tuesday").check()
    page.get_by_label("Thursday").check()
    page.get_by_label("Evenings (from 17:00)").check()
    shot_both(page, "waitlist-join")
    page.get_by_role("button", name="Join the waiting list").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My bookings")
    section = page.locator("#waiting-list-section")
    expect(section).to_contain_text("Community clinic place")
    expect(section).to_contain_text("Tuesday or Thursday, evenings")
    shot_both(page, "waitlist-my-bookings")
    # Jordan joined after Alex for the same evenings (by phone with the desk, say).
    waitlist_join(patient=jordan, service=service, weekdays=[1, 3], day_parts=["evening"])

    # The latest place is cancelled: both are emailed a link that holds it.
    mail.outbox.clear()
    desk = User.objects.get(email="desk@clinic.example")
    # The latest place both wished for that patients can book (fill_the_room also took a day
    # past the horizon, which no one is offered).
    horizon = timezone.now() + timedelta(days=clinic.booking_horizon_days)
    wished = [
        b
        for b in taken
        if b.starts_at <= horizon
        and b.starts_at.astimezone(clinic.tz).weekday() in (1, 3)
        and b.starts_at.astimezone(clinic.tz).hour >= 17
    ]
    freed = max(wished, key=lambda b: b.starts_at)
    booking_cancel(booking=freed, by=desk)
    wait_for_mail(3)  # the cancellation, then one offer each
    offers = {m.to[0]: m for m in mail.outbox if m.subject.startswith("A place has freed")}
    assert set(offers) == {alex.email, jordan.email}, [m.subject for m in mail.outbox]
    assert "Alex" not in offers[alex.email].subject

    # The front desk sees the list with the place on offer to both.
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    desk_page = context.new_page()
    log_in(desk_page, base, desk.email, DEMO_PASSWORD)
    desk_page.goto(f"{base}/practice/waiting-list/")
    expect(desk_page.get_by_role("heading", level=1)).to_have_text("Who is waiting for a place")
    expect(desk_page.get_by_text("Places on offer now")).to_be_visible()
    expect(desk_page.locator(".waitlist-rows")).to_contain_text("Tuesday or Thursday, evenings")
    expect(desk_page.locator(".waitlist-rows")).to_contain_text("Alex")
    shot_both(desk_page, "waitlist-desk")

    # Alex opens the link and confirms the place.
    page.goto(link_in(offers[alex.email], base))
    expect(page.get_by_role("heading", level=1)).to_have_text("A place has freed for you")
    expect(page.locator(".details-list")).to_contain_text("Community clinic place")
    shot_both(page, "waitlist-offer")
    page.get_by_role("button", name="Confirm this place").click()
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_have_text(re.compile("Check your booking|Community clinic place|Your"))
    if heading.inner_text() == "Check your booking":
        # A sliding scale or an online payment: the usual confirm page books the held place.
        page.get_by_role("button", name=re.compile("Confirm booking|Continue")).click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Check your booking")
    shot_both(page, "waitlist-booked")
    booking = Booking.objects.get(patient=alex, status=BookingStatus.CONFIRMED)
    assert booking.starts_at == freed.starts_at
    assert WaitlistEntry.objects.get(patient=alex).status == EntryStatus.BOOKED

    # Jordan's link now says the place has gone, and Jordan stays on the list.
    log_out(page)
    log_in(page, base, jordan.email, DEMO_PASSWORD)
    page.goto(link_in(offers[jordan.email], base))
    expect(page.get_by_role("heading", level=1)).to_have_text("This place has gone")
    expect(page.get_by_text("You are still on the waiting list")).to_be_visible()
    shot_both(page, "waitlist-gone")
    assert WaitlistEntry.objects.get(patient=jordan).status == EntryStatus.WAITING

    desk_page.reload()
    expect(desk_page.locator(".waitlist-rows")).to_contain_text("Jordan")
    expect(desk_page.locator(".waitlist-rows")).not_to_contain_text("Alex")
    expect(desk_page.get_by_text("No open time to offer by hand.")).to_be_visible()
    shot_both(desk_page, "waitlist-desk-after")
    context.close()
