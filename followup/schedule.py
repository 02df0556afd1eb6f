"""Pure timing rules for follow-up messages: quiet hours, due times, retry backoff.

No database and no clock: callers pass "now" and the clinic's settings, so the rules are
tested exhaustively (DST days included) without freezing time.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

# Transient failures wait 1, 2, 4, 8... minutes, never more than an hour.
BACKOFF_BASE = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)


def in_quiet_hours(local: time, start: time, end: time) -> bool:
    """Whether a wall-clock time falls in the quiet window [start, end), which may wrap midnight."""
    if start == end:
        return False  # no quiet hours
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_until(now: datetime, *, start: time, end: time, tz: ZoneInfo) -> datetime | None:
    """When a non-urgent message due at ``now`` may go out: None if now, else the quiet end."""
    local = now.astimezone(tz)
    if not in_quiet_hours(local.time(), start, end):
        return None
    day = local.date()
    # Before midnight in a window that wraps, the morning is tomorrow's.
    if start > end and local.time() >= start:
        day += timedelta(days=1)
    morning = datetime.combine(day, end, tzinfo=tz)
    # A wall-clock time skipped by a spring-forward change still names one instant; fold=0
    # lands it after the gap, which is still "the morning".
    return morning.astimezone(now.tzinfo)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait before the next try after ``attempts`` failed ones (exponential, capped)."""
    exponent = max(0, attempts - 1)
    return min(BACKOFF_BASE * (2 ** min(exponent, 12)), BACKOFF_CAP)
