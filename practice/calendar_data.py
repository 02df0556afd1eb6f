"""Reading the practitioner calendar: the clinic-time helpers, and ``load_calendar``, which reads
a date range for some practitioners in a fixed number of queries (bookings, hours, exceptions,
time off, shifts), whatever the range. ``practice.calendar`` lays the result out."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from booking.availability import shift_days, wall_to_utc, working_hours
from booking.models import (
    ACTIVE_STATUSES,
    LONGEST_BLOCK,
    Booking,
    BookingStatus,
    MultibedShift,
    Practitioner,
    ServiceKind,
    TimeOff,
)
from portal.models import Clinic

SHOWN_STATUSES = (*ACTIVE_STATUSES, BookingStatus.LATE_CANCELLED)
# What the grid and the badges (``practice.glance.money_badge``) read of a visit, its patient
# and its service: the name, never the rest of the patient's account.
VISIT_FIELDS = (
    "kind",
    "status",
    "starts_at",
    "ends_at",
    "arrived_at",
    "practitioner_id",
    "price_minor",
    "currency",
    "payment_mode",
    "patient__first_name",
    "patient__last_name",
    "patient__email",
    "service__name",
    "service__price_rule",
)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def is_repeated(moment: datetime, tz: ZoneInfo) -> bool:
    """Whether the clinic's clock shows this time twice that night (the clocks going back)."""
    local = moment.astimezone(tz)
    return local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset()


def clock(moment: datetime, tz: ZoneInfo) -> str:
    """ "09:30" on the clinic's clock; in the hour the clocks go back, "01:30 BST" / "01:30 GMT"."""
    local = moment.astimezone(tz)
    text = f"{local:%H:%M}"
    return f"{text} {local.tzname()}" if is_repeated(moment, tz) else text


def utc_range(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The instants from the start of ``first`` to the end of ``last`` in the clinic's zone."""
    return (
        local_midnight(first, tz).astimezone(UTC),
        local_midnight(last + timedelta(days=1), tz).astimezone(UTC),
    )


@dataclass
class ShiftBlock:
    """One multibed shift on one day, with the stays booked into it."""

    shift: MultibedShift
    day: date
    starts_at: datetime  # UTC
    ends_at: datetime
    booked: int = 0  # active stays starting in the shift


# Per practitioner and clinic date: a practitioner's column on that day looks its rows up here.
Cell = tuple[int, date]


@dataclass
class CalendarData:
    """Everything a grid needs, loaded once and filed by the column that draws it."""

    clinic: Clinic
    tz: ZoneInfo
    first: date
    last: date
    now: datetime
    practitioners: list[Practitioner]
    visits: dict[Cell, list[Booking]]  # by the clinic date they start on, in time order
    hours: dict[tuple[int, int], list[tuple[time, time]]]  # by practitioner and weekday
    extra: dict[Cell, list[tuple[time, time]]]
    closed: set[Cell]
    clinic_closed: dict[date, str]  # the days the whole clinic is closed, with the reason
    time_off: dict[int, list[TimeOff]]
    shift_blocks: dict[Cell, list[ShiftBlock]]


def load_calendar(
    clinic: Clinic,
    first: date,
    last: date,
    *,
    practitioners: list[Practitioner],
    now: datetime,
) -> CalendarData:
    """Read the range for these practitioners in six queries, however many visits."""
    tz = clinic.tz
    start, end = utc_range(first, last, tz)
    ids = [p.pk for p in practitioners]
    shown = Booking.objects.filter(
        clinic=clinic,
        practitioner_id__in=ids,
        status__in=SHOWN_STATUSES,
        # No visit is longer than LONGEST_BLOCK: a range of the (practitioner, start) index.
        starts_at__gt=start - LONGEST_BLOCK,
        starts_at__lt=end,
        ends_at__gt=start,
    )
    # A clinic closure closes the day for everyone; the visits booked on it are still drawn.
    hours, extra, closed, clinic_closed = working_hours(ids, first, last, clinic_id=clinic.pk)
    blocks = _shift_blocks(ids, first, last, tz, closed)
    # Stays are counted into their shift; one outside every shift (the shift was changed
    # since) is drawn as a visit.
    drawn = ~Q(kind=ServiceKind.MULTIBED)
    strays = _count_stays(shown, blocks, tz)
    if strays:
        drawn |= Q(pk__in=strays)
    visits: dict[Cell, list[Booking]] = defaultdict(list)
    for booking in (
        shown.filter(drawn)
        .select_related("patient", "service")
        .only(*VISIT_FIELDS)
        .order_by("starts_at", "pk")
    ):
        visits[(booking.practitioner_id, booking.starts_at.astimezone(tz).date())].append(booking)
    time_off: dict[int, list[TimeOff]] = defaultdict(list)
    for off in TimeOff.objects.filter(
        practitioner_id__in=ids, starts_at__lt=end, ends_at__gt=start
    ):
        time_off[off.practitioner_id].append(off)
    return CalendarData(
        clinic=clinic,
        tz=tz,
        first=first,
        last=last,
        now=now,
        practitioners=practitioners,
        visits=dict(visits),
        hours=hours,
        extra=extra,
        closed=closed,
        clinic_closed=clinic_closed,
        time_off=dict(time_off),
        shift_blocks=blocks,
    )


def _shift_blocks(
    ids: list[int], first: date, last: date, tz: ZoneInfo, closed: set[Cell]
) -> dict[Cell, list[ShiftBlock]]:
    """The multibed shifts each practitioner runs each day (none on a closed day)."""
    blocks: dict[Cell, list[ShiftBlock]] = defaultdict(list)
    shifts = MultibedShift.objects.filter(practitioner_id__in=ids).filter(
        Q(date__isnull=True) | Q(date__gte=first, date__lte=last)
    )
    for shift in shifts.select_related("room"):
        for day in shift_days(shift, first, last):
            if (shift.practitioner_id, day) in closed:
                continue
            blocks[(shift.practitioner_id, day)].append(
                ShiftBlock(
                    shift=shift,
                    day=day,
                    starts_at=wall_to_utc(day, shift.start_time, tz),
                    ends_at=wall_to_utc(day, shift.end_time, tz),
                )
            )
    return dict(blocks)


def _count_stays(
    shown: QuerySet[Booking], blocks: dict[Cell, list[ShiftBlock]], tz: ZoneInfo
) -> list[int]:
    """Count each active multibed stay into the shift it starts in; the ids of those that
    start in none. A busy room has dozens of stays a shift: the grid only counts them (the
    room lane shows who), so they are read as bare rows rather than full bookings."""
    strays = []
    stays = shown.filter(kind=ServiceKind.MULTIBED).values_list(
        "pk", "practitioner_id", "starts_at", "status"
    )
    for pk, pid, starts_at, status in stays:
        home = next(
            (
                b
                for b in blocks.get((pid, starts_at.astimezone(tz).date()), [])
                if b.starts_at <= starts_at < b.ends_at
            ),
            None,
        )
        if home is None:
            strays.append(pk)
        elif status in ACTIVE_STATUSES:
            home.booked += 1
    return strays
