"""When the clinic can call a patient back: never "today" once it has closed for the day."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from portal.models import Clinic
from portal.opening_hours import callback_day

# Open Monday to Saturday, 08:00-18:00 London time; alerts acknowledged within 30 minutes.
CLINIC = Clinic(
    name="Test",
    time_zone="Europe/London",
    opens_at=time(8, 0),
    closes_at=time(18, 0),
    open_days="012345",
    alert_ack_minutes=30,
)


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
    clinic = Clinic(
        name="Test",
        time_zone="Europe/London",
        opens_at=time(18, 0),
        closes_at=time(8, 0),
        open_days="0",
        alert_ack_minutes=30,
    )
    assert callback_day(clinic, datetime(2027, 3, 5, 10, 0, tzinfo=UTC)) == (
        "when the clinic next opens"
    )
