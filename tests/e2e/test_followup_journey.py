"""The follow-up journeys in a real browser: a patient answers the check-in from the emailed
link (no login), a red flag shows urgent advice, the practitioner sees and acknowledges the alert,
and the patient sees their check-ins in their account."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.models import Booking, BookingStatus
from followup.demo import PRIYA_UNANSWERED, seed_followup, visit_key
from followup.models import CheckIn, MessageKind, OutboxMessage, OutboxStatus
from followup.outbox import deliver
from followup.planner import plan
from intake.models import Alert
from portal.demo import DEMO_PASSWORD
from portal.models import Clinic

from .conftest import log_in, shot, shot_both

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]


@pytest.fixture
def demo_clinic(demo_clinic: Clinic) -> Clinic:
    """The booking demo with the follow-up's visits, check-ins and messages."""
    seed_followup(demo_clinic)
    return demo_clinic


def checkin_link_for(visit: Booking) -> str:
    """Plan and send the visit's check-in as the worker would; the link from the email."""
    now = timezone.now()
    plan(now)
    row = OutboxMessage.objects.get(booking=visit, kind=MessageKind.CHECKIN)
    # Seeding answers the other demo check-ins, and the dispatch that follows also sends
    # Priya's when the tests run late enough in the day that it is already due: send it again,
    # due and delivered at noon, outside quiet hours whatever time the suite runs.
    noon = now.replace(hour=12, minute=0, second=0, microsecond=0)
    OutboxMessage.objects.filter(pk=row.pk).update(
        due_at=noon, status=OutboxStatus.PENDING, sent_at=None
    )
    mail.outbox.clear()
    deliver(row.pk, now=noon)
    (message,) = mail.outbox
    found = re.search(r"https?://\S+/checkin/\S+/", str(message.body))
    assert found, message.body
    return urlparse(found.group(0)).path


def priya_visit_two_days_ago() -> Booking:
    visit = Booking.objects.get(request_key=visit_key(PRIYA_UNANSWERED))
    shift = timezone.now() - timedelta(hours=49) - visit.ends_at
    Booking.objects.filter(pk=visit.pk).update(
        starts_at=visit.starts_at + shift, ends_at=visit.ends_at + shift
    )
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CONFIRMED
    return visit


def test_patient_answers_the_checkin_and_sees_it_in_their_account(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    base = live_server.url
    path = checkin_link_for(priya_visit_two_days_ago())

    page.goto(base + path)
    expect(page.get_by_role("heading", name="How are you, Priya?")).to_be_visible()
    shot_both(page, "followup-checkin-form")

    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    shot(page, "followup-checkin-errors-laptop", full_page=False)

    page.get_by_label("Worse", exact=True).check()
    page.locator("#id_pain_now_6").check()
    page.get_by_label("Soreness where the needles went in").check()
    page.get_by_label("Anything you'd like to tell us?").fill("Slept well, thanks.")
    page.get_by_role("button", name="Send my answers").click()
    # Her fourth treatment of the course (booking.demo.COURSES), and worse: past the first one
    # or two, where soreness is expected, so her practitioner is asked to go more gently.
    expect(page.get_by_text("We have asked Mei Tanaka to go more gently next time")).to_be_visible()
    shot_both(page, "followup-checkin-thanks")
    visit = Booking.objects.get(request_key=visit_key(PRIYA_UNANSWERED))
    assert CheckIn.objects.get(booking=visit).answers["pain_now"] == 6

    page.goto(base + path)  # the link again
    expect(page.get_by_role("heading", name=re.compile("already answered"))).to_be_visible()

    log_in(page, base, "priya@patient.example", DEMO_PASSWORD)
    page.goto(f"{base}/me/follow-up/")
    expect(page.get_by_role("cell", name="6/10")).to_be_visible()
    shot_both(page, "followup-patient-history")


def test_a_red_flag_shows_urgent_advice_and_alerts_the_practitioner(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    base = live_server.url
    path = checkin_link_for(priya_visit_two_days_ago())
    page.goto(base + path)
    page.get_by_label("About the same", exact=True).check()
    page.locator("#id_pain_now_5").check()
    page.get_by_label("A fever, or feeling hot and shivery or generally unwell").check()
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("alert")).to_contain_text("Please get medical advice today")
    shot_both(page, "followup-checkin-urgent")

    log_in(page, base, "mei@clinic.example", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name=re.compile("Needs attention now"))).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Check-in notes"))).to_be_visible()
    expect(page.get_by_text("Treat more gently next time").first).to_be_visible()
    shot_both(page, "followup-practitioner-dashboard")
    alert = Alert.objects.get(kind="checkin_red_flag")
    item = page.locator(".attention__item", has_text="same-day care reported in a check-in")
    item.get_by_role("button", name=re.compile("^Acknowledge")).click()
    expect(page.locator(".attention__item", has_text="in a check-in")).to_have_count(0)
    alert.refresh_from_db()
    assert alert.acknowledged_at is not None
