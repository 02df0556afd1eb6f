"""The clinic's opening hours as time: when so many minutes of them have passed, and the day
the clinic can next call a patient back. Pure: callers pass "now" and the clinic."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from portal.models import Clinic


def after_opening_minutes(
    start: datetime,
    minutes: int,
    *,
    opens: time,
    closes: time,
    open_days: frozenset[int],
    tz: ZoneInfo,
) -> datetime | None:
    """The moment ``minutes`` of opening hours have passed since ``start`` (closed hours and
    closed days do not count); None if the clinic is never open."""
    if not open_days or opens >= closes:
        return None
    left = timedelta(minutes=minutes)
    local = start.astimezone(tz)
    day = local.date()
    # A fortnight of days is more than any week of opening hours needs.
    for _ in range(14 + minutes // 60):
        if day.weekday() in open_days:
            day_open = datetime.combine(day, opens, tzinfo=tz)
            day_close = datetime.combine(day, closes, tzinfo=tz)
            begin = max(day_open, local)
            if begin < day_close:
                if begin + left <= day_close:
                    return (begin + left).astimezone(start.tzinfo)
                left -= day_close - begin
        day += timedelta(days=1)
    return None


def acknowledge_by(clinic: Clinic, start: datetime) -> datetime | None:
    """When something raised at ``start`` must have been taken up: the clinic's
    acknowledgement minutes of opening hours later (None if the clinic has no opening hours)."""
    return after_opening_minutes(
        start,
        clinic.alert_ack_minutes,
        opens=clinic.opens_at,
        closes=clinic.closes_at,
        open_days=clinic.open_weekdays,
        tz=clinic.tz,
    )


def callback_day(clinic: Clinic, now: datetime) -> str:
    """When the clinic will call back a patient who needs a call: "today", "tomorrow",
    "on Monday"..., by the end of the clinic's acknowledgement minutes of opening hours.

    Never "today" after closing time or on a closed day: a patient told the clinic will
    call today may wait for that call.
    """
    by = acknowledge_by(clinic, now)
    if by is None:
        return "when the clinic next opens"
    days = (by.astimezone(clinic.tz).date() - now.astimezone(clinic.tz).date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "tomorrow"
    return f"on {by.astimezone(clinic.tz):%A}"
