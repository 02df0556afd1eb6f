"""booking.services attendance: arrived, attended, no-show and late cancellation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.attendance import booking_mark_arrived, booking_mark_attendance
from booking.errors import ChangeNotAllowed
from booking.models import Booking, BookingStatus, Service
from booking.services import booking_cancel
from portal.models import User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import book, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(private: Service, patient: User) -> Booking:
    return book(patient, private, local(WED, 9), now=NOW)


def test_attended_after_the_start(visit: Booking, practitioner: User) -> None:
    later = visit.starts_at + timedelta(minutes=5)
    marked = booking_mark_attendance(
        booking=visit, outcome=BookingStatus.ATTENDED, by=practitioner, now=later
    )
    assert marked.status == BookingStatus.ATTENDED
    assert marked.attendance_marked_at == later
    assert marked.arrived_at == later  # attended implies arrived


def test_attended_refused_for_a_future_visit(visit: Booking, practitioner: User) -> None:
    with pytest.raises(ChangeNotAllowed, match="not started yet"):
        booking_mark_attendance(
            booking=visit, outcome=BookingStatus.ATTENDED, by=practitioner, now=NOW
        )
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CONFIRMED
    assert visit.attendance_marked_at is None


def test_no_show_can_be_corrected_to_attended(visit: Booking, practitioner: User) -> None:
    later = visit.starts_at + timedelta(minutes=30)
    booking_mark_attendance(
        booking=visit, outcome=BookingStatus.NO_SHOW, by=practitioner, now=later
    )
    marked = booking_mark_attendance(
        booking=visit, outcome=BookingStatus.ATTENDED, by=practitioner, now=later
    )
    assert marked.status == BookingStatus.ATTENDED


def test_marking_twice_is_harmless(visit: Booking, practitioner: User) -> None:
    later = visit.starts_at + timedelta(minutes=5)
    booking_mark_attendance(
        booking=visit, outcome=BookingStatus.ATTENDED, by=practitioner, now=later
    )
    again = booking_mark_attendance(
        booking=visit,
        outcome=BookingStatus.ATTENDED,
        by=practitioner,
        now=later + timedelta(minutes=1),
    )
    assert again.status == BookingStatus.ATTENDED
    assert again.attendance_marked_at == later  # the first mark stands


def test_cancelled_visit_cannot_be_marked(visit: Booking, practitioner: User) -> None:
    booking_cancel(booking=visit, by=practitioner, now=NOW)
    with pytest.raises(ChangeNotAllowed, match="cancelled"):
        booking_mark_attendance(
            booking=visit,
            outcome=BookingStatus.ATTENDED,
            by=practitioner,
            now=visit.starts_at + timedelta(hours=1),
        )


def test_late_cancellation_only_inside_the_cutoff(visit: Booking, practitioner: User) -> None:
    with pytest.raises(ChangeNotAllowed, match="more than 24 hours away"):
        booking_mark_attendance(
            booking=visit, outcome=BookingStatus.LATE_CANCELLED, by=practitioner, now=NOW
        )
    inside = visit.starts_at - timedelta(hours=3)
    marked = booking_mark_attendance(
        booking=visit, outcome=BookingStatus.LATE_CANCELLED, by=practitioner, now=inside
    )
    assert marked.status == BookingStatus.LATE_CANCELLED
    assert marked.cancelled_at == inside
    assert not marked.is_active  # the place is given back


def test_arrived_only_on_the_day(visit: Booking, practitioner: User) -> None:
    with pytest.raises(ChangeNotAllowed, match="day of the visit"):
        booking_mark_arrived(booking=visit, by=practitioner, now=NOW)
    morning = visit.starts_at - timedelta(minutes=10)
    arrived = booking_mark_arrived(booking=visit, by=practitioner, now=morning)
    assert arrived.arrived_at == morning
    assert arrived.status == BookingStatus.CONFIRMED
    again = booking_mark_arrived(booking=visit, by=practitioner, now=morning + timedelta(minutes=2))
    assert again.arrived_at == morning


def test_not_an_outcome_is_a_programming_error(visit: Booking, practitioner: User) -> None:
    with pytest.raises(ValueError):
        booking_mark_attendance(
            booking=visit, outcome=BookingStatus.CANCELLED, by=practitioner, now=NOW
        )
