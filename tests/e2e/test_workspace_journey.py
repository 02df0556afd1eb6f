"""The practitioner's workspace in a real browser: the header's pages on a laptop and in the
phone menu, finding a patient by date of birth, their visit with the phone number and the
latest check-in note; then the patient corrects a pain diary score."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.models import Booking, BookingStatus, Practitioner, Service
from followup.models import CheckInStage
from followup.services import checkin_submit
from intake.diary_entries import diary_add
from intake.models import DiaryEntry, IntakeResponse
from portal.demo import DEMO_PASSWORD
from portal.models import Clinic, User
from tests.booking.factories import visit_at
from tests.intake.factories import full_answers

from .conftest import PHONE, choose, laptop, log_in, log_out, shot, shot_both

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]

NOTE = "Sore for a day where the needles went in, then much easier. Slept right through."
HEADER = ("Calendar", "Community room", "Patients", "Hours & time off")


def _visit(patient: User, service: Service, mei: Practitioner, at: datetime) -> Booking:
    return visit_at(
        patient=patient,
        service=service,
        practitioner=mei,
        starts_at=at,
        price_minor=service.price_minor,
        currency=service.clinic.currency,
    )


def _current_in_header(page: Page, name: str) -> None:
    current = page.locator(".nav-desktop [aria-current=page]")
    expect(current).to_have_count(1)
    expect(current).to_have_text(name)


def test_practitioner_header_search_visit_and_patient_diary_edit(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    base = live_server.url
    mei = Practitioner.objects.get(user__email="mei@clinic.example")
    follow_up = Service.objects.get(slug="follow-up")
    priya = User.objects.get(email="priya@patient.example")
    now = timezone.now()
    # The demo's Priya has sent her questionnaire; these are the answers the search finds.
    questionnaire = IntakeResponse.objects.get(patient=priya)
    questionnaire.answers = full_answers(date_of_birth="1986-07-14", phone="07700 900201")
    questionnaire.submitted_at = now - timedelta(days=20)
    questionnaire.save()
    # Treated three days ago and answered the 48-hour check-in; seen again in two days.
    past = _visit(priya, follow_up, mei, (now - timedelta(days=3)).replace(second=0))
    Booking.objects.filter(pk=past.pk).update(
        status=BookingStatus.ATTENDED, attendance_marked_at=past.ends_at
    )
    past.refresh_from_db()
    checkin_submit(
        booking=past,
        stage=CheckInStage.CHECKIN,
        answers={
            "comparison": "better",
            "pain_now": 3,
            "needle_site_soreness": True,
            "bruising": False,
            "reactions": [],
            "red_flags": [],
            "note": NOTE,
            "wants_call": False,
        },
        now=past.ends_at + timedelta(hours=48),
    )
    upcoming = _visit(priya, follow_up, mei, (now + timedelta(days=2)).replace(second=0))

    # The header has the workspace's pages, the current one marked, on every page.
    log_in(page, base, "mei@clinic.example", DEMO_PASSWORD)
    expect(page.locator('[data-dashboard="practitioner"]')).to_be_visible()
    nav = page.locator(".nav-desktop")
    for name in HEADER:
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    nav.get_by_role("link", name="Community room", exact=True).click()
    _current_in_header(page, "Community room")
    nav.get_by_role("link", name="Hours & time off", exact=True).click()
    _current_in_header(page, "Hours & time off")
    nav.get_by_role("link", name="Calendar", exact=True).click()
    _current_in_header(page, "Calendar")
    shot_both(page, "workspace-header-calendar")
    page.set_viewport_size({"width": 1024, "height": 768})
    shot(page, "workspace-header-small-laptop", full_page=False)
    laptop(page)

    # Find Priya by her date of birth.
    nav.get_by_role("link", name="Patients", exact=True).click()
    _current_in_header(page, "Patients")
    page.get_by_label("Name, phone or date of birth").fill("14/07/1986")
    page.get_by_role("button", name="Find patient").click()
    result = page.locator(f'[data-patient="{priya.pk}"]')
    expect(result).to_contain_text("Priya")
    expect(result).to_contain_text("14 Jul 1986")
    expect(result).to_contain_text("07700 900201")
    shot_both(page, "workspace-patients")

    # The phone menu carries the same pages.
    page.set_viewport_size(PHONE)
    page.locator(".nav-menu > summary").click()
    menu = page.locator(".nav-menu__panel")
    for name in HEADER:
        expect(menu.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(menu.locator("[aria-current=page]")).to_have_text("Patients")
    shot(page, "workspace-phone-menu", full_page=False)
    page.locator(".nav-menu > summary").click()
    laptop(page)

    # The next visit: the phone number and the latest check-in note.
    result.locator("[data-next-visit] a").click()
    expect(page).to_have_url(f"{base}/practice/bookings/{upcoming.pk}/")
    expect(page.locator("[data-phone]")).to_have_text("07700 900201")
    expect(page.locator("[data-checkin-note]")).to_have_text(NOTE)
    expect(page.locator("[data-latest-checkin]")).to_contain_text("Better")
    _current_in_header(page, "Calendar")
    shot_both(page, "workspace-visit")
    # The top of the page as it first shows (the full pages are long: the intake follows).
    shot(page, "workspace-visit-top-laptop", full_page=False)
    page.set_viewport_size(PHONE)
    page.locator("[data-latest-checkin]").scroll_into_view_if_needed()
    shot(page, "workspace-visit-checkin-phone", full_page=False)
    laptop(page)
    page.get_by_role("link", name="Patient at a glance").click()
    expect(page.locator("[data-checkin-note]")).to_have_text(NOTE)
    shot_both(page, "workspace-patient")
    log_out(page)

    # Priya corrects a diary score she mistyped.
    mistyped = diary_add(patient=priya, pain=9, note="Typed nine by mistake")
    log_in(page, base, "priya@patient.example", DEMO_PASSWORD)
    page.goto(f"{base}/me/diary/")
    entry = page.locator(f'[data-entry="{mistyped.pk}"]')
    expect(entry).to_contain_text("9/10")
    shot_both(page, "workspace-diary-list")
    page.set_viewport_size(PHONE)
    entry.scroll_into_view_if_needed()
    shot(page, "workspace-diary-entry-phone", full_page=False)
    laptop(page)
    entry.get_by_role("link", name="Change").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change this score")
    choose(page, "How bad is your pain?", "2")
    page.get_by_label("Note").fill("A good day: 2 out of 10")
    shot_both(page, "workspace-diary-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".message--success")).to_contain_text("Your diary entry is updated")
    expect(page.locator(f'[data-entry="{mistyped.pk}"]')).to_contain_text("2/10")
    mistyped.refresh_from_db()
    assert (mistyped.pain, mistyped.note) == (2, "A good day: 2 out of 10")
    assert DiaryEntry.history.filter(id=mistyped.pk).count() == 2  # the team keeps the nine
