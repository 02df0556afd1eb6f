"""The practitioner's week page: what it shows follows every write, whoever makes it.

The page is computed on every request (no page cache): booking and schedule writes, renamed
patients and the badges other apps write (flags, intake, payments, check-ins, treatment
records) all show on the next request, bulk ``update()`` included, and the page reads a fixed
number of queries however many visits it draws.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import time, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from booking.attendance import booking_mark_arrived, booking_mark_attendance
from booking.models import Booking, BookingStatus, Practitioner, Weekday
from booking.services import booking_cancel
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage, OutboxStatus
from intake.models import FlagKind
from intake.services import flag_raise
from payments.models import Payment, PaymentStatus
from portal.models import User
from practice.schedule import weekly_hours_add
from practice.services import TreatmentDetails, treatment_record_save
from tests.booking.conftest import MON, NOW, WED
from tests.booking.factories import book, local
from tests.conftest import client_for
from tests.factories import PatientFactory, UserFactory
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
    assert client.get(WEEK).status_code == 200
    yield client


def entry_of(client: Client, booking: Booking) -> str:
    """The HTML of one visit on the week page."""
    html = client.get(WEEK).content.decode()
    start = html.index(f'data-booking="{booking.pk}"')
    return html[html.rindex("<a ", 0, start) : html.index("</a>", start)]


def test_the_page_follows_the_role_of_who_asks(
    mei_client: Client, front_desk: User, mei: Practitioner, david: Practitioner
) -> None:
    desk = client_for(front_desk).get(f"{WEEK}&p={mei.pk}").content.decode()
    assert 'name="p"' in desk and "Add time off" not in desk
    assert "David Rhys" in desk  # the choice of practitioners, for staff only
    own = mei_client.get(f"{WEEK}&p={david.pk}").content.decode()  # ``p`` is not for her
    assert "Add time off" in own and 'name="p"' not in own and "David Rhys" not in own
    assert "Signed in as Mei" in own and "Sam" not in own


def test_a_cancelled_visit_leaves_the_week(
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
        assert "Arrived" not in entry_of(mei_client, visit)
        with committed():
            booking_mark_arrived(booking=visit, by=mei.user)
        assert "Arrived" in entry_of(mei_client, visit)


def test_a_renamed_patient_shows_on_the_week(
    mei_client: Client, visit: Booking, patient: User, committed: Committed
) -> None:
    assert "Alex " in entry_of(mei_client, visit)
    patient.first_name = "Alexandra"
    with committed():
        patient.save()
    assert "Alexandra " in entry_of(mei_client, visit)


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


# --- Badges other apps write, bulk updates included -----------------------------------


def test_a_flag_raised_after_a_visit_shows(
    mei_client: Client, visit: Booking, patient: User
) -> None:
    assert "Treat more gently" not in entry_of(mei_client, visit)
    flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="Sore for days")
    shown = entry_of(mei_client, visit)
    assert "Treat more gently" in shown and "cal-entry--gentle" in shown


@pytest.fixture
def desk_booked(visit: Booking, front_desk: User) -> Booking:
    """A caller the desk booked by phone (Wednesday 13:00) before they sent the questionnaire."""
    return book(UserFactory.create(), visit.service, local(WED, 13), now=NOW, booked_by=front_desk)


def test_intake_and_payment_badges_follow_their_apps(
    desk_booked: Booking, mei_client: Client
) -> None:
    visit, patient = desk_booked, desk_booked.patient
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
        with committed():
            booking_mark_attendance(booking=visit, outcome=BookingStatus.ATTENDED, by=mei.user)
        assert 'data-badge="record"' in entry_of(mei_client, visit)
        treatment_record_save(
            booking=Booking.objects.get(pk=visit.pk),
            by=mei.user,
            details=TreatmentDetails(
                areas_and_points="BL23", needle_count=6, depth="shallow", stimulation="gentle"
            ),
        )
        assert 'data-badge="record"' not in entry_of(mei_client, visit)


def test_the_busy_week_reads_a_fixed_number_of_queries(
    practitioner: User,
    mei: Practitioner,
    visit: Booking,
    patient: User,
    django_assert_max_num_queries: Any,
) -> None:
    client = client_for(practitioner)
    client.get(WEEK)  # warm the session
    flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="Sore for days")
    for day in range(1, 5):
        for hour, minute in ((10, 30), (13, 0), (14, 30), (16, 0)):
            starts_at = local(MON + timedelta(days=day), hour, minute)
            book(PatientFactory.create(), visit.service, starts_at, now=NOW)
    # The sign-in, the clinic and team, the calendar's rows, the badges and who may read flags.
    with django_assert_max_num_queries(12):
        html = client.get(WEEK).content.decode()
    assert html.count("data-booking=") == 17
