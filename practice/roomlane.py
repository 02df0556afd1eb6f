"""The multibed room over one shift: which recliner each patient rests in, how full the room
is each quarter hour, and who arrives next.

Patients are not booked onto a particular recliner, so each stay is given one here
the way the room fills: the first recliner free when they arrive (interval
partitioning), which never needs more recliners than the room's peak occupancy.

Everything is measured in instants (UTC) and only labelled in the clinic's time, so the nights
the clocks change draw true lengths; the repeated hour's labels say BST or GMT.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from booking.availability import shift_days, wall_to_utc
from booking.models import ACTIVE_STATUSES, Booking, BookingStatus, MultibedShift, Room
from practice.calendar import QUARTER
from practice.calendar_data import clock, utc_range
from practice.glance import Glance, glance_for


@dataclass
class Stay:
    booking: Booking
    starts_at: datetime  # UTC: compared and measured as instants, shown with ``clock``
    ends_at: datetime
    recliner: int  # 1-based
    offset: int  # minutes from the start of the lane
    length: int
    glance: Glance | None = None
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @property
    def arrived(self) -> bool:
        return self.booking.arrived_at is not None or self.booking.status in (
            BookingStatus.ATTENDED,
        )

    @property
    def starts(self) -> str:
        return clock(self.starts_at, self.tz)

    @property
    def ends(self) -> str:
        return clock(self.ends_at, self.tz)


@dataclass
class Quarter:
    starts_at: datetime  # UTC
    offset: int
    busy: int  # recliners in use at some moment of the quarter
    arrivals: list[Booking]
    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))

    @property
    def clock(self) -> str:
        return clock(self.starts_at, self.tz)


@dataclass
class RoomLane:
    room: Room
    day: date
    shifts: list[MultibedShift]
    starts_at: datetime | None = None  # UTC
    ends_at: datetime | None = None
    minutes: int = 0
    stays: list[Stay] = field(default_factory=list)
    quarters: list[Quarter] = field(default_factory=list)
    next_arrival: Stay | None = None
    # On a day the room does not run: the day of its next session (a link, not a dead end).
    next_session: date | None = None
    # On such a day: when it does run, in words ("Tuesdays 17:30-20:30 with David Rhys").
    pattern: list[str] = field(default_factory=list)
    recliners: int = 0  # rows drawn: the room's recliners (more only if it was overbooked)

    @property
    def recliner_numbers(self) -> list[int]:
        return list(range(1, self.recliners + 1))

    def stays_on(self, recliner: int) -> list[Stay]:
        return [s for s in self.stays if s.recliner == recliner]

    @property
    def peak(self) -> int:
        return max((q.busy for q in self.quarters), default=0)


def shifts_on(shifts: list[MultibedShift], day: date) -> list[MultibedShift]:
    """Those of a room's ``shifts`` that run on ``day`` (weekly ones on its weekday, dated ones
    on it)."""
    return [s for s in shifts if any(shift_days(s, day, day))]


def next_session_day(
    shifts: list[MultibedShift], after: date, *, within_days: int = 28
) -> date | None:
    """The first day after ``after`` (within four weeks) one of a room's ``shifts`` runs."""
    first, last = after + timedelta(days=1), after + timedelta(days=within_days)
    return min((d for s in shifts for d in shift_days(s, first, last)), default=None)


def shift_pattern(shifts: list[MultibedShift], day: date) -> list[str]:
    """The room's weekly shifts, then its dated ones from ``day`` on, as a person says them.

    The page printed each shift's name ("Community room Tuesday 17:30-20:30"), the room's
    name again each time, and dated shifts long past.
    """
    weekly = sorted((s for s in shifts if s.weekday is not None), key=lambda s: s.weekday or 0)
    dated = sorted((s for s in shifts if s.date is not None and s.date >= day), key=_shift_date)
    words = [f"{s.get_weekday_display()}s {_hours(s)}" for s in weekly]
    words += [f"{s.date:%A} {s.date.day} {s.date:%B} {_hours(s)}" for s in dated if s.date]
    return words


def _shift_date(shift: MultibedShift) -> date:
    return shift.date or date.min


def _hours(shift: MultibedShift) -> str:
    times = f"{shift.start_time:%H:%M}\u2013{shift.end_time:%H:%M}"
    return f"{times} with {shift.practitioner.display_name}"


def load_room_lane(room: Room, day: date, *, now: datetime, viewer: Any = None) -> RoomLane:
    """The room on ``day``: recliner per stay, occupancy per quarter hour, the next arrival
    (flags only on patients ``viewer`` may read, when given)."""
    tz = room.clinic.tz
    # The room's shifts, read once: the day's, or on a day it does not run, its next session.
    shifts = list(room.shifts.select_related("practitioner", "service").order_by("start_time"))
    lane = RoomLane(room=room, day=day, shifts=shifts_on(shifts, day), recliners=room.recliners)
    start_utc, end_utc = utc_range(day, day, tz)
    bookings = list(
        Booking.objects.filter(
            room=room,
            kind="multibed",
            status__in=ACTIVE_STATUSES,
            starts_at__gte=start_utc,
            starts_at__lt=end_utc,
        )
        .select_related("patient", "service", "practitioner")
        .order_by("starts_at", "pk")
    )
    if not lane.shifts and not bookings:
        lane.next_session = next_session_day(shifts, day)
        lane.pattern = shift_pattern(shifts, day)
        return lane
    start, end = _span(lane.shifts, bookings, day, tz)
    lane.starts_at, lane.ends_at, lane.minutes = start, end, _mins(end, start)
    lane.stays = _seat(bookings, start, glance_for(bookings, viewer=viewer), tz)
    lane.recliners = max(room.recliners, max((s.recliner for s in lane.stays), default=0))
    lane.quarters = _quarters(lane.stays, start, end, tz)
    lane.next_arrival = next(
        (
            s
            for s in lane.stays
            if s.booking.status == BookingStatus.CONFIRMED
            and not s.arrived
            and s.booking.starts_at >= now - timedelta(minutes=QUARTER)
        ),
        None,
    )
    return lane


def _span(
    shifts: list[MultibedShift], bookings: list[Booking], day: date, tz: ZoneInfo
) -> tuple[datetime, datetime]:
    """Where the lane starts and ends: round its shifts and stays."""
    # Drawn by instants (UTC): on the night the clocks go back the repeated hour gets its own
    # quarters, and on the night they go forward the missing hour is simply not there.
    times = [wall_to_utc(day, s.start_time, tz) for s in shifts]
    times += [wall_to_utc(day, s.end_time, tz) for s in shifts]
    times += [b.starts_at for b in bookings] + [b.ends_at for b in bookings]
    first, last = min(times), max(times)
    # Whole quarter hours either side, so the header's marks line up with the clock (the
    # clinic's offset from UTC is a whole number of quarter hours).
    return _quarter_floor(first), _quarter_floor(
        last + timedelta(minutes=QUARTER) - timedelta(microseconds=1)
    )


def _seat(
    bookings: list[Booking], origin: datetime, glance: dict[int, Glance], tz: ZoneInfo
) -> list[Stay]:
    """A recliner for each stay in arrival order: the first one free when they arrive
    (``origin`` is the lane's start, which offsets count from)."""
    free_at: list[datetime] = []  # per recliner: when it is free again
    stays = []
    for booking in bookings:
        start, end = booking.starts_at.astimezone(UTC), booking.ends_at.astimezone(UTC)
        recliner = next((i for i, free in enumerate(free_at) if free <= start), len(free_at))
        if recliner == len(free_at):
            free_at.append(end)
        else:
            free_at[recliner] = end
        stays.append(
            Stay(
                booking=booking,
                starts_at=start,
                ends_at=end,
                recliner=recliner + 1,
                offset=_mins(start, origin),
                length=_mins(end, start),
                glance=glance.get(booking.pk),
                tz=tz,
            )
        )
    return stays


def _quarters(stays: list[Stay], start: datetime, end: datetime, tz: ZoneInfo) -> list[Quarter]:
    """Each quarter hour from ``start`` to ``end``: recliners busy at its fullest moment,
    who arrives."""
    quarters = []
    at = start
    while at < end:
        until = at + timedelta(minutes=QUARTER)
        quarters.append(
            Quarter(
                starts_at=at,
                offset=_mins(at, start),
                busy=_peak(stays, at, until),
                arrivals=[s.booking for s in stays if at <= s.starts_at < until],
                tz=tz,
            )
        )
        at = until
    return quarters


def _quarter_floor(moment: datetime) -> datetime:
    seconds = int(moment.timestamp())
    return datetime.fromtimestamp(seconds - seconds % (QUARTER * 60), UTC)


def _mins(later: datetime, earlier: datetime) -> int:
    return int((later - earlier).total_seconds() // 60)


def _peak(stays: list[Stay], start: datetime, end: datetime) -> int:
    """Most stays overlapping at one moment of [start, end)."""
    events = []
    for stay in stays:
        if stay.starts_at < end and stay.ends_at > start:
            events.append((max(stay.starts_at, start), 1))
            events.append((min(stay.ends_at, end), -1))
    level = peak = 0
    for _, change in sorted(events, key=lambda e: (e[0], e[1])):
        level += change
        peak = max(peak, level)
    return peak
