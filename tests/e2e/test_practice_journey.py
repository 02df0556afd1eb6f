"""The practitioner's journeys in a real browser: the week, a visit marked attended with its
treatment record, time off over a booked visit cancelled with notice; the front desk books
for a caller and sees the visit in the clinic's day; the calendar and the room lane at laptop
and tablet sizes."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, ViewportSize, expect

from booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    Practitioner,
    Service,
    ServiceKind,
    TimeOff,
)
from portal.demo import DEMO_PASSWORD
from portal.models import Clinic, Role, User
from practice.demo import seed_practice
from practice.models import TreatmentRecord
from tests.booking.factories import visit_at
from tests.factories import UserFactory

from .conftest import LAPTOP, PHONE, confirm, log_in, pick_slot, shot, wait_for_mail

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]

TABLET: ViewportSize = {"width": 820, "height": 1180}


@pytest.fixture
def demo_clinic(demo_clinic: Clinic) -> Clinic:
    """The booking demo with this week's and next week's visits."""
    seed_practice(demo_clinic)
    return demo_clinic


def _direct_visit(
    patient: User, service: Service, practitioner: Practitioner, at: datetime
) -> Booking:
    """A confirmed visit at any time (a visit in progress cannot be booked online)."""
    return visit_at(
        patient=patient,
        service=service,
        practitioner=practitioner,
        starts_at=at,
        price_minor=service.price_minor,
        currency=service.clinic.currency,
    )


def both_sizes(page: Page, name: str) -> None:
    shot(page, f"{name}-laptop")
    page.set_viewport_size(TABLET)
    shot(page, f"{name}-tablet")
    # Phones get the same columns restyled as a list per day (no second copy of the grid).
    page.set_viewport_size(PHONE)
    shot(page, f"{name}-phone")
    page.set_viewport_size(LAPTOP)


def test_practitioner_week_attendance_record_and_time_off(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    tz = demo_clinic.tz
    mei = Practitioner.objects.get(user__email="mei@clinic.example")
    follow_up = Service.objects.get(slug="follow-up")
    now = timezone.now()
    priya = User.objects.get(email="priya@patient.example")
    # A visit that started ten minutes ago, and one in ten days' time to take time off over.
    in_progress = _direct_visit(priya, follow_up, mei, now - timedelta(minutes=10))
    # A weekday with no other visit of Mei's: the demo seeds this week and next, which reach
    # ten days ahead on some days of the week.
    later_day = (now + timedelta(days=10)).astimezone(tz).date()
    while (
        later_day.weekday() >= 5
        or Booking.objects.filter(
            practitioner=mei,
            starts_at__gte=datetime.combine(later_day, datetime.min.time(), tzinfo=tz),
            starts_at__lt=datetime.combine(
                later_day + timedelta(days=1), datetime.min.time(), tzinfo=tz
            ),
        ).exists()
    ):
        later_day += timedelta(days=1)
    tom = User.objects.get(email="tom@patient.example")
    later = _direct_visit(
        tom,
        follow_up,
        mei,
        datetime.combine(later_day, datetime.min.time(), tzinfo=tz)
        + timedelta(hours=11, minutes=45),
    )

    log_in(page, live_server.url, "mei@clinic.example", DEMO_PASSWORD)
    expect(page.locator('[data-dashboard="practitioner"]')).to_be_visible()
    page.get_by_role("link", name="Open the calendar").click()
    expect(page.locator(".practice-nav [aria-current=page]")).to_have_text("Week")
    week_of = in_progress.starts_at.astimezone(tz).date().isoformat()
    page.goto(f"{live_server.url}/practice/calendar/?week={week_of}")
    expect(page.locator(f'[data-booking="{in_progress.pk}"]')).to_be_visible()
    both_sizes(page, "practice-week")

    # Open the visit, mark it attended, write the record.
    page.locator(f'[data-booking="{in_progress.pk}"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Priya Shah")
    shot(page, "practice-visit-laptop")
    page.get_by_role("button", name="Mark attended").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Treatment record")
    page.get_by_label("Areas treated and points").fill("Right lumbar and buttock: BL25, BL54, GB30")
    page.get_by_label("Number of needles").fill("7")
    page.get_by_label("Shallow").check()
    page.get_by_label("Gentle").check()
    page.get_by_label("Style").fill("Japanese")
    page.get_by_label("How the patient reacted during treatment").fill("Relaxed, a little ache")
    page.get_by_label("Plan for next time").fill("Same points, a little deeper if comfortable")
    shot(page, "practice-record-form-laptop")
    page.get_by_role("button", name="Save record").click()
    expect(page.locator(".message--success")).to_contain_text("Treatment record saved")
    expect(page.locator("[data-intensity]").first).to_have_text(
        "7 needles, shallow depth, gentle stimulation"
    )
    in_progress.refresh_from_db()
    assert in_progress.status == BookingStatus.ATTENDED
    assert TreatmentRecord.objects.get(booking=in_progress).needles == 7

    # Time off over Tom's visit: see it first, then cancel it with a message.
    page.goto(f"{live_server.url}/practice/availability/")
    off = page.locator("#time-off")
    off.get_by_label("From (date)").fill(later_day.isoformat())
    off.get_by_label("From (time)").fill("09:00")
    off.get_by_label("Until (date)").fill(later_day.isoformat())
    off.get_by_label("Until (time)").fill("17:30")
    off.get_by_label("Reason").fill("Training day")
    off.get_by_role("button", name="Add time off").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("1 visit booked in this time")
    expect(page.locator(f'[data-affected="{later.pk}"]')).to_contain_text("Tom Ellis")
    page.get_by_label("Message to each patient").fill(
        "I'm on a training day. Sorry! Please rebook."
    )
    shot(page, "practice-time-off-confirm-laptop")
    page.get_by_role("button", name="Add time off and cancel 1 visit").click()
    expect(page.locator(".message--success")).to_contain_text("1 visit cancelled")
    later.refresh_from_db()
    assert later.status == BookingStatus.CANCELLED
    assert TimeOff.objects.filter(practitioner=mei, reason="Training day").exists()
    wait_for_mail(1)
    assert mail.outbox[-1].to == [tom.email]
    assert "I'm on a training day. Sorry! Please rebook." in mail.outbox[-1].body
    both_sizes(page, "practice-week-with-time-off")


def test_room_lane_and_the_clinic_day(page: Page, live_server, demo_clinic: Clinic) -> None:
    desk = UserFactory.create(
        email="frontdesk@example.com", first_name="Sam", last_name="Okafor", role=Role.STAFF
    )
    tz = demo_clinic.tz
    today = timezone.now().astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    tuesday = monday + timedelta(days=1)
    log_in(page, live_server.url, desk.email)
    page.goto(f"{live_server.url}/practice/room/?date={tuesday.isoformat()}")
    expect(page.locator("[data-room-lane]")).to_be_visible()
    # The Tuesday regulars, and Jordan when her fortnightly visit falls that day.
    day_starts = datetime.combine(tuesday, time(0), tzinfo=tz)
    stays = Booking.objects.filter(
        kind=ServiceKind.MULTIBED,
        status__in=ACTIVE_STATUSES,
        starts_at__gte=day_starts,
        starts_at__lt=day_starts + timedelta(days=1),
    ).count()
    assert stays >= 6
    expect(page.locator(".lane__stay")).to_have_count(stays)
    both_sizes(page, "practice-room-lane")
    page.goto(f"{live_server.url}/practice/calendar/day/?date={tuesday.isoformat()}&p=all")
    expect(page.locator(".cal__colhead")).to_have_count(3)
    both_sizes(page, "practice-clinic-day")


def test_front_desk_books_for_a_caller_from_the_calendar(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    desk = UserFactory.create(
        email="frontdesk@example.com", first_name="Sam", last_name="Okafor", role=Role.STAFF
    )
    log_in(page, live_server.url, desk.email)
    page.get_by_role("link", name="Everyone's day").click()
    expect(page.locator(".practice-nav")).to_be_visible()
    page.locator(".practice-nav").get_by_role("link", name="Book for a caller").click()
    page.get_by_label("Name, email or phone").fill("ellis")
    page.get_by_role("button", name="Find patient").click()
    page.get_by_role("link", name="Book for Tom").click()
    page.get_by_role("link", name="Choose a time for Follow-up treatment").click()
    page.get_by_role("link", name="Times with Mei Tanaka").click()
    expect(page.locator(".eyebrow")).to_contain_text("for Tom Ellis")
    before = set(Booking.objects.values_list("pk", flat=True))
    start = pick_slot(page, not_before=timezone.now() + timedelta(days=1))
    confirm(page)
    booking = Booking.objects.exclude(pk__in=before).get()
    assert booking.patient.email == "tom@patient.example"
    assert booking.practitioner.user.email == "mei@clinic.example"
    assert booking.starts_at == start and booking.booked_by == desk
    day = start.astimezone(demo_clinic.tz).date().isoformat()
    page.goto(f"{live_server.url}/practice/calendar/day/?date={day}&p=all")
    expect(page.locator(f'[data-booking="{booking.pk}"]')).to_contain_text("Tom Ellis")
