"""The booking journeys in a real browser: book, move and cancel visits; the front desk books."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from email.mime.base import MIMEBase

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.availability import find_open_slots
from booking.models import Booking, BookingStatus, Service
from booking.services import BookingRequest, booking_create
from portal.demo import DEMO_PASSWORD
from portal.models import Clinic, Role, User
from tests.factories import UserFactory
from tests.intake.factories import IntakeResponseFactory

from .conftest import confirm, log_in, pick_slot, shot, shot_both, sign_up, wait_for_mail

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]


# --- helpers -------------------------------------------------------------------------------


def wall(moment: datetime, clinic: Clinic) -> str:
    """A time as the booking pages write it: "Tuesday 24 November, 17:30"."""
    local = moment.astimezone(clinic.tz)
    return f"{local:%A} {local.day} {local:%B}, {local:%H:%M}"


def ics_attachments(message: EmailMessage) -> list[str]:
    """The text of the message's calendar (.ics) attachments."""
    found = []
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            continue
        filename, content, _mimetype = attachment
        if filename and filename.endswith(".ics"):
            found.append(content.decode() if isinstance(content, bytes) else str(content))
    return found


# --- journeys ------------------------------------------------------------------------------


def test_new_patient_books_moves_and_cancels(page: Page, live_server, demo_clinic: Clinic) -> None:
    base = live_server.url
    clinic = demo_clinic
    # A new patient may hold one upcoming visit by default. This journey books two (a
    # community clinic place and a private follow-up) before either has happened, so the
    # clinic allows two; the default's refusal has its own test below.
    clinic.new_patient_booking_limit = 2
    clinic.save()
    changeable_from = timezone.now() + timedelta(hours=clinic.cancellation_cutoff_hours, minutes=30)

    patient = sign_up(page, base)
    # Sending the questionnaire in the browser is test_public_booking_journey's; here it is sent.
    IntakeResponseFactory.create(patient=patient)
    mail.outbox.clear()

    # A community clinic place: only David runs the room, so the week page opens directly.
    page.get_by_role("main").get_by_role("link", name="Book a visit").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("What would you like to book?")
    shot_both(page, "booking-services")
    page.get_by_role("link", name="Choose a time for Community clinic place").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pick a time")
    expect(page.locator("a.slot").first).to_be_visible()
    expect(page.locator("a.slot").first).to_contain_text(re.compile(r"\d+ recliners? left"))
    shot_both(page, "booking-week-multibed")

    multibed_start = pick_slot(page, not_before=changeable_from)
    card = page.locator(".details-list")
    expect(card).to_contain_text("Community clinic place")
    expect(card).to_contain_text("David Rhys")
    expect(card).to_contain_text("£25, paid at the clinic")
    shot_both(page, "booking-confirm")

    confirm(page)
    expect(page.locator(".eyebrow")).to_have_text("Booked")
    expect(page.get_by_role("heading", level=1)).to_have_text("Community clinic place")
    expect(page.locator(".badge")).to_have_text("Confirmed")
    expect(page.locator(".details-list")).to_contain_text(wall(multibed_start, clinic)[-5:])
    shot_both(page, "booking-confirmed")

    multibed = Booking.objects.get(patient=patient, service__slug="community-clinic")
    assert multibed.status == BookingStatus.CONFIRMED
    assert multibed.starts_at == multibed_start
    assert multibed.room is not None
    assert multibed.booked_by == patient

    wait_for_mail(1)
    confirmation = mail.outbox[0]
    assert confirmation.to == ["robin.hale@example.com"]
    assert isinstance(confirmation, EmailMessage)
    calendars = ics_attachments(confirmation)
    assert len(calendars) == 1, confirmation.attachments
    assert "BEGIN:VCALENDAR" in calendars[0]
    assert "BEGIN:VEVENT" in calendars[0]

    # A private follow-up with a practitioner the patient chooses.
    page.get_by_role("link", name="All my bookings").click()
    page.get_by_role("main").get_by_role("link", name="Book a visit").click()
    page.get_by_role("link", name="Choose a time for Follow-up treatment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Who would you like to see?")
    shot_both(page, "booking-practitioners")
    page.get_by_role("link", name="Times with Aisha Patel").click()
    expect(page.locator(".eyebrow")).to_contain_text("with Aisha Patel")
    shot_both(page, "booking-week-private")

    private_start = pick_slot(page, not_before=changeable_from)
    expect(page.locator(".details-list")).to_contain_text("Aisha Patel")
    confirm(page)
    expect(page.locator(".eyebrow")).to_have_text("Booked")
    expect(page.get_by_role("heading", level=1)).to_have_text("Follow-up treatment")
    private = Booking.objects.get(patient=patient, service__slug="follow-up")
    assert private.practitioner.display_name == "Aisha Patel"
    assert private.starts_at == private_start
    wait_for_mail(2)

    # Move the community clinic place to another time.
    page.get_by_role("link", name="All my bookings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My bookings")
    upcoming = page.locator("section", has=page.get_by_role("heading", name="Coming up"))
    expect(upcoming.locator("li")).to_have_count(2)
    upcoming.locator("li", has_text="Community clinic place").get_by_role("link").click()
    page.get_by_role("link", name="Move to another time").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pick a new time")
    expect(page.locator(".banner")).to_contain_text(wall(multibed_start, clinic))
    shot(page, "booking-week-reschedule-laptop")
    new_start = pick_slot(page, avoid=multibed.starts_at.isoformat())
    expect(page.locator(".details-list")).to_contain_text(wall(multibed_start, clinic))
    confirm(page, "Move my visit")
    expect(page.get_by_role("status")).to_contain_text("Your visit has moved")
    expect(page.locator(".badge")).to_have_text("Confirmed")

    multibed.refresh_from_db()
    assert multibed.status == BookingStatus.RESCHEDULED
    moved = Booking.objects.get(rescheduled_from=multibed)
    assert moved.starts_at == new_start
    assert moved.status == BookingStatus.CONFIRMED
    wait_for_mail(3)  # the new time's confirmation

    page.get_by_role("link", name="All my bookings").click()
    expect(upcoming).to_contain_text(wall(new_start, clinic))
    expect(upcoming).not_to_contain_text(wall(multibed_start, clinic))

    # Cancel the private visit.
    upcoming.locator("li", has_text="Follow-up treatment").get_by_role("link").click()
    page.get_by_role("link", name="Cancel this visit").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel your visit?")
    shot_both(page, "booking-cancel")
    page.get_by_role("button", name="Yes, cancel this visit").click()
    expect(page.get_by_role("status")).to_contain_text("Your visit is cancelled")
    expect(page.locator(".badge")).to_have_text("Cancelled")
    expect(page.get_by_role("link", name="Cancel this visit")).to_have_count(0)
    private.refresh_from_db()
    assert private.status == BookingStatus.CANCELLED
    wait_for_mail(4)
    assert "cancel" in mail.outbox[3].subject.lower()

    page.get_by_role("link", name="All my bookings").click()
    expect(upcoming.locator("li")).to_have_count(1)
    expect(upcoming).to_contain_text("Community clinic place")
    past = page.locator("section", has=page.get_by_role("heading", name="Past and cancelled"))
    expect(
        past.get_by_role("row", name=re.compile("Follow-up treatment.*Cancelled"))
    ).to_be_visible()
    expect(
        past.get_by_role("row", name=re.compile("Community clinic place.*Moved"))
    ).to_be_visible()
    shot_both(page, "my-bookings")


def test_new_patient_limit_refuses_a_second_visit_kindly(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    assert demo_clinic.new_patient_booking_limit == 1  # the clinic's default
    alex = User.objects.get(email="alex@patient.example")
    community = Service.objects.get(clinic=demo_clinic, slug="community-clinic")
    now = timezone.now()
    today = now.astimezone(demo_clinic.tz).date()
    first = find_open_slots(community, today, today + timedelta(days=14), now=now)[0]
    booking_create(BookingRequest(patient=alex, service=community, starts_at=first.starts_at))

    log_in(page, live_server.url, alex.email, DEMO_PASSWORD)
    expect(page.locator('[data-dashboard="patient"]')).to_be_visible()
    page.goto(f"{live_server.url}/book/")
    page.get_by_role("link", name="Choose a time for Follow-up treatment").click()
    page.get_by_role("link", name="Show all times").click()
    # Said above the times, and again on the chosen time in place of its Confirm button.
    expect(page.locator('[data-rule="at-limit"]')).to_contain_text(
        "You already have your upcoming visit booked"
    )
    pick_slot(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your booking")
    expect(page.get_by_role("status")).to_contain_text(
        "As a new patient you can hold one upcoming visit at a time"
    )
    expect(page.get_by_role("button", name="Confirm booking")).to_have_count(0)
    expect(page.get_by_role("link", name="See my bookings")).to_be_visible()
    shot(page, "booking-limit-refused-laptop")
    assert Booking.objects.filter(patient=alex).count() == 1


def test_front_desk_books_for_a_caller(page: Page, live_server, demo_clinic: Clinic) -> None:
    desk = UserFactory.create(
        email="frontdesk@example.com", first_name="Sam", last_name="Okafor", role=Role.STAFF
    )
    jordan = User.objects.get(email="jordan@patient.example")
    log_in(page, live_server.url, desk.email)
    expect(page.locator('[data-dashboard="staff"]')).to_be_visible()

    page.get_by_role("link", name="Book for a caller").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Book for a caller")
    page.get_by_label("Name, email or phone").fill("reid")
    page.get_by_role("button", name="Find patient").click()
    expect(page).to_have_url(re.compile(r"/book/for-a-patient/\?q=reid"))
    expect(page.locator("main li.card")).to_have_count(1)
    shot_both(page, "book-for-a-patient")
    page.get_by_role("link", name="Book for Jordan").click()

    expect(page.locator(".eyebrow")).to_contain_text("for Jordan Reid")
    page.get_by_role("link", name="Choose a time for Free 15-minute assessment").click()
    page.get_by_role("link", name="Show all times").click()
    expect(page.locator(".eyebrow")).to_contain_text("for Jordan Reid")
    start = pick_slot(page)
    expect(page.locator(".details-list")).to_contain_text("Jordan Reid (jordan@patient.example)")
    shot_both(page, "booking-confirm-for-a-patient")
    confirm(page)

    expect(page.locator(".eyebrow")).to_have_text("Booked")
    details = page.locator(".details-list")
    expect(details).to_contain_text("Jordan Reid (jordan@patient.example)")
    expect(page.get_by_text("You're booked in")).to_have_count(0)  # that is for the patient
    shot_both(page, "booking-confirmed-for-a-patient")

    booking = Booking.objects.get(patient=jordan)
    assert booking.service.slug == "free-assessment"
    assert booking.starts_at == start
    assert booking.booked_by == desk
    wait_for_mail(1)
    assert mail.outbox[0].to == [jordan.email]
