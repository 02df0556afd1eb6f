"""What the week of open times shows: days split into morning, afternoon and evening, one
choice per start time, and the weeks either side (the markup is in booking/week.html).

With "any practitioner" each start time is offered once, and its link names the
practitioner it books, so the confirm step can say who the visit is with and the booking is
made with them. Times are ordered by instant; a wall-clock time the clocks repeat (the
October night) carries its zone abbreviation ("01:30 BST", "01:30 GMT").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from booking.availability import Slot, find_open_slots, slots_by_day
from booking.availability_cache import cached_open_slots
from booking.models import Booking, Practitioner, Service

# Where each part of the day starts, in the clinic's hours (the last part runs to midnight).
PARTS = (("Morning", 0), ("Afternoon", 12), ("Evening", 17))


@dataclass(frozen=True)
class TimeChoice:
    """One button: a start time and the practitioner it books."""

    start: str  # ISO instant, for data-start
    href: str  # the confirm page for this time and practitioner
    label: str  # "09:00", or "01:30 BST" in a repeated hour
    hour: int  # the local hour, for the part of the day
    practitioner_id: int
    places_left: int | None  # multibed: recliners free for the whole stay


@dataclass(frozen=True)
class DayPart:
    name: str  # "Morning"
    times: list[TimeChoice]


@dataclass(frozen=True)
class WeekDay:
    """One column of the week: its heading and its open times by part of the day."""

    day: date
    weekday: str  # "Monday"
    label: str  # "23 Nov"
    is_today: bool
    parts: list[DayPart]  # only the parts with times
    count: int
    closed: bool = False  # the whole clinic is closed (``booking.closures``)
    closed_reason: str = ""  # what patients are told, "" for none


@dataclass(frozen=True)
class Week:
    monday: date
    heading: str  # "23 November 2026"
    days: list[WeekDay]
    prev_monday: date | None  # None: this week is the first that can be booked
    next_monday: date | None  # None: the next week is past the booking horizon
    count: int  # open times in the whole week; 0 is "fully booked"
    closed_days: int = 0  # days of the week the clinic is closed


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def open_week(
    service: Service,
    *,
    asked: date | None,
    now: datetime,
    practitioner: Practitioner | None,
    moving: Booking | None = None,
) -> tuple[date, list[Slot], date | None]:
    """The Monday to show, that week's open times, and the Monday of the next week with a
    place when this one has none (None when it has some, or nothing opens before the horizon).

    ``asked`` is the ``week`` the page was asked for (a date in it); without one, a
    week with nothing open gives way to the week of the next open time. When ``moving`` a
    visit, its own place counts as free for other times but is not offered as a new one.
    """
    tz = service.clinic.tz
    today = now.astimezone(tz).date()
    monday = max(monday_of(asked or today), monday_of(today))

    def open_times(first: date, last: date) -> list[Slot]:
        if moving is None:
            return cached_open_slots(service, first, last, now=now, practitioner=practitioner)
        # Moving a visit frees its own place, which no cached week knows about.
        freed = find_open_slots(
            service,
            first,
            last,
            now=now,
            practitioner=practitioner,
            exclude_booking_id=moving.pk,
        )
        return [
            s
            for s in freed
            if (s.starts_at, s.practitioner_id) != (moving.starts_at, moving.practitioner_id)
        ]

    sunday = monday + timedelta(days=6)
    slots = open_times(monday, sunday)
    if slots:
        return monday, slots, None
    horizon = today + timedelta(days=service.clinic.booking_horizon_days)
    later = open_times(sunday + timedelta(days=1), horizon) if sunday < horizon else []
    next_open = monday_of(later[0].starts_at.astimezone(tz).date()) if later else None
    if next_open is not None and asked is None:
        sunday = next_open + timedelta(days=6)
        return next_open, [s for s in later if s.starts_at.astimezone(tz).date() <= sunday], None
    return monday, [], next_open


def _repeated(at: datetime, tz: ZoneInfo) -> bool:
    """Whether the wall-clock time of ``at`` happens twice that night (clocks going back)."""
    local = at.astimezone(tz).replace(tzinfo=None)
    return (
        local.replace(tzinfo=tz, fold=0).utcoffset() != local.replace(tzinfo=tz, fold=1).utcoffset()
    )


def day_choices(slots: Sequence[Slot], tz: ZoneInfo, *, link: str = "") -> list[TimeChoice]:
    """One choice per start instant, in time order. With several practitioners free at once
    the first (lowest id) is offered, and the link (``link`` + start and practitioner) books
    exactly that practitioner."""
    chosen: dict[datetime, Slot] = {}
    for slot in sorted(slots, key=lambda s: (s.starts_at, s.practitioner_id)):
        chosen.setdefault(slot.starts_at, slot)
    choices = []
    for at, slot in chosen.items():
        local = at.astimezone(tz)
        label = local.strftime("%H:%M")
        if _repeated(at, tz):
            label = f"{label} {local.tzname()}"
        starts = at.isoformat()
        choices.append(
            TimeChoice(
                start=starts,
                href=f"{link}{quote(starts, safe='')}&practitioner={slot.practitioner_id}",
                label=label,
                hour=local.hour,
                practitioner_id=slot.practitioner_id,
                places_left=slot.places_left,
            )
        )
    return choices


def _parts(choices: list[TimeChoice]) -> list[DayPart]:
    bounds = [start for _, start in PARTS[1:]] + [24]
    grouped: list[DayPart] = []
    for (name, first), last in zip(PARTS, bounds, strict=True):
        times = [c for c in choices if first <= c.hour < last]
        if times:
            grouped.append(DayPart(name, times))
    return grouped


def build_week(
    slots: Sequence[Slot],
    *,
    monday: date,
    today: date,
    horizon_end: date,
    tz: ZoneInfo,
    link: str = "",
    closures: dict[date, str] | None = None,
) -> Week:
    """The week starting ``monday``: each day's open times, one per start, by part of day;
    ``link`` is the confirm page's address up to the start time's value; ``closures`` the
    days the clinic is closed, with the reason patients are told."""
    closures = closures or {}
    by_day = slots_by_day(slots, tz)
    days = []
    total = 0
    for offset in range(7):
        day = monday + timedelta(days=offset)
        choices = day_choices(by_day.get(day, []), tz, link=link)
        total += len(choices)
        days.append(
            WeekDay(
                day=day,
                weekday=day.strftime("%A"),
                label=f"{day.day} {day:%b}",
                is_today=day == today,
                parts=_parts(choices),
                count=len(choices),
                closed=day in closures,
                closed_reason=closures.get(day, ""),
            )
        )
    next_monday = monday + timedelta(days=7)
    return Week(
        monday=monday,
        heading=f"{monday.day} {monday:%B %Y}",
        days=days,
        prev_monday=monday - timedelta(days=7) if monday > today else None,
        next_monday=next_monday if next_monday <= horizon_end else None,
        count=total,
        closed_days=sum(1 for day in days if day.closed),
    )
