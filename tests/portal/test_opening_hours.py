"""When the clinic can call a patient back: never "today" once it has closed for the day."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from portal.models import Clinic
from portal.opening_hours import callback_day


def clinic_open(opens: time, closes: time, open_days: str) -> Clinic:
    """A London clinic with these hours; alerts acknowledged within 30 minutes."""
    return Clinic(
        name="Test",
        time_zone="Europe/London",
        opens_at=opens,
        closes_at=closes,
        open_days=open_days,
        alert_ack_minutes=30,
    )


# Open Monday to Saturday, 08:00-18:00.
CLINIC = clinic_open(time(8, 0), time(18, 0), "012345")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2027, 3, 5, 10, 0, tzinfo=UTC), "today"),  # Friday morning, open
        (datetime(2027, 3, 5, 6, 30, tzinfo=UTC), "today"),  # Friday before opening
        (datetime(2027, 3, 5, 17, 45, tzinfo=UTC), "tomorrow"),  # too late for 30 minutes
        (datetime(2027, 3, 5, 21, 0, tzinfo=UTC), "tomorrow"),  # Friday night: Saturday
        (datetime(2027, 3, 6, 21, 0, tzinfo=UTC), "on Monday"),  # Saturday night
        (datetime(2027, 3, 7, 12, 0, tzinfo=UTC), "tomorrow"),  # Sunday, closed all day
        (datetime(2027, 3, 28, 21, 0, tzinfo=UTC), "tomorrow"),  # Sunday the clocks went forward
    ],
)
def test_the_callback_day_follows_opening_hours(now: datetime, expected: str) -> None:
    assert callback_day(CLINIC, now) == expected


def test_a_clinic_without_opening_hours_promises_no_day() -> None:
    clinic = clinic_open(time(18, 0), time(8, 0), "0")
    assert callback_day(clinic, datetime(2027, 3, 5, 10, 0, tzinfo=UTC)) == (
        "when the clinic next opens"
    )
