"""Open start times: schedules + bookings + capacity -> slots.

``load_schedule`` reads everything a range needs in a fixed number of queries
(no query per day or per slot); ``open_slots`` is pure and turns it into
slots. Wall-clock rules (weekly hours, shifts) become instants per date in the
clinic's zone, and grids are stepped in real elapsed time, so the days the
clocks change get exactly the start times that really exist.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import CharField, Count, F, IntegerField, Q, TimeField, Value

from booking.models import (
    ACTIVE_STATUSES,
    LONGEST_BLOCK,
    Booking,
    ClinicClosure,
    DateException,
    ExceptionKind,
    MultibedShift,
    Practitioner,
    Service,
    ServiceKind,
    TimeOff,
    WeeklyHours,
)
from booking.sql import EpochSeconds, plain_rows
from booking.waitlist_models import HOLDING_STATUSES, WaitlistPlace
from portal.models import Clinic

Interval = tuple[datetime, datetime]


@dataclass(frozen=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    practitioner_id: int
    room_id: int | None = None
    places_left: int | None = None  # multibed only: recliners free for the whole stay


@dataclass(frozen=True)
class Policy:
    min_notice: timedelta
    horizon: timedelta

    @classmethod
    def for_clinic(cls, clinic: Clinic) -> Policy:
        return cls(
            min_notice=timedelta(minutes=clinic.min_notice_minutes),
            horizon=timedelta(days=clinic.booking_horizon_days),
        )


@dataclass
class Schedule:
    """Everything needed to compute one service's open times over a range."""

    service: Service
    tz: ZoneInfo
    practitioner_ids: list[int]
    hours: dict[tuple[int, int], list[tuple[time, time]]] = field(default_factory=dict)
    extra: dict[tuple[int, date], list[tuple[time, time]]] = field(default_factory=dict)
    closed: set[tuple[int, date]] = field(default_factory=set)
    # The days the whole clinic is closed, with the reason patients are shown ("" for none).
    closures: dict[date, str] = field(default_factory=dict)
    shifts: list[MultibedShift] = field(default_factory=list)
    # Per practitioner: merged, sorted intervals when they cannot see a private patient.
    busy: dict[int, list[Interval]] = field(default_factory=dict)
    # Per practitioner: time off only (a shift is cancelled by time off, not by itself).
    off: dict[int, list[Interval]] = field(default_factory=dict)
    rooms: dict[int, int] = field(default_factory=dict)  # room id -> recliners
    occupancy: dict[int, Occupancy] = field(default_factory=dict)  # by room id


def _instant(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def wall_to_utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    """A wall-clock time on ``day`` as an instant (a time the clocks skip counts as before)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def days_between(first: date, last: date) -> Iterator[date]:
    """Each date from ``first`` to ``last``, both included."""
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _overlaps(merged: list[Interval], start: datetime, end: datetime) -> bool:
    """Whether [start, end) meets any interval of a merged, sorted list."""
    i = bisect.bisect_left(merged, (end,))  # first interval starting at or after ``end``
    return i > 0 and merged[i - 1][1] > start


def shift_days(shift: MultibedShift, first: date, last: date) -> Iterator[date]:
    """The dates from ``first`` to ``last`` a shift runs on (a dated one once, a weekly one on
    its weekday); the one rule, also used by the practitioner's calendar and room lane."""
    if shift.date is not None:
        if first <= shift.date <= last:
            yield shift.date
        return
    for day in days_between(first, last):
        if day.weekday() == shift.weekday:
            yield day


def _window(first: date, last: date, tz: ZoneInfo) -> Interval:
    # A day's grid may start before midnight UTC or run past it: widen by a day.
    return wall_to_utc(first - timedelta(days=1), time.min, tz), wall_to_utc(
        last + timedelta(days=2), time.min, tz
    )


def load_schedule(
    service: Service,
    first: date,
    last: date,
    *,
    practitioner: Practitioner | None = None,
    offering: Sequence[int] | None = None,
    exclude_booking_id: int | None = None,
) -> Schedule:
    """Read what ``open_slots`` needs for ``service`` between two clinic dates, in 6 queries
    (one fewer given ``offering``, one fewer for a multibed service)."""
    diary = load_diary(service, first, last, practitioner=practitioner, offering=offering)
    return with_bookings(diary, first, last, exclude_booking_id=exclude_booking_id)


def load_diary(
    service: Service,
    first: date,
    last: date,
    *,
    practitioner: Practitioner | None = None,
    offering: Sequence[int] | None = None,
) -> Schedule:
    """Everything but the bookings, in 5 queries: who offers ``service`` (unless the caller
    has just read them: ``offering``, bookable practitioner ids), their weekly hours (not for a
    multibed service), dated exceptions with the clinic's closures, time off and multibed shifts.
    It changes far less often than bookings do."""
    tz = service.clinic.tz
    window_start, window_end = _window(first, last, tz)

    if offering is None:
        offered = service.practitioners.bookable()
        if practitioner is not None:
            offered = offered.filter(pk=practitioner.pk)
        ids = list(offered.order_by("pk").values_list("pk", flat=True))
    else:
        ids = sorted(offering)
    schedule = Schedule(service=service, tz=tz, practitioner_ids=ids)

    # Multibed sessions run by the room's shifts: the weekly hours are the private diary's.
    if not service.is_multibed:
        schedule.hours = weekly_hours(ids)
    # A clinic closure closes the day for everyone: private hours, extra hours and shifts.
    schedule.extra, schedule.closed, schedule.closures = date_exceptions(
        ids, first - timedelta(days=1), last, clinic_id=service.clinic_id
    )

    busy: dict[int, list[Interval]] = defaultdict(list)
    for practitioner_id, starts_at, ends_at in (
        TimeOff.objects.filter(
            practitioner_id__in=ids, starts_at__lt=window_end, ends_at__gt=window_start
        )
        .order_by()
        .values_list("practitioner_id", "starts_at", "ends_at")
    ):
        busy[practitioner_id].append((starts_at, ends_at))
        schedule.off.setdefault(practitioner_id, []).append((starts_at, ends_at))

    # Every shift of these practitioners blocks their private time, whichever
    # service it runs; only this service's shifts produce multibed slots.
    shifts = list(
        MultibedShift.objects.filter(practitioner_id__in=ids)
        .filter(Q(date__isnull=True) | Q(date__gte=first - timedelta(days=1), date__lte=last))
        .select_related("room")
        .order_by()
    )
    for shift in shifts:
        for day in shift_days(shift, first - timedelta(days=1), last):
            busy[shift.practitioner_id].append(
                (wall_to_utc(day, shift.start_time, tz), wall_to_utc(day, shift.end_time, tz))
            )
        if shift.service_id == service.pk:
            schedule.shifts.append(shift)
            schedule.rooms[shift.room_id] = shift.room.recliners

    schedule.busy = {pid: _merge(intervals) for pid, intervals in busy.items()}
    schedule.off = {pid: _merge(intervals) for pid, intervals in schedule.off.items()}
    return schedule


Hours = list[tuple[time, time]]  # wall-clock (start, end) pairs


def working_hours(
    ids: list[int], first: date, last: date, *, clinic_id: int
) -> tuple[
    dict[tuple[int, int], Hours],
    dict[tuple[int, date], Hours],
    set[tuple[int, date]],
    dict[date, str],
]:
    """These practitioners' weekly hours by (practitioner, weekday), their extra hours by
    (practitioner, date), their closed days and the clinic's closed days (with the reason
    patients are shown) between two dates, in two queries."""
    extra, closed, closures = date_exceptions(ids, first, last, clinic_id=clinic_id)
    return weekly_hours(ids), extra, closed, closures


def weekly_hours(ids: list[int]) -> dict[tuple[int, int], Hours]:
    """These practitioners' weekly hours by (practitioner, weekday), in one query."""
    # The diary's reads are plain tuples in no order (the slots are sorted once made): every
    # booking and page of open times makes them, and rows and ORDER BY cost more than the data.
    hours: dict[tuple[int, int], Hours] = {}
    for practitioner_id, weekday, start, end in (
        WeeklyHours.objects.filter(practitioner_id__in=ids)
        .order_by()
        .values_list("practitioner_id", "weekday", "start_time", "end_time")
    ):
        hours.setdefault((practitioner_id, weekday), []).append((start, end))
    return hours


# The columns both halves of ``date_exceptions``'s query give, in this order: annotations only,
# added in the same order on both sides, so the UNION lines them up on every database.
_DATED = ("d_practitioner", "d_first", "d_last", "d_kind", "d_start", "d_end", "d_words")
_CLINIC_CLOSED = "clinic"


def date_exceptions(
    ids: list[int], first: date, last: date, *, clinic_id: int
) -> tuple[dict[tuple[int, date], Hours], set[tuple[int, date]], dict[date, str]]:
    """These practitioners' extra hours by (practitioner, date) and closed days, and the days
    the whole clinic is closed (``ClinicClosure``, with the reason patients are shown), between
    two dates, in one query; a clinic closure closes the day for each of ``ids`` too."""
    exceptions = (
        DateException.objects.filter(practitioner_id__in=ids, date__gte=first, date__lte=last)
        .order_by()
        .annotate(
            d_practitioner=F("practitioner_id"),
            d_first=F("date"),
            d_last=F("date"),
            d_kind=F("kind"),
            d_start=F("start_time"),
            d_end=F("end_time"),
            d_words=Value("", output_field=CharField()),
        )
        .values_list(*_DATED)
    )
    clinic_closed = (
        ClinicClosure.objects.filter(clinic_id=clinic_id, first_day__lte=last, last_day__gte=first)
        .order_by()
        .annotate(
            d_practitioner=Value(None, output_field=IntegerField()),
            d_first=F("first_day"),
            d_last=F("last_day"),
            d_kind=Value(_CLINIC_CLOSED, output_field=CharField()),
            d_start=Value(None, output_field=TimeField()),
            d_end=Value(None, output_field=TimeField()),
            d_words=F("reason"),
        )
        .values_list(*_DATED)
    )
    extra: dict[tuple[int, date], Hours] = {}
    closed: set[tuple[int, date]] = set()
    closures: dict[date, str] = {}
    for practitioner_id, day, until, kind, start, end, words in exceptions.union(
        clinic_closed, all=True
    ):
        if kind == _CLINIC_CLOSED:
            for closed_day in days_between(max(day, first), min(until, last)):
                closures[closed_day] = words
        elif kind == ExceptionKind.CLOSED:
            closed.add((practitioner_id, day))
        elif start and end:
            extra.setdefault((practitioner_id, day), []).append((start, end))
    closed |= {(pid, day) for day in closures for pid in ids}
    return extra, closed, closures


def with_bookings(
    diary: Schedule,
    first: date,
    last: date,
    *,
    exclude_booking_id: int | None = None,
) -> Schedule:
    """``diary`` (left as it is) plus the bookings and the places held for the waiting list
    that hold time or recliners, in 1 query."""
    window_start, window_end = _window(first, last, diary.tz)
    # Only what this kind of slot needs: multibed starts depend on the room's stays,
    # private ones on the practitioners' blocked time. Times come as epoch seconds:
    # parsing thousands of timestamps was most of a busy month's cost.
    # Only visits starting within LONGEST_BLOCK of the window can overlap it: a range of the
    # (practitioner or room, start) index rather than every visit the clinic has had.
    active = Booking.objects.filter(
        status__in=ACTIVE_STATUSES,
        starts_at__gt=window_start - LONGEST_BLOCK,
        starts_at__lt=window_end + LONGEST_BLOCK,
    )
    if exclude_booking_id is not None:
        active = active.exclude(pk=exclude_booking_id)
    busy: dict[int, list[Interval]] = defaultdict(list)
    room_stays: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    # Places held for the waiting list take capacity like bookings, read in the same query.
    held = WaitlistPlace.objects.filter(status__in=HOLDING_STATUSES)
    if diary.service.is_multibed:
        # Patients arriving together are one row with a count: several times fewer rows.
        stays = {
            "room_id__in": list(diary.rooms),
            "starts_at__lt": window_end,
            "ends_at__gt": window_start,
        }
        columns = ("room_id", EpochSeconds("starts_at"), EpochSeconds("ends_at"))
        for room_id, starts, ends, count in plain_rows(
            active.filter(kind=ServiceKind.MULTIBED, **stays)
            .values_list(*columns)
            .annotate(count=Count("pk"))
            .order_by()
            .union(
                held.filter(room__isnull=False, **stays)
                .values_list(*columns)
                .annotate(count=Count("pk"))
                .order_by(),
                all=True,
            )
        ):
            room_stays[room_id].append((starts, ends, count))
    else:
        blocks = {
            "practitioner_id__in": diary.practitioner_ids,
            "blocked_from__lt": window_end,
            "blocked_until__gt": window_start,
        }
        columns = (
            "practitioner_id",
            EpochSeconds("blocked_from"),
            EpochSeconds("blocked_until"),
        )
        for practitioner_id, b_from, b_until in plain_rows(
            active.filter(**blocks)
            .exclude(kind=ServiceKind.MULTIBED)
            .values_list(*columns)
            .order_by()
            .union(
                held.filter(room__isnull=True, **blocks).values_list(*columns).order_by(), all=True
            )
        ):
            busy[practitioner_id].append((_instant(b_from), _instant(b_until)))
    return replace(
        diary,
        busy={
            pid: _merge([*diary.busy.get(pid, []), *busy.get(pid, [])])
            for pid in diary.busy.keys() | busy.keys()
        },
        occupancy={rid: Occupancy.of(stays) for rid, stays in room_stays.items()},
    )


def _busy_until(merged: list[Interval], start: datetime, end: datetime) -> datetime | None:
    """The end of the busy interval that [start, end) runs into, or None if it is free."""
    i = bisect.bisect_left(merged, (end,))
    if i > 0 and merged[i - 1][1] > start:
        return merged[i - 1][1]
    return None


def _private_slots(schedule: Schedule, day: date) -> Iterator[Slot]:
    service, tz = schedule.service, schedule.tz
    step = timedelta(minutes=service.slot_step_minutes)
    duration, before, after = service.duration, service.buffer_before, service.buffer_after
    for pid in schedule.practitioner_ids:
        if (pid, day) in schedule.closed:
            continue
        ranges = schedule.hours.get((pid, day.weekday()), []) + schedule.extra.get((pid, day), [])
        busy = schedule.busy.get(pid, [])
        seen: set[datetime] = set()  # extra hours may overlap the weekly ones
        for start_t, end_t in sorted(set(ranges)):
            start, end = wall_to_utc(day, start_t, tz), wall_to_utc(day, end_t, tz)
            at = start
            while at + duration <= end:
                blocked = _busy_until(busy, at - before, at + duration + after)
                if blocked is None:
                    if at not in seen:
                        seen.add(at)
                        yield Slot(at, at + duration, pid)
                    at += step
                else:
                    # Skip to the first grid point whose buffer clears the busy time.
                    gap = blocked + before - at
                    at += step * max(1, -(-gap // step))


@dataclass(frozen=True)
class Occupancy:
    """A room's recliners in use over time: ``levels[i]`` holds from ``points[i]`` to the next.

    Times are epoch seconds: a busy month has thousands of them, and integers sort,
    hash and compare several times faster than datetimes.
    """

    points: list[int]
    levels: list[int]
    starts: Counter[int]

    @classmethod
    def of(cls, stays: Iterable[tuple[int, int, int]]) -> Occupancy:
        """From (start, end, how many patients) stays, in epoch seconds."""
        change: Counter[int] = Counter()
        starts: Counter[int] = Counter()
        for start, end, count in stays:
            change[start] += count
            change[end] -= count
            starts[start] += count
        points, levels, level = [], [], 0
        for at in sorted(change):
            level += change[at]
            points.append(at)
            levels.append(level)
        return cls(points, levels, starts)

    def peak(self, start: int, end: int) -> int:
        """Most recliners in use at any moment of [start, end)."""
        first = bisect.bisect_right(self.points, start) - 1
        last = bisect.bisect_left(self.points, end)
        return max(self.levels[max(first, 0) : last], default=0)


def _multibed_slots(schedule: Schedule, day: date) -> Iterator[Slot]:
    service, tz = schedule.service, schedule.tz
    for shift in schedule.shifts:
        pid = shift.practitioner_id
        if pid not in schedule.practitioner_ids or (pid, day) in schedule.closed:
            continue
        if not any(d == day for d in shift_days(shift, day, day)):
            continue
        recliners = schedule.rooms[shift.room_id]
        occupancy = schedule.occupancy.get(shift.room_id) or Occupancy.of(())
        off = schedule.off.get(pid, [])
        # Stepped in epoch seconds: real elapsed time, as the clocks-change days need,
        # and a busy month has thousands of starts to try.
        step = shift.start_interval_minutes * 60
        at = int(wall_to_utc(day, shift.start_time, tz).timestamp())
        end = int(wall_to_utc(day, shift.end_time, tz).timestamp())
        duration = int(service.duration.total_seconds())
        while at + duration <= end:
            stay_end = at + duration
            if not (off and _overlaps(off, _instant(at), _instant(stay_end))):
                free = recliners - occupancy.peak(at, stay_end)
                # Open only if the start has room for another arrival and a recliner
                # stays free for the whole stay; patients are shown the free recliners.
                if free > 0 and occupancy.starts[at] < shift.max_new_per_start:
                    yield Slot(_instant(at), _instant(stay_end), pid, shift.room_id, free)
            at += step


def day_slots(schedule: Schedule, first: date, last: date) -> dict[date, list[Slot]]:
    """Every start time each clinic date offers, before notice and horizon are applied."""
    generate = _multibed_slots if schedule.service.is_multibed else _private_slots
    return {day: list(generate(schedule, day)) for day in days_between(first, last)}


def within_policy(slots: Iterable[Slot], *, now: datetime, policy: Policy) -> list[Slot]:
    """The slots bookable now (past the minimum notice, inside the horizon), sorted."""
    earliest, latest = now + policy.min_notice, now + policy.horizon
    kept = [slot for slot in slots if earliest <= slot.starts_at <= latest]
    kept.sort(key=lambda s: (s.starts_at, s.practitioner_id))
    return kept


def open_slots(
    schedule: Schedule, first: date, last: date, *, now: datetime, policy: Policy
) -> list[Slot]:
    """Open start times between two clinic dates (inclusive), sorted by time then practitioner."""
    by_day = day_slots(schedule, first, last)
    return within_policy(
        (slot for slots in by_day.values() for slot in slots), now=now, policy=policy
    )


def find_open_slots(
    service: Service,
    first: date,
    last: date,
    *,
    now: datetime,
    practitioner: Practitioner | None = None,
    exclude_booking_id: int | None = None,
) -> list[Slot]:
    """Load and compute in one call: the open times views and services ask for."""
    schedule = load_schedule(
        service, first, last, practitioner=practitioner, exclude_booking_id=exclude_booking_id
    )
    return open_slots(schedule, first, last, now=now, policy=Policy.for_clinic(service.clinic))


def has_sessions(diary: Schedule, first: date, last: date, *, now: datetime) -> bool:
    """Whether ``diary`` (``load_diary``: no bookings) has any bookable session between two
    clinic dates, so a week with no open time can say "fully booked" only when it is."""
    sessions = (slot for slots in day_slots(diary, first, last).values() for slot in slots)
    return bool(within_policy(sessions, now=now, policy=Policy.for_clinic(diary.service.clinic)))


def slots_by_day(slots: Iterable[Slot], tz: ZoneInfo) -> dict[date, list[Slot]]:
    days: dict[date, list[Slot]] = defaultdict(list)
    for slot in slots:
        days[slot.starts_at.astimezone(tz).date()].append(slot)
    return dict(days)


__all__ = [
    "Policy",
    "Schedule",
    "Slot",
    "day_slots",
    "find_open_slots",
    "load_diary",
    "load_schedule",
    "open_slots",
    "slots_by_day",
    "with_bookings",
    "within_policy",
]
