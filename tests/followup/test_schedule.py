"""followup.schedule: quiet hours (wrapping midnight, DST days), the digest time, backoff."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from followup.schedule import in_quiet_hours, quiet_until, retry_delay
from portal.opening_hours import after_opening_minutes

LONDON = ZoneInfo("Europe/London")


def quiet(now: datetime) -> datetime | None:
    """The default quiet hours, 21:00-08:00 London time."""
    return quiet_until(now, start=time(21), end=time(8), tz=LONDON)


def test_daytime_is_not_quiet() -> None:
    assert quiet(datetime(2027, 3, 3, 14, tzinfo=UTC)) is None
    assert quiet(datetime(2027, 3, 3, 8, 0, tzinfo=UTC)) is None  # the end is open


def test_late_evening_is_held_to_the_next_morning() -> None:
    assert quiet(datetime(2027, 3, 3, 22, 30, tzinfo=UTC)) == datetime(2027, 3, 4, 8, tzinfo=UTC)
    assert quiet(datetime(2027, 3, 3, 21, 0, tzinfo=UTC)) == datetime(2027, 3, 4, 8, tzinfo=UTC)


def test_small_hours_are_held_to_the_same_morning() -> None:
    assert quiet(datetime(2027, 3, 4, 3, 15, tzinfo=UTC)) == datetime(2027, 3, 4, 8, tzinfo=UTC)


def test_the_morning_is_clinic_time_in_summer() -> None:
    # 22:00 BST is 21:00 UTC; 08:00 BST the next day is 07:00 UTC.
    assert quiet(datetime(2027, 6, 9, 21, 0, tzinfo=UTC)) == datetime(2027, 6, 10, 7, tzinfo=UTC)


def test_the_night_the_clocks_go_forward() -> None:
    # Sunday 28 March 2027: 01:00 GMT becomes 02:00 BST. 00:30 GMT is quiet until 08:00 BST.
    assert quiet(datetime(2027, 3, 28, 0, 30, tzinfo=UTC)) == datetime(2027, 3, 28, 7, tzinfo=UTC)


def test_the_night_the_clocks_go_back() -> None:
    # Sunday 31 October 2027: 02:00 BST becomes 01:00 GMT. 23:00 BST Saturday -> 08:00 GMT.
    assert quiet(datetime(2027, 10, 30, 22, 0, tzinfo=UTC)) == datetime(2027, 10, 31, 8, tzinfo=UTC)


def test_a_window_inside_one_day_and_no_window() -> None:
    assert in_quiet_hours(time(13), time(12), time(14))
    assert not in_quiet_hours(time(14), time(12), time(14))
    assert not in_quiet_hours(time(3), time(9), time(9))  # start == end: no quiet hours


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 1, 1)))
def test_a_held_message_always_waits_until_a_time_that_is_not_quiet(naive: datetime) -> None:
    now = naive.replace(tzinfo=UTC)
    until = quiet(now)
    if until is None:
        assert not in_quiet_hours(now.astimezone(LONDON).time(), time(21), time(8))
        return
    assert now < until <= now + timedelta(hours=12)
    assert quiet(until) is None
    assert until.astimezone(LONDON).time() == time(8)


def test_retry_delay_doubles_and_is_capped() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert retry_delay(50) == timedelta(hours=1)


def chase_at(start: datetime, minutes: int = 30, days: str = "012345") -> datetime | None:
    """The default opening hours, 08:00-18:00 London time, Monday to Saturday."""
    return after_opening_minutes(
        start,
        minutes,
        opens=time(8),
        closes=time(18),
        open_days=frozenset(int(d) for d in days),
        tz=LONDON,
    )


def test_opening_minutes_count_straight_through_an_open_day() -> None:
    start = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)  # a Monday
    assert chase_at(start) == datetime(2027, 3, 1, 10, 30, tzinfo=UTC)


def test_closed_hours_and_closed_days_do_not_count() -> None:
    # Saturday 17:45 London (BST in July = UTC+1): 15 minutes, Sunday closed, 15 on Monday.
    start = datetime(2027, 7, 3, 16, 45, tzinfo=UTC)
    assert chase_at(start) == datetime(2027, 7, 5, 7, 15, tzinfo=UTC)
    # Overnight: from the next opening.
    assert chase_at(datetime(2027, 3, 1, 23, 0, tzinfo=UTC)) == datetime(
        2027, 3, 2, 8, 30, tzinfo=UTC
    )


def test_a_clinic_that_is_never_open_has_no_deadline() -> None:
    assert chase_at(datetime(2027, 3, 1, 10, tzinfo=UTC), days="") is None


@given(
    st.datetimes(min_value=datetime(2027, 1, 1), max_value=datetime(2028, 1, 1)),
    st.integers(min_value=1, max_value=600),
)
def test_the_deadline_is_never_sooner_than_the_minutes_and_falls_in_opening_hours(
    naive: datetime, minutes: int
) -> None:
    start = naive.replace(tzinfo=UTC)
    deadline = chase_at(start, minutes)
    assert deadline is not None and deadline >= start + timedelta(minutes=minutes)
    local = deadline.astimezone(LONDON)
    assert local.weekday() != 6 and time(8) < local.time() <= time(18)
