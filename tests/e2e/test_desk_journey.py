"""The front desk in a browser: a caller with no email address is added and booked in one
flow (and a second try finds them), and a "please call me" request is claimed, with a
colleague on a phone seeing who has it."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from booking.models import Booking
from intake.models import AlertLevel
from intake.services import alert_raise
from intake.triage import CALL_REQUESTED
from portal.models import Clinic, Role, User
from tests.factories import UserFactory

from .conftest import confirm, log_in, pick_slot, shot, shot_both

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]


def _desk(email: str, first: str, last: str) -> User:
    return UserFactory.create(email=email, first_name=first, last_name=last, role=Role.STAFF)


def test_desk_adds_a_caller_without_email_and_books_them(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    desk = _desk("frontdesk@example.com", "Sam", "Okafor")
    log_in(page, live_server.url, desk.email)
    expect(page.locator('[data-dashboard="staff"]')).to_be_visible()

    # Search first, as the desk would; nobody matches, so add them from there.
    page.get_by_role("link", name="Book for a caller").click()
    page.get_by_label("Name, email or phone").fill("Gwen Morgan")
    page.get_by_role("button", name="Find patient").click()
    page.get_by_role("link", name="Add them as a new caller").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Add a new caller")
    expect(page.get_by_label("First name")).to_have_value("Gwen")
    expect(page.get_by_label("Last name")).to_have_value("Morgan")

    page.get_by_label("Phone").fill("12345")
    page.get_by_label("Date of birth").fill("1951-06-02")
    page.get_by_role("button", name="Add and choose a visit").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("Enter a real phone number")
    expect(page.get_by_label("First name")).to_have_value("Gwen")  # nothing typed is lost
    shot_both(page, "desk-add-caller-error")

    page.get_by_label("Phone").fill("0117 496 0456")
    shot_both(page, "desk-add-caller")
    page.get_by_role("button", name="Add and choose a visit").click()

    gwen = User.objects.get(first_name="Gwen", last_name="Morgan")
    assert not gwen.has_email and not gwen.has_usable_password()
    assert gwen.phone == "+441174960456"
    expect(page).to_have_url(re.compile(rf"/book/\?for={gwen.pk}$"))
    expect(page.get_by_text("Gwen has no email address")).to_be_visible()
    expect(page.locator(".eyebrow")).to_contain_text("for Gwen Morgan")
    shot_both(page, "desk-add-caller-services")

    page.get_by_role("link", name="Choose a time for Free 15-minute assessment").click()
    page.get_by_role("link", name="Show all times").click()
    pick_slot(page)
    notice = page.locator("[data-no-email]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("No email address")
    expect(page.locator(".details-list")).to_contain_text("Gwen Morgan (no email)")
    shot_both(page, "desk-add-caller-confirm")
    confirm(page)

    expect(page.locator(".eyebrow")).to_have_text("Booked")
    expect(page.locator("[data-no-email]")).to_be_visible()
    shot_both(page, "desk-add-caller-booked")
    booking = Booking.objects.get(patient=gwen)
    assert booking.booked_by == desk
    assert mail.outbox == []  # nobody to send the confirmation to

    # The same caller rings again: the desk is offered the account, not a second one.
    page.goto(f"{live_server.url}/desk/callers/new/")
    page.get_by_label("First name").fill("gwen")
    page.get_by_label("Last name").fill("MORGAN")
    page.get_by_label("Phone").fill("07700 900777")
    page.get_by_label("Date of birth").fill("1951-06-02")
    page.get_by_role("button", name="Add and choose a visit").click()
    found = page.locator("[data-already-registered]")
    expect(found).to_contain_text("Already registered")
    expect(found).to_contain_text("the same name and date of birth")
    shot_both(page, "desk-add-caller-duplicate")
    found.get_by_role("link", name="Book for Gwen").click()
    expect(page).to_have_url(re.compile(rf"/book/\?for={gwen.pk}$"))
    assert User.objects.filter(first_name__iexact="gwen").count() == 1


def test_desk_claims_a_call_me_request(
    page: Page, phone_page: Page, live_server, demo_clinic: Clinic
) -> None:
    sam = _desk("frontdesk@example.com", "Sam", "Okafor")
    ffion = _desk("ffion@example.com", "Ffion", "Rees")
    jordan = User.objects.get(email="jordan@patient.example")
    alert, _ = alert_raise(
        patient=jordan,
        level=AlertLevel.TODAY,
        kind=CALL_REQUESTED,
        source_key="checkin:e2e",
        summary="Asked for a call",
    )

    log_in(page, live_server.url, sam.email)
    task = page.locator(f'[data-today-tasks] [data-alert="{alert.pk}"]')
    expect(task).to_contain_text("Call back today")
    expect(task).to_contain_text("Jordan Reid")
    expect(task).to_contain_text("Raised")
    expect(task).to_contain_text("Nobody has taken this yet")
    shot_both(page, "desk-call-me-open")
    task.get_by_role("button", name=re.compile("I'll handle this")).click()
    expect(page.get_by_text("You are handling Jordan Reid")).to_be_visible()
    expect(task).to_contain_text("You are handling this")
    shot_both(page, "desk-call-me-claimed")

    # A colleague on her phone sees who has it and is not offered the button.
    log_in(phone_page, live_server.url, ffion.email)
    theirs = phone_page.locator(f'[data-today-tasks] [data-alert="{alert.pk}"]')
    expect(theirs).to_contain_text("Sam Okafor is handling this")
    expect(theirs.get_by_role("button", name=re.compile("I'll handle this"))).to_have_count(0)
    shot(phone_page, "desk-call-me-colleague-phone")
    alert.refresh_from_db()
    assert alert.claimed_by == sam


def test_desk_changes_a_fee_decision_and_a_500_pound_floor_is_refused(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    from payments.fee_reductions import fee_reduction_approve, fee_reduction_request
    from payments.models import FeeReduction

    sam = _desk("frontdesk@example.com", "Sam", "Okafor")
    jordan = User.objects.get(email="jordan@patient.example")
    request = fee_reduction_request(patient=jordan, clinic=demo_clinic, reason="Hours cut")
    fee_reduction_approve(reduction=request, by=sam, floor_minor=2000)
    mail.outbox.clear()

    log_in(page, live_server.url, sam.email)
    page.get_by_role("link", name=re.compile("Fee requests")).click()
    page.get_by_role("link", name=re.compile("Change")).click()
    current = page.locator("[data-current-decision]")
    expect(current).to_contain_text("lowest fee £20")
    expect(page.get_by_label(re.compile("Their lowest fee"))).to_have_value("20")

    page.get_by_label(re.compile("Their lowest fee")).fill("500")
    page.get_by_role("button", name="Save the new decision").click()
    expect(page.locator(".error-summary")).to_contain_text("more than the full price")
    shot_both(page, "desk-fee-change-refused")
    assert FeeReduction.objects.get().floor_minor == 2000

    page.get_by_label(re.compile("Their lowest fee")).fill("15")
    page.get_by_role("button", name="Save the new decision").click()
    expect(page.get_by_text("Decision changed. We have emailed the patient.")).to_be_visible()
    shot_both(page, "desk-fee-changed")
    assert FeeReduction.objects.get().floor_minor == 1500
    assert [m.to for m in mail.outbox] == [[jordan.email]]


def _page_width_overflow(page: Page) -> int:
    """How far the page is wider than the window (0 when nothing scrolls sideways)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def test_a_table_of_answers_does_not_widen_the_phone_page(
    phone_page: Page, live_server, demo_clinic: Clinic, patient: User
) -> None:
    """The answered fee requests' table scrolls inside its box; its hidden link text ("Change
    the decision for ...") was placed against the page and made the whole page scroll sideways
    on a phone (466 px wide at 390)."""
    from django.utils import timezone

    from tests.payments.factories import approved_floor

    desk = _desk("frontdesk@example.com", "Sam", "Okafor")
    approved_floor(patient, 1000, decided_by=desk, decided_at=timezone.now())
    log_in(phone_page, live_server.url, desk.email)
    phone_page.goto(f"{live_server.url}/fee-reductions/")
    expect(phone_page.get_by_role("link", name="Change the decision for")).to_be_attached()
    shot(phone_page, "desk-fee-requests-answered-phone")
    assert _page_width_overflow(phone_page) == 0
