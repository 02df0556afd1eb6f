"""Calendar grids for the practitioner workspace, in the clinic's time zone.

``practice.calendar_data.load_calendar`` reads a date range in a fixed number of queries;
``build_grid`` here is pure and lays the result out as
columns of quarter-hour rows: one column per day (a practitioner's week) or one
per practitioner (the clinic's day). Visits that overlap share their column
side by side. A multibed shift shows as one block that links to the room lane,
rather than a dozen overlapping stays.

Everything here reads booking and schedule rows only; the badges other apps' rows decide
(``practice.glance``) are added by the page that draws the grid.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.availability import days_between, wall_to_utc
from booking.models import Booking, Practitioner
from practice.calendar_data import (
    CalendarData,
    ShiftBlock,
    clock,
    is_repeated,
    local_midnight,
    utc_range,
)
from practice.glance import Glance

QUARTER = 15  # minutes per grid row
DEFAULT_DAY = (8 * 60, 18 * 60)  # the grid shown when nothing is scheduled

# --- Layout (pure) -----------------------------------------------------------------------


@dataclass
class Entry:
    """Something drawn in a column: a visit, a multibed shift, or time off."""

    kind: str  # "visit", "shift" or "off"
    starts_at: datetime  # an instant: compared in UTC, shown on the clinic's clock (``tz``)
    ends_at: datetime
    title: str
    detail: str = ""
    booking: Booking | None = None
    block: ShiftBlock | None = None
    glance: Glance | None = None  # a visit's badges, added by the page that draws it
    row: int = 0  # first quarter-hour row, counted from the top of the grid
    span: int = 1
    lane: int = 0
    lanes: int = 1
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @property
    def status_class(self) -> str:
        return self.booking.status if self.booking is not None else self.kind

    @property
    def place(self) -> str:
        """Its place on the grid as CSS custom properties, which static/js/portal.js sets
        (the CSP allows no style attribute)."""
        return f"row:{self.row} span:{self.span} lane:{self.lane} lanes:{self.lanes}"

    @property
    def hours(self) -> str:
        """Start and end on the clinic's clock, joined by an en dash (BST/GMT in the repeated
        hour)."""
        return f"{clock(self.starts_at, self.tz)}\N{EN DASH}{clock(self.ends_at, self.tz)}"


@dataclass
class Column:
    day: date
    practitioner: Practitioner
    is_today: bool
    entries: list[Entry] = field(default_factory=list)
    hours: list[tuple[time, time]] = field(default_factory=list)  # working, on the wall clock
    # Working hours as (row, span) bands, drawn behind the entries.
    open_bands: list[tuple[int, int]] = field(default_factory=list)
    closed_all_day: bool = False
    clinic_closed: str | None = None  # the clinic is closed: the reason ("" for none)
    # Rows this day's clock never shows (the hour the clocks skip, or another day's repeated
    # hour in a week view), as (row, span) bands drawn hatched.
    gap_bands: list[tuple[int, int]] = field(default_factory=list)
    clocks_forward: bool = False  # this day's clock skips an hour inside the grid

    @property
    def visits(self) -> list[Entry]:
        return [e for e in self.entries if e.kind == "visit"]


# A grid row's place on the clinic's clock: (minutes after midnight, fold). Fold 1 is the
# second pass through the hour the clocks go back, which gets rows of its own.
RowKey = tuple[int, int]


@dataclass
class Grid:
    first_minute: int  # minutes after midnight at the top of the grid
    rows: int
    columns: list[Column]
    axis: list[RowKey] = field(default_factory=list)  # one key per row (empty: plain clock)
    # The zone's name for each row of a repeated hour ("BST", then "GMT").
    zone_names: dict[RowKey, str] = field(default_factory=dict)

    @property
    def hour_marks(self) -> list[tuple[int, str]]:
        """(row, "09:00") for each whole hour on the grid; "01:00 BST" and "01:00 GMT" for
        the hour the clocks go back."""
        axis = self.axis or [(self.first_minute + r * QUARTER, 0) for r in range(self.rows)]
        marks = []
        for row, key in enumerate(axis):
            minute = key[0]
            if minute % 60 == 0:
                label = f"{minute // 60:02d}:00"
                if key in self.zone_names:
                    label = f"{label} {self.zone_names[key]}"
                marks.append((row, label))
        return marks


def _minute_of(moment: datetime, day: date) -> int:
    """Minutes after the day's midnight on the wall clock (clamped to that day); ``moment``
    is on the clinic's clock."""
    if moment.date() < day:
        return 0
    if moment.date() > day:
        return 24 * 60
    return moment.hour * 60 + moment.minute


def _assign_lanes(entries: list[Entry]) -> None:
    """Side by side where entries overlap; each overlapping cluster shares its width evenly."""
    entries.sort(key=lambda e: (e.starts_at, e.ends_at))
    cluster: list[Entry] = []
    lane_ends: list[datetime] = []
    cluster_end: datetime | None = None

    def close() -> None:
        for entry in cluster:
            entry.lanes = len(lane_ends)

    for entry in entries:
        if cluster_end is not None and entry.starts_at >= cluster_end:
            close()
            cluster, lane_ends = [], []
        for i, lane_end in enumerate(lane_ends):
            if lane_end <= entry.starts_at:
                entry.lane, lane_ends[i] = i, entry.ends_at
                break
        else:
            entry.lane = len(lane_ends)
            lane_ends.append(entry.ends_at)
        cluster.append(entry)
        cluster_end = max(cluster_end, entry.ends_at) if cluster_end else entry.ends_at
    close()


def _patient_label(booking: Booking) -> str:
    patient = booking.patient
    return patient.get_full_name() or patient.email


def _column_entries(data: CalendarData, practitioner: Practitioner, day: date) -> list[Entry]:
    tz = data.tz
    pid = practitioner.pk
    entries: list[Entry] = []
    for booking in data.visits.get((pid, day), []):
        entries.append(
            Entry(
                kind="visit",
                starts_at=booking.starts_at.astimezone(UTC),
                ends_at=booking.ends_at.astimezone(UTC),
                title=_patient_label(booking),
                detail=booking.service.name,
                booking=booking,
                tz=tz,
            )
        )
    for block in data.shift_blocks.get((pid, day), []):
        count = block.booked
        entries.append(
            Entry(
                kind="shift",
                starts_at=block.starts_at,
                ends_at=block.ends_at,
                title=block.shift.room.name,
                detail=f"{count} patient{'s' if count != 1 else ''} booked",
                block=block,
                tz=tz,
            )
        )
    day_start, day_end = utc_range(day, day, tz)
    for off in data.time_off.get(pid, []):
        start, end = off.starts_at.astimezone(UTC), off.ends_at.astimezone(UTC)
        if start < day_end and end > day_start:
            entries.append(
                Entry(
                    kind="off",
                    starts_at=max(start, day_start),
                    ends_at=min(end, day_end),
                    title="Time off",
                    detail=off.reason,
                    tz=tz,
                )
            )
    return entries


def _open_ranges(data: CalendarData, pid: int, day: date) -> list[tuple[time, time]]:
    if (pid, day) in data.closed:
        return []
    return data.hours.get((pid, day.weekday()), []) + data.extra.get((pid, day), [])


def build_grid(data: CalendarData, *, by: str = "day") -> Grid:
    """Lay the data out: ``by="day"`` gives a column per date (one practitioner's week, or
    every practitioner's days one after another); ``by="practitioner"`` a column per person.

    Rows are quarter hours of the clinic's clock, and each column places its entries by
    instant: the hour the clocks go back gets a second set of rows (labelled BST, then GMT)
    and the hour they skip has no rows on that day (``_row_axis``).
    """
    today = data.now.astimezone(data.tz).date()
    days = list(days_between(data.first, data.last))
    pairs = (
        [(p, d) for p in data.practitioners for d in days]
        if by == "practitioner"
        else [(p, d) for d in days for p in data.practitioners]
    )
    columns = [
        Column(
            day=day,
            practitioner=practitioner,
            is_today=day == today,
            closed_all_day=(practitioner.pk, day) in data.closed,
            clinic_closed=data.clinic_closed.get(day),
            entries=_column_entries(data, practitioner, day),
            hours=_open_ranges(data, practitioner.pk, day),
        )
        for practitioner, day in pairs
    ]
    first_minute, last_minute = _wall_span(columns, data.tz)
    axis, zone_names, day_rows = _row_axis(days, first_minute, last_minute, data.tz)
    rows = max(1, len(axis))
    for column in columns:
        _place(column, day_rows[column.day], rows, data.tz)
    return Grid(
        first_minute=first_minute, rows=rows, columns=columns, axis=axis, zone_names=zone_names
    )


def _wall_span(columns: list[Column], tz: ZoneInfo) -> tuple[int, int]:
    """The whole hours of the clinic's clock the grid shows (minutes after midnight): every
    column's working hours and entries, or ``DEFAULT_DAY`` when there are none."""
    lo, hi = 24 * 60, 0
    for column in columns:
        for start_t, end_t in column.hours:
            lo, hi = min(lo, start_t.hour * 60), max(hi, end_t.hour * 60 + end_t.minute)
        for entry in column.entries:
            if entry.kind == "off" and entry.ends_at - entry.starts_at >= timedelta(hours=20):
                continue  # a whole day off should not stretch the grid to midnight
            lo = min(lo, _minute_of(entry.starts_at.astimezone(tz), column.day))
            hi = max(hi, _minute_of(entry.ends_at.astimezone(tz), column.day))
    if lo >= hi:
        lo, hi = DEFAULT_DAY
    return (lo // 60) * 60, min(24 * 60, -(-hi // 60) * 60)


def _place(column: Column, day: DayRows, rows: int, tz: ZoneInfo) -> None:
    """Put the column's working hours, missing rows and entries on its day's rows."""
    column.open_bands = [
        _rows(day, rows, wall_to_utc(column.day, start_t, tz), wall_to_utc(column.day, end_t, tz))
        for start_t, end_t in column.hours
    ]
    column.gap_bands = _gaps(set(day.rows), rows)
    before, after = (
        local_midnight(d, tz).utcoffset() or timedelta()
        for d in (column.day, column.day + timedelta(days=1))
    )
    column.clocks_forward = bool(column.gap_bands) and after > before
    for entry in column.entries:
        entry.row, entry.span = _rows(day, rows, entry.starts_at, entry.ends_at)
    _assign_lanes(column.entries)


@dataclass(frozen=True)
class DayRows:
    """One day's rows: the instant each starts at, in time order, and its row on the grid."""

    starts: list[datetime]
    rows: list[int]


def _row_axis(
    days: list[date], first_minute: int, last_minute: int, tz: ZoneInfo
) -> tuple[list[RowKey], dict[RowKey, str], dict[date, DayRows]]:
    """The grid's rows (one per quarter hour any shown day's clock passes through between the
    two wall-clock minutes), the zone names of a repeated hour's rows, and per day the instant
    each of its rows starts at."""
    passes = {day: _day_quarters(day, first_minute, last_minute, tz) for day in days}
    names = _zone_names(passes, tz)
    axis = _in_clock_order({key for seen in passes.values() for _, key in seen})
    index = {key: i for i, key in enumerate(axis)}
    day_rows = {
        day: DayRows([at for at, _ in seen], [index[key] for _, key in seen])
        for day, seen in passes.items()
    }
    return axis, names, day_rows


def _zone_names(
    passes: dict[date, list[tuple[datetime, RowKey]]], tz: ZoneInfo
) -> dict[RowKey, str]:
    """The zone's name ("BST", "GMT") for the row keys of a repeated hour. Only a day whose
    clock passes a quarter twice (a second pass, fold 1) has any: the others are not
    asked about each quarter."""
    names: dict[RowKey, str] = {}
    for seen in passes.values():
        if any(fold for _, (_, fold) in seen):
            names |= {
                key: at.astimezone(tz).tzname() or "" for at, key in seen if is_repeated(at, tz)
            }
    return names


def _in_clock_order(keys: set[RowKey]) -> list[RowKey]:
    """Row keys as the clock passes them: the second pass through a repeated hour follows
    the first."""
    plain = sorted(key for key in keys if key[1] == 0)
    second = sorted(key for key in keys if key[1] == 1)
    if not second:
        return plain
    cut = next((i for i, key in enumerate(plain) if key[0] > second[-1][0]), len(plain))
    return plain[:cut] + second + plain[cut:]


def _day_quarters(
    day: date, first_minute: int, last_minute: int, tz: ZoneInfo
) -> list[tuple[datetime, RowKey]]:
    """Each quarter hour ``day``'s clock passes through between the two wall-clock minutes:
    the instant (UTC) and its row key."""
    start = wall_to_utc(day, time(first_minute // 60, first_minute % 60), tz)
    end = (
        local_midnight(day + timedelta(days=1), tz).astimezone(UTC)
        if last_minute >= 24 * 60
        else wall_to_utc(day, time(last_minute // 60, last_minute % 60), tz)
    )
    at, seen = start, []
    while at < end:
        local = at.astimezone(tz)
        seen.append((at, (local.hour * 60 + local.minute, local.fold)))
        at += timedelta(minutes=QUARTER)
    return seen


def _gaps(present: set[int], rows: int) -> list[tuple[int, int]]:
    """(row, span) for each run of rows missing from ``present``."""
    bands: list[tuple[int, int]] = []
    for row in range(rows):
        if row in present:
            continue
        if bands and bands[-1][0] + bands[-1][1] == row:
            bands[-1] = (bands[-1][0], bands[-1][1] + 1)
        else:
            bands.append((row, 1))
    return bands


def _rows(day: DayRows, rows: int, start: datetime, end: datetime) -> tuple[int, int]:
    """(first row, rows spanned) for [start, end) on one day's rows, clipped to the grid."""
    i = bisect.bisect_right(day.starts, start) - 1
    top = day.rows[i] if i >= 0 else 0
    j = bisect.bisect_left(day.starts, end)
    bottom = day.rows[j] if j < len(day.rows) else rows
    bottom = min(rows, max(top + 1, bottom))
    return top, max(1, bottom - top)
