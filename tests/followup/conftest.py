"""Follow-up fixtures: the booking week of tests/booking (Monday 1 March 2027, GMT) and a visit.

Mei's private treatment on Wednesday 3 March, 09:00-10:00 (UTC = London time in March before
the clocks change). Its check-in is due on Friday 5 March at 10:00.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from booking.models import Booking, BookingStatus, Service
from portal.models import User
from tests.booking import factories
from tests.booking.conftest import (  # noqa: F401 - fixtures used by the follow-up tests
    NOW,
    WED,
    _fast_passwords,
    assessment,
    eager_celery,
    frozen,
    mei,
    other_patient,
    patient,
    policies,
    private,
)
from tests.booking.factories import local, without_confirmation

CHECKIN_DUE = datetime(2027, 3, 5, 10, 0, tzinfo=UTC)


def book(patient: User, service: Service, starts_at: datetime, **kwargs: Any) -> Booking:  # noqa: F811
    """``tests.booking.factories.book`` without the confirmation row: these tests count the
    rows and emails of the steps after booking (the confirmation: tests/booking/test_tasks.py)."""
    return without_confirmation(factories.book(patient, service, starts_at, **kwargs))


def set_status(booking: Booking, status: BookingStatus) -> Booking:
    Booking.objects.filter(pk=booking.pk).update(status=status)
    booking.refresh_from_db()
    return booking


def past_visit(patient: User, service: Service, *, weeks_ago: int = 0) -> Booking:  # noqa: F811
    """A treatment on Wednesday 3 March (or that many weeks earlier), 09:00-10:00."""
    booking = book(patient, service, local(WED, 9), now=NOW)
    if weeks_ago:
        shift = timedelta(weeks=weeks_ago)
        Booking.objects.filter(pk=booking.pk).update(
            starts_at=booking.starts_at - shift,
            ends_at=booking.ends_at - shift,
            blocked_from=booking.blocked_from - shift,
            blocked_until=booking.blocked_until - shift,
        )
        booking.refresh_from_db()
    return booking


@pytest.fixture
def visit(private: Service, patient: User) -> Booking:  # noqa: F811 - the fixture
    return past_visit(patient, private)
