"""practice.calendar: the grid's rows, lanes, shift blocks and time off; fixed query count."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from booking.models import Booking, BookingStatus, MultibedShift, Practitioner, Service
from portal.models import Clinic, User
from practice.calendar import Entry, _assign_lanes, build_grid
from practice.calendar_data import load_calendar
from tests.booking.conftest import MON, NOW, TUE, WED
from tests.booking.factories import book, local, time_off
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

SUN = MON + timedelta(days=6)


def entry(start_h: float, end_h: float) -> Entry:
    base = datetime(2027, 3, 3, tzinfo=UTC)
    return Entry(
        kind="visit",
        starts_at=base + timedelta(hours=start_h),
        ends_at=base + timedelta(hours=end_h),
        title="",
    )


def test_lanes_share_width_only_inside_an_overlapping_cluster() -> None:
    a, b, c, d = entry(9, 10), entry(9.5, 10.5), entry(10, 11), entry(12, 13)
    _assign_lanes([a, b, c, d])
    assert (a.lane, b.lane, c.lane) == (0, 1, 0)  # c reuses a's lane once a has ended
    assert a.lanes == b.lanes == c.lanes == 2
    assert (d.lane, d.lanes) == (0, 1)  # alone: full width


def test_week_grid_rows_follow_the_working_day(
    clinic: Clinic, mei: Practitioner, visit: Booking
) -> None:
    data = load_calendar(clinic, MON, SUN, practitioners=[mei], now=NOW)
    grid = build_grid(data, by="day")
    assert [c.day for c in grid.columns] == [MON + timedelta(days=i) for i in range(7)]
    assert grid.first_minute == 9 * 60  # hours are 09:00-12:00 and 13:00-17:00
    assert grid.rows == (17 - 9) * 4
    wed = grid.columns[2]
    (shown,) = wed.visits
    assert shown.booking == visit
    assert (shown.row, shown.span) == (0, 4)  # 09:00-10:00
    assert wed.open_bands == [(0, 12), (16, 16)]
    assert grid.columns[5].open_bands == []  # Saturday: not working
    assert grid.hour_marks[0] == (0, "09:00")


def test_multibed_stays_fold_into_one_shift_block(
    clinic: Clinic, mei: Practitioner, shift: MultibedShift, multibed: Service
) -> None:
    stays = []
    for minutes in (0, 15, 60):  # two recliners: the third comes as the first leaves
        patient = PatientFactory.create()
        stays.append(
            book(patient, multibed, local(TUE, 17, 30) + timedelta(minutes=minutes), now=NOW)
        )
    grid = build_grid(load_calendar(clinic, MON, SUN, practitioners=[mei], now=NOW), by="day")
    tue = grid.columns[1]
    assert tue.visits == []
    (block,) = [e for e in tue.entries if e.kind == "shift"]
    assert block.detail == "3 patients booked"
    assert block.block is not None and block.block.booked == 3
    assert grid.first_minute + grid.rows * 15 >= 20 * 60 + 30  # the evening shift fits


def test_stays_are_counted_by_start_and_one_outside_every_shift_is_drawn(
    clinic: Clinic, mei: Practitioner, shift: MultibedShift, multibed: Service
) -> None:
    """Two stays starting together count as two; a late-cancelled one is not counted; a stay
    the shift no longer covers (its hours were changed since) is drawn as a visit."""
    start = local(TUE, 17, 30)
    shift.max_new_per_start = 2
    shift.save()
    shift.room.recliners = 4
    shift.room.save()
    together = [book(PatientFactory.create(), multibed, start, now=NOW) for _ in range(2)]
    late = book(PatientFactory.create(), multibed, start + timedelta(minutes=15), now=NOW)
    Booking.objects.filter(pk=late.pk).update(status=BookingStatus.LATE_CANCELLED)
    stray = book(PatientFactory.create(), multibed, start + timedelta(minutes=30), now=NOW)
    shift.start_time = (start + timedelta(minutes=45)).astimezone(clinic.tz).time()
    shift.save()  # the 17:30 and 18:00 starts are now before the shift

    grid = build_grid(load_calendar(clinic, MON, SUN, practitioners=[mei], now=NOW), by="day")
    tue = grid.columns[1]
    drawn = {e.booking.pk for e in tue.visits if e.booking is not None}
    assert drawn == {*(b.pk for b in together), late.pk, stray.pk}
    (block,) = [e for e in tue.entries if e.kind == "shift"]
    assert block.block is not None and block.block.booked == 0

    shift.start_time = start.astimezone(clinic.tz).time()
    shift.save()
    grid = build_grid(load_calendar(clinic, MON, SUN, practitioners=[mei], now=NOW), by="day")
    tue = grid.columns[1]
    assert tue.visits == []
    (block,) = [e for e in tue.entries if e.kind == "shift"]
    assert block.block is not None and block.block.booked == 3  # the late cancel not counted


def test_time_off_and_closed_days_show(clinic: Clinic, mei: Practitioner) -> None:
    time_off(mei, local(WED, 13), local(WED, 17))
    grid = build_grid(load_calendar(clinic, MON, SUN, practitioners=[mei], now=NOW), by="day")
    (off,) = [e for e in grid.columns[2].entries if e.kind == "off"]
    assert (off.row, off.span) == (16, 16)


def test_clinic_day_has_a_column_per_practitioner(
    clinic: Clinic, mei: Practitioner, david: Practitioner, visit: Booking
) -> None:
    grid = build_grid(
        load_calendar(clinic, WED, WED, practitioners=[mei, david], now=NOW), by="practitioner"
    )
    assert [c.practitioner for c in grid.columns] == [mei, david]
    assert [len(c.visits) for c in grid.columns] == [1, 0]


def test_load_calendar_reads_in_a_fixed_number_of_queries(
    clinic: Clinic,
    mei: Practitioner,
    private: Service,
    django_assert_num_queries: Any,
) -> None:
    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            load_calendar(clinic, MON, SUN, practitioners=[mei], now=NOW)
        return len(ctx.captured_queries)

    book(PatientFactory.create(), private, local(MON, 13), now=NOW)
    few = count()
    for day in range(4):
        for hour in (9, 10, 13, 15):
            patient: User = PatientFactory.create()
            book(
                patient,
                private,
                local(TUE + timedelta(days=day), hour, 30 if hour == 10 else 0),
                now=NOW,
            )
    assert count() == few
