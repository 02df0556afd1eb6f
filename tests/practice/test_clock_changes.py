"""The practitioner's room lane and calendar on the nights the clocks change, for a
Europe/London clinic on the real 2026 dates: drawn by instants, so a visit is as long as it
really is, and the repeated hour of 25 October has its own rows labelled BST, then GMT."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from booking.models import Practitioner, Room, Service, ServiceKind
from portal.models import Clinic
from practice.calendar import build_grid
from practice.calendar_data import clock, load_calendar
from practice.roomlane import load_room_lane
from tests.booking.factories import ServiceFactory, ShiftFactory, book, extra_hours
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

SPRING = date(2026, 3, 29)  # 01:00 GMT becomes 02:00 BST
AUTUMN = date(2026, 10, 25)  # 02:00 BST becomes 01:00 GMT: 01:00-01:59 happens twice


@pytest.fixture
def london(policies: Clinic) -> Clinic:
    policies.time_zone = "Europe/London"
    policies.min_notice_minutes = 0
    policies.save()
    return policies


@pytest.fixture
def night_room(london: Clinic, mei: Practitioner) -> tuple[Room, Service]:
    """A community room of 6 recliners open 00:00-03:00 (clinic time) on both nights."""
    service = ServiceFactory.create(
        slug="night-community",
        name="Community clinic",
        kind=ServiceKind.MULTIBED,
        duration_minutes=50,
        price_minor=2500,
        practitioners=[mei],
    )
    room = Room.objects.create(clinic=london, name="Community room", recliners=6)
    for day in (SPRING, AUTUMN):
        ShiftFactory.create(
            room=room,
            practitioner=mei,
            service=service,
            weekday=None,
            date=day,
            start_time=time(0),
            end_time=time(3),
            max_new_per_start=6,
        )
    return room, service


def utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


def a_week_before(day: date) -> datetime:
    return utc(day, 0) - timedelta(days=7)


def test_the_autumn_lane_keeps_the_repeated_hour(night_room: tuple[Room, Service]) -> None:
    room, service = night_room
    now = a_week_before(AUTUMN)
    # Three arrive at 01:30 BST (00:30 UTC), three at 01:00 GMT (01:00 UTC): all six are in
    # the room together from 01:00 to 01:20 GMT.
    for at in [utc(AUTUMN, 0, 30)] * 3 + [utc(AUTUMN, 1)] * 3:
        book(PatientFactory.create(), service, at, now=now)
    lane = load_room_lane(room, AUTUMN, now=now)
    assert [s.length for s in lane.stays] == [50] * 6  # not -10
    assert lane.peak == 6  # not 4
    assert lane.recliners == 6
    # 00:00 BST (23:00 UTC the day before) to 03:00 GMT: four hours of quarters.
    assert lane.minutes == 4 * 60
    assert len(lane.quarters) == 16
    clocks = [q.clock for q in lane.quarters]
    assert clocks[:4] == ["00:00", "00:15", "00:30", "00:45"]
    assert clocks[4:12] == [
        "01:00 BST",
        "01:15 BST",
        "01:30 BST",
        "01:45 BST",
        "01:00 GMT",
        "01:15 GMT",
        "01:30 GMT",
        "01:45 GMT",
    ]
    assert clocks[12] == "02:00"
    first = lane.stays[0]
    assert (first.starts, first.ends) == ("01:30 BST", "01:20 GMT")
    busy = {q.clock: q.busy for q in lane.quarters}
    assert busy["01:30 BST"] == 3 and busy["01:00 GMT"] == 6 and busy["01:30 GMT"] == 3


def test_the_spring_lane_has_no_missing_hour(night_room: tuple[Room, Service]) -> None:
    room, service = night_room
    now = a_week_before(SPRING)
    book(PatientFactory.create(), service, utc(SPRING, 0, 30), now=now)  # 00:30 GMT
    lane = load_room_lane(room, SPRING, now=now)
    (stay,) = lane.stays
    assert stay.length == 50  # not 110
    assert (stay.starts, stay.ends) == ("00:30", "02:20")
    # 00:00 GMT to 03:00 BST is two hours: no rows for the hour that never happens.
    assert lane.minutes == 2 * 60
    clocks = [q.clock for q in lane.quarters]
    assert clocks[3:5] == ["00:45", "02:00"]
    assert not any(c.startswith("01:") for c in clocks)


@pytest.fixture
def night_visits(london: Clinic, mei: Practitioner) -> Service:
    """Mei sees private patients 00:00-03:00 on both nights (an odd clinic, a clear test)."""
    service = ServiceFactory.create(
        slug="night-treatment", name="Treatment", duration_minutes=50, practitioners=[mei]
    )
    for day in (SPRING, AUTUMN):
        extra_hours(mei, day, time(0), time(3))
    return service


def test_the_autumn_day_grid_has_the_repeated_hour_labelled(
    london: Clinic, mei: Practitioner, night_visits: Service
) -> None:
    now = a_week_before(AUTUMN)
    early = book(PatientFactory.create(), night_visits, utc(AUTUMN, 0, 30), now=now)  # 01:30 BST
    later = book(PatientFactory.create(), night_visits, utc(AUTUMN, 1, 30), now=now)  # 01:30 GMT
    grid = build_grid(load_calendar(london, AUTUMN, AUTUMN, practitioners=[mei], now=now))
    marks = dict((label, row) for row, label in grid.hour_marks)
    assert list(marks) == ["00:00", "01:00 BST", "01:00 GMT", "02:00"]
    assert [marks[k] for k in marks] == [0, 4, 8, 12]
    assert grid.rows == 4 * 4  # four real hours between 00:00 BST and 03:00 GMT
    first, second = grid.columns[0].visits
    assert first.booking == early and second.booking == later
    assert first.hours == "01:30 BST\N{EN DASH}01:20 GMT"
    assert (first.row, first.span) == (6, 4)  # 01:30 BST to 01:30 GMT: positive, 50 minutes
    assert (second.row, second.span) == (10, 4)
    assert first.lanes == second.lanes == 1  # one after the other, not side by side


def test_the_autumn_week_grid_inserts_the_repeated_rows(
    london: Clinic, mei: Practitioner, night_visits: Service
) -> None:
    now = a_week_before(AUTUMN)
    book(PatientFactory.create(), night_visits, utc(AUTUMN, 0, 30), now=now)
    monday = AUTUMN - timedelta(days=6)
    grid = build_grid(load_calendar(london, monday, AUTUMN, practitioners=[mei], now=now))
    labels = [label for _, label in grid.hour_marks]
    assert labels[:4] == ["00:00", "01:00 BST", "01:00 GMT", "02:00"]
    sunday = grid.columns[-1]
    (visit,) = sunday.visits
    assert visit.span == 4


def test_the_spring_day_grid_skips_the_missing_hour(
    london: Clinic, mei: Practitioner, night_visits: Service
) -> None:
    now = a_week_before(SPRING)
    book(PatientFactory.create(), night_visits, utc(SPRING, 0, 30), now=now)  # 00:30 GMT
    grid = build_grid(load_calendar(london, SPRING, SPRING, practitioners=[mei], now=now))
    assert [label for _, label in grid.hour_marks] == ["00:00", "02:00"]
    (visit,) = grid.columns[0].visits
    assert visit.hours == "00:30\N{EN DASH}02:20"
    assert (visit.row, visit.span) == (2, 4)  # 50 minutes, not 110


def test_clock_names_the_zone_only_in_the_repeated_hour(london: Clinic) -> None:
    tz = london.tz
    assert clock(utc(AUTUMN, 0, 59), tz) == "01:59 BST"
    assert clock(utc(AUTUMN, 1, 0), tz) == "01:00 GMT"
    assert clock(utc(AUTUMN, 2, 0), tz) == "02:00"
    assert clock(utc(SPRING, 1, 0), tz) == "02:00"


def test_the_spring_week_grid_marks_the_skipped_hour_on_its_day_only(
    london: Clinic, mei: Practitioner, night_visits: Service
) -> None:
    now = a_week_before(SPRING)
    monday = SPRING - timedelta(days=6)
    extra_hours(mei, monday, time(0), time(3))  # a normal night: its clock has 01:00-01:59
    book(PatientFactory.create(), night_visits, utc(SPRING, 0, 30), now=now)
    grid = build_grid(load_calendar(london, monday, SPRING, practitioners=[mei], now=now))
    assert [label for _, label in grid.hour_marks][:3] == ["00:00", "01:00", "02:00"]
    sunday, others = grid.columns[-1], grid.columns[:-1]
    assert sunday.gap_bands == [(4, 4)] and sunday.clocks_forward
    assert all(c.gap_bands == [] and not c.clocks_forward for c in others)
    (visit,) = sunday.visits
    assert (visit.row, visit.span) == (2, 8)  # across the hatched hour that never happens


def test_the_autumn_week_grid_hatches_the_repeated_rows_on_other_days(
    london: Clinic, mei: Practitioner, night_visits: Service
) -> None:
    monday = AUTUMN - timedelta(days=6)
    grid = build_grid(
        load_calendar(london, monday, AUTUMN, practitioners=[mei], now=a_week_before(AUTUMN))
    )
    sunday, monday_column = grid.columns[-1], grid.columns[0]
    assert sunday.gap_bands == []
    assert monday_column.gap_bands == [(8, 4)] and not monday_column.clocks_forward
