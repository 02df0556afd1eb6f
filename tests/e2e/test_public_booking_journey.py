"""The patient's booking journey from the public pages (issue 16), in a real browser: prices
and practitioners before signing up, one button per time that books who the confirm step
names, signing up in the middle and landing back on the chosen time, a fully booked
community clinic week, and the header's Book and My bookings on a phone."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.availability import find_open_slots
from booking.models import Booking, Practitioner, Service
from booking.services import BookingRequest, booking_create
from booking.week_page import monday_of
from payments.demo import seed_payments
from portal.models import Clinic
from tests.factories import TEST_PASSWORD, PatientFactory, UserFactory

from .conftest import (
    CONFIRM_LINK,
    LAPTOP,
    PHONE,
    SCREENSHOTS,
    confirm,
    fill_signup,
    log_in,
    send_questionnaire,
    shot_both,
    wait_for_mail,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]


def heights(page: Page) -> tuple[int, int]:
    """The page's full height at laptop and at phone width, leaving it at laptop size."""
    page.set_viewport_size(LAPTOP)
    laptop = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size(PHONE)
    phone = int(page.evaluate("document.documentElement.scrollHeight"))
    page.set_viewport_size(LAPTOP)
    return laptop, phone


def test_a_visitor_sees_prices_signs_up_and_books_the_time_they_chose(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    base = live_server.url
    seed_payments(demo_clinic)
    # The clinic's default rule for newcomers, said before anything is filled in.
    assert demo_clinic.new_patient_booking_limit == 1

    # Prices, the sliding scale and the practitioners, without an account.
    page.goto(f"{base}/book/")
    expect(page.get_by_role("heading", level=1)).to_have_text("What would you like to book?")
    community = page.locator('[data-service="community-clinic"]')
    expect(community.locator("[data-price]")).to_have_text("£15\u2013£35, you choose")
    expect(page.locator('[data-service="free-assessment"] [data-price]')).to_have_text("Free")
    expect(page.locator('[data-service="follow-up"] [data-price]')).to_have_text("£50")
    expect(page.locator('[data-rule="new-patient"]')).to_contain_text(
        "you can hold one upcoming visit at a time"
    )
    expect(page.get_by_text("Gentle Japanese-style needling").first).to_be_visible()
    shot_both(page, "public-booking-01-services")

    # Who offers the follow-up, with their profiles.
    page.locator('[data-service="follow-up"]').get_by_role("link", name="Choose a time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who would you like to see?")
    expect(page.get_by_text("turn the volume down")).to_be_visible()
    shot_both(page, "public-booking-02-practitioners")

    # Any practitioner: each time once, in morning and afternoon groups.
    page.get_by_role("link", name="Show all times").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pick a time")
    starts = [link.get_attribute("data-start") for link in page.locator("a.slot").all()]
    assert starts and len(starts) == len(set(starts)), "a time is offered twice"
    expect(page.locator(".day-part", has_text="Morning").first).to_be_visible()
    expect(page.locator(".day-part", has_text="Afternoon").first).to_be_visible()
    laptop_px, phone_px = heights(page)
    print(f"\nweek page (follow-up, any practitioner): laptop {laptop_px}px, phone {phone_px}px")
    # Before the change this page was about 6,400 px on a laptop and 10,800 px on a phone.
    assert laptop_px < 1600 and phone_px < 3600, (laptop_px, phone_px)
    shot_both(page, "public-booking-03-week-any")

    # Choosing a time asks for an account and says the time is kept.
    slot = page.locator("a.slot").nth(3)
    chosen_start = slot.get_attribute("data-start")
    chosen_pid = int(slot.get_attribute("data-practitioner") or 0)
    named = Practitioner.objects.get(pk=chosen_pid).display_name
    slot.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.locator('[data-next="booking"]')).to_contain_text("Your chosen time is waiting")
    shot_both(page, "public-booking-04-log-in")
    page.get_by_role("link", name="Sign up", exact=True).last.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign up")
    expect(page.locator('[data-next="booking"]')).to_be_visible()
    fill_signup(page, password=TEST_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Verify your email address")
    shot_both(page, "public-booking-05-verify")
    wait_for_mail(1)
    link = CONFIRM_LINK.search(str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm your email address")
    page.get_by_role("button", name="Confirm").click()

    # A first treatment needs the health questionnaire: the booking page says so, and after
    # sending it the newcomer is brought back to the time they chose.
    expect(page.get_by_role("heading", level=1)).to_have_text("One step before booking")
    shot_both(page, "public-booking-06-questionnaire-first")
    page.get_by_role("link", name="Fill in the questionnaire").click()
    send_questionnaire(page)
    page.get_by_role("link", name="Continue booking").click()

    # Back on the time they chose, told who the visit is with before confirming.
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your booking")
    expect(page.locator("[data-with]")).to_contain_text(named)
    shot_both(page, "public-booking-07-confirm")
    confirm(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Follow-up treatment")
    booking = Booking.objects.get(patient__email="robin.hale@example.com")
    assert booking.practitioner_id == chosen_pid
    assert booking.starts_at.isoformat() == chosen_start

    # The dashboard knows a first visit is booked, and still says the newcomer's rule.
    page.goto(f"{base}/me/")
    steps = page.locator('[data-step="book"]')
    expect(steps).to_contain_text("First visit booked")
    expect(page.get_by_text("Book a free assessment")).to_have_count(0)
    expect(page.locator('[data-rule="new-patient"]')).to_contain_text("you have it booked")
    shot_both(page, "public-booking-08-dashboard")


def test_a_fully_booked_community_week_points_to_the_next_week_with_places(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    base = live_server.url
    seed_payments(demo_clinic)
    community = Service.objects.get(slug="community-clinic")
    now = timezone.now()
    full = monday_of(now.astimezone(demo_clinic.tz).date()) + timedelta(days=7)
    # Every start of that week taken, one newcomer per start as the room allows.
    for slot in find_open_slots(community, full, full + timedelta(days=6), now=now):
        booking_create(
            BookingRequest(
                patient=PatientFactory.create(),
                service=community,
                starts_at=slot.starts_at,
                request_key=str(uuid.uuid4()),
            )
        )
    assert not find_open_slots(community, full, full + timedelta(days=6), now=now)

    page.goto(f"{base}/book/community-clinic/times/?with=any&week={full.isoformat()}")
    box = page.locator('[data-week="full"]')
    expect(box.get_by_role("heading")).to_have_text("Fully booked this week")
    expect(page.locator("a.slot")).to_have_count(0)
    shot_both(page, "public-booking-08-fully-booked")
    box.get_by_role("link", name=re.compile("See the week of")).click()
    expect(page.locator("a.slot").first).to_be_visible()
    expect(page.locator("a.slot").first).to_contain_text("recliners left")
    shot_both(page, "public-booking-09-next-week")


def test_patients_have_book_and_my_bookings_in_the_phone_menu(
    phone_page: Page, live_server, demo_clinic: Clinic
) -> None:
    page = phone_page
    patient = UserFactory.create(email="kit@example.com", first_name="Kit")
    assert patient.check_password(TEST_PASSWORD)
    log_in(page, live_server.url, "kit@example.com")
    expect(page.locator('[data-dashboard="patient"]')).to_be_visible()
    page.get_by_text("Menu").click()
    menu = page.locator(".nav-menu__panel")
    expect(menu.get_by_role("link", name="Book", exact=True)).to_be_visible()
    expect(menu.get_by_role("link", name="My bookings")).to_be_visible()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "public-booking-10-phone-menu.png"))
    menu.get_by_role("link", name="My bookings").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("bookings")


def test_the_sign_in_pages_speak_the_portals_language(page: Page, live_server) -> None:
    base = live_server.url
    page.goto(f"{base}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    expect(page.get_by_label("Remember me on this device")).to_be_visible()
    page.get_by_role("link", name="Forgotten your password?").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Reset your password")
    expect(page.get_by_role("button", name="Email me a reset link")).to_be_visible()
    shot_both(page, "public-booking-11-password-reset")
    page.goto(f"{base}/accounts/signup/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign up")
    expect(page.get_by_role("button", name="Sign up", exact=True)).to_be_visible()
