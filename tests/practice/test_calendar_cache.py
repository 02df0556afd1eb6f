"""practice.calendar_cache: the cached week follows every write that changes what it shows.

Booking and schedule writes bump ``booking.cache_version`` once they commit (the tests run
those writes under ``django_capture_on_commit_callbacks(execute=True)``, as a real commit
would). Badges other apps write (flags, intake, payments, check-ins) and treatment records
bump nothing: they must show on a page served from the cache all the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date, time, timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth import user_logged_in
from django.test import Client
from django.utils import timezone

from booking.attendance import booking_mark_arrived, booking_mark_attendance
from booking.cache_version import current_version
from booking.models import Booking, BookingStatus, Practitioner, Weekday
from booking.services import booking_cancel
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage, OutboxStatus
from intake.models import FlagKind
from intake.services import flag_raise
from payments.models import Payment, PaymentStatus
from portal.models import User
from practice.calendar_cache import (
    CalendarPage,
    cached_page,
    page_key,
    people_changed,
    people_version,
)
from practice.services import TreatmentDetails, treatment_record_save, weekly_hours_add
from tests.booking.conftest import MON, NOW
from tests.conftest import client_for
from tests.intake.factories import IntakeResponseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

WEEK = "/practice/calendar/?week=2027-03-01"

Committed = Callable[[], AbstractContextManager[Any]]


@pytest.fixture
def committed(django_capture_on_commit_callbacks: Any) -> Committed:
    """Run a write's after-commit work (the version bump), as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def mei_client(practitioner: User, visit: Booking) -> Iterator[Client]:
    client = client_for(practitioner)
    assert client.get(WEEK).status_code == 200  # computed and cached
    yield client


def entry_of(client: Client, booking: Booking) -> str:
    """The HTML of one visit on the week page."""
    html = client.get(WEEK).content.decode()
    start = html.index(f'data-booking="{booking.pk}"')
    return html[html.rindex("<a ", 0, start) : html.index("</a>", start)]


def test_a_page_is_computed_once_per_version_and_clinic_day(
    clinic: Any, visit: Booking, mei: Practitioner, committed: Committed
) -> None:
    computed: list[date] = []

    def compute() -> CalendarPage:
        today = timezone.now().astimezone(clinic.tz).date()
        computed.append(today)
        return CalendarPage(
            clinic=clinic, today=today, first=MON, markup=[], visits=[], first_kept={}
        )

    key = page_key(clinic_id=clinic.pk, view="week", role="staff", who="all", requested=MON)
    first = cached_page(key, compute, now=timezone.now())
    assert cached_page(key, compute, now=timezone.now()) == first
    assert len(computed) == 1
    with committed():
        booking_cancel(booking=visit, by=mei.user, now=NOW)
    cached_page(key, compute, now=timezone.now())
    assert len(computed) == 2
    with committed():
        people_changed()
    cached_page(key, compute, now=timezone.now())
    assert len(computed) == 3
    cached_page(key, compute, now=timezone.now())
    assert len(computed) == 3
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        cached_page(key, compute, now=timezone.now())
    assert computed[-1] == computed[0] + timedelta(days=1)


def test_the_cached_body_follows_the_role_not_the_first_visitor(
    mei_client: Client, front_desk: User, mei: Practitioner, david: Practitioner
) -> None:
    desk = client_for(front_desk).get(f"{WEEK}&p={mei.pk}").content.decode()
    assert 'name="p"' in desk and "Add time off" not in desk
    assert "David Rhys" in desk  # the choice of practitioners, for staff only
    own = mei_client.get(f"{WEEK}&p={david.pk}").content.decode()  # ``p`` is not for her
    assert "Add time off" in own and 'name="p"' not in own and "David Rhys" not in own
    assert "Signed in as Mei" in own and "Sam" not in own


def test_a_cancelled_visit_leaves_the_cached_week(
    mei_client: Client, visit: Booking, mei: Practitioner, committed: Committed
) -> None:
    with committed():
        booking_cancel(booking=visit, by=mei.user, now=NOW)
    assert f'data-booking="{visit.pk}"' not in mei_client.get(WEEK).content.decode()


def test_arrival_written_by_a_bulk_update_shows(
    mei_client: Client, visit: Booking, mei: Practitioner, committed: Committed
) -> None:
    with time_machine.travel(visit.starts_at - timedelta(minutes=5), tick=False):
        # Hours later: a team session ends after 30 idle minutes, so Mei signs in again.
        mei_client = client_for(mei.user)
        assert "Arrived" not in entry_of(mei_client, visit)  # cached for this day
        with committed():
            booking_mark_arrived(booking=visit, by=mei.user)
        assert "Arrived" in entry_of(mei_client, visit)


def test_a_renamed_patient_shows_on_the_cached_week(
    mei_client: Client, visit: Booking, patient: User, committed: Committed
) -> None:
    assert "Alex " in entry_of(mei_client, visit)
    patient.first_name = "Alexandra"
    with committed():
        patient.save()
    assert "Alexandra " in entry_of(mei_client, visit)


def test_signing_in_keeps_the_cached_pages(
    mei_client: Client, patient: User, committed: Committed
) -> None:
    versions = (current_version(), people_version())
    with committed():
        user_logged_in.send(sender=User, request=None, user=patient)  # saves last_login
        User.objects.create_user("new@example.com", first_name="New")  # on no calendar yet
    assert User.objects.get(pk=patient.pk).last_login is not None
    assert (current_version(), people_version()) == versions


def test_new_hours_redraw_the_week(
    mei_client: Client, mei: Practitioner, committed: Committed
) -> None:
    before = mei_client.get(WEEK).content.decode().count('class="cal__open"')
    with committed():
        weekly_hours_add(
            practitioner=mei, weekday=Weekday.SATURDAY, start_time=time(10), end_time=time(12)
        )
    assert mei_client.get(WEEK).content.decode().count('class="cal__open"') == before + 1


def test_today_moves_with_the_clock(mei_client: Client, practitioner: User) -> None:
    assert 'cal-col-0">Monday 1 March <span class="badge' in mei_client.get(WEEK).content.decode()
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        # The next day Mei signs in again (team sessions end after 30 idle minutes).
        html = client_for(practitioner).get(WEEK).content.decode()
    assert 'cal-col-1">Tuesday 2 March <span class="badge' in html
    assert 'cal-col-0">Monday 1 March</h2>' in html


# --- Badges other apps write: live on a cached page, no version bump needed ---------------


@pytest.fixture
def unbumped() -> Iterator[None]:
    """These writes must not need the version: prove the page did not recompute."""
    version = current_version()
    yield
    assert current_version() == version


@pytest.mark.usefixtures("unbumped")
def test_a_flag_raised_after_caching_shows(
    mei_client: Client, visit: Booking, patient: User
) -> None:
    assert "Treat more gently" not in entry_of(mei_client, visit)
    flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="Sore for days")
    shown = entry_of(mei_client, visit)
    assert "Treat more gently" in shown and "cal-entry--gentle" in shown


@pytest.mark.usefixtures("unbumped")
def test_intake_and_payment_badges_follow_their_apps(
    mei_client: Client, visit: Booking, patient: User
) -> None:
    assert 'data-badge="intake"' in entry_of(mei_client, visit)
    IntakeResponseFactory.create(patient=patient)
    payment = Payment.objects.create(
        booking=visit,
        clinic=visit.clinic,
        patient=patient,
        amount_minor=5000,
        currency="GBP",
        status=PaymentStatus.PENDING,
    )
    shown = entry_of(mei_client, visit)
    assert 'data-badge="intake"' not in shown and "Awaiting payment" in shown
    # The webhook's conditional UPDATE sends no signal at all.
    Payment.objects.filter(pk=payment.pk).update(status=PaymentStatus.SUCCEEDED)
    assert "Paid £50" in entry_of(mei_client, visit)


@pytest.mark.usefixtures("unbumped")
def test_an_unanswered_check_in_shows_until_answered(
    mei_client: Client, visit: Booking, patient: User
) -> None:
    assert 'data-badge="checkin"' not in entry_of(mei_client, visit)
    OutboxMessage.objects.create(
        kind=MessageKind.CHECKIN,
        recipient=patient,
        booking=visit,
        status=OutboxStatus.SENT,
        due_at=NOW - timedelta(hours=1),
        sent_at=NOW - timedelta(hours=1),
    )
    assert 'data-badge="checkin"' in entry_of(mei_client, visit)
    CheckIn.objects.create(
        booking=visit,
        patient=patient,
        stage=CheckInStage.CHECKIN,
        treatment_number=1,
        answers={"compared": "same"},
    )
    assert 'data-badge="checkin"' not in entry_of(mei_client, visit)


def test_an_expired_check_in_link_is_not_unanswered(
    mei_client: Client, visit: Booking, patient: User
) -> None:
    long_ago = NOW - timedelta(days=60)
    OutboxMessage.objects.create(
        kind=MessageKind.CHECKIN,
        recipient=patient,
        booking=visit,
        status=OutboxStatus.SENT,
        due_at=long_ago,
        sent_at=long_ago,
    )
    assert 'data-badge="checkin"' not in entry_of(mei_client, visit)


def test_writing_the_record_clears_record_to_write(
    mei_client: Client, visit: Booking, mei: Practitioner, committed: Committed
) -> None:
    after = visit.ends_at + timedelta(minutes=5)
    with time_machine.travel(after, tick=False):
        mei_client = client_for(mei.user)  # after the visit: signed in again
        entry_of(mei_client, visit)  # cached for this day
        with committed():
            booking_mark_attendance(booking=visit, outcome=BookingStatus.ATTENDED, by=mei.user)
        assert 'data-badge="record"' in entry_of(mei_client, visit)
        version = current_version()
        treatment_record_save(
            booking=Booking.objects.get(pk=visit.pk),
            by=mei.user,
            details=TreatmentDetails(
                areas_and_points="BL23", needle_count=6, depth="shallow", stimulation="gentle"
            ),
        )
        assert 'data-badge="record"' not in entry_of(mei_client, visit)
        assert current_version() == version  # the record bumped nothing: read live
