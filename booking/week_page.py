"""What the week of open times shows: days, their times as links, the weeks either side.

The page is the busiest a patient opens, so labels and links are made here once, in
Python, rather than by template tags and filters per time (measured: the template
loop was most of the page's cost).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from booking.availability import Slot, find_open_slots, slots_by_day
from booking.availability_cache import cached_open_slots
from booking.forms import parse_week
from booking.models import Practitioner, Service


@dataclass(frozen=True)
class WeekDay:
    """One column of the week: its heading and its open times, ready to show."""

    day: date
    weekday: str  # "Monday"
    label: str  # "23 Nov"
    is_today: bool
    times: SafeString  # the <li> items, or "" for a day with nothing open
    count: int


@dataclass(frozen=True)
class Week:
    monday: date
    heading: str  # "23 November 2026"
    days: list[WeekDay]
    prev_monday: date | None  # None: this week is the first that can be booked
    next_monday: date | None  # None: the next week is past the booking horizon


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def open_week(
    service: Service,
    *,
    asked: str | None,
    now: datetime,
    practitioner: Practitioner | None,
    exclude_booking_id: int | None = None,
) -> tuple[date, list[Slot]]:
    """The Monday to show and that week's open times.

    ``asked`` is the ``week`` the page was asked for (a date in it); without one, a
    week with nothing open gives way to the week of the next open time.
    """
    tz = service.clinic.tz
    today = now.astimezone(tz).date()
    monday = max(parse_week(asked, today), monday_of(today))

    def open_times(first: date, last: date) -> list[Slot]:
        if exclude_booking_id is None:
            return cached_open_slots(service, first, last, now=now, practitioner=practitioner)
        # Moving a visit frees its own place, which no cached week knows about.
        return find_open_slots(
            service,
            first,
            last,
            now=now,
            practitioner=practitioner,
            exclude_booking_id=exclude_booking_id,
        )

    sunday = monday + timedelta(days=6)
    slots = open_times(monday, sunday)
    if not slots and not asked:
        later = open_times(sunday, today + timedelta(days=service.clinic.booking_horizon_days))
        if later:
            monday = monday_of(later[0].starts_at.astimezone(tz).date())
            sunday = monday + timedelta(days=6)
            slots = [s for s in later if s.starts_at.astimezone(tz).date() <= sunday]
    return monday, slots


_TIME_ITEM = '<li><a class="slot" data-start="{}" href="{}{}"><strong>{}</strong>{}</a></li>'


def _time_item(slot: Slot, tz: ZoneInfo, link: str, who: str | None) -> tuple[object, ...]:
    starts = slot.starts_at.isoformat()
    if slot.places_left is not None:
        plural = "" if slot.places_left == 1 else "s"
        note = format_html(
            '<span class="small">{} recliner{} left</span>', slot.places_left, plural
        )
    elif who:
        note = format_html('<span class="small">{}</span>', who)
    else:
        note = SafeString("")
    return (
        starts,
        link,
        quote(starts, safe=""),
        slot.starts_at.astimezone(tz).strftime("%H:%M"),
        note,
    )


def build_week(
    slots: Sequence[Slot],
    *,
    monday: date,
    today: date,
    horizon_end: date,
    tz: ZoneInfo,
    link: str,
    names: dict[int, str] | None,
) -> Week:
    """The week starting ``monday``, each open time linking to ``link`` + its start.

    ``link`` ends with ``start=`` left open; ``names`` (practitioner id to name) labels each
    private time with who it is with, for "any practitioner"; None leaves them unlabelled.
    """
    by_day = slots_by_day(slots, tz)
    days = []
    for offset in range(7):
        day = monday + timedelta(days=offset)
        open_times = by_day.get(day, [])
        items = (
            _time_item(slot, tz, link, names.get(slot.practitioner_id) if names else None)
            for slot in open_times
        )
        days.append(
            WeekDay(
                day=day,
                weekday=day.strftime("%A"),
                label=f"{day.day} {day:%b}",
                is_today=day == today,
                times=format_html_join(
                    "\n",
                    _TIME_ITEM,
                    items,
                ),
                count=len(open_times),
            )
        )
    next_monday = monday + timedelta(days=7)
    return Week(
        monday=monday,
        heading=f"{monday.day} {monday:%B %Y}",
        days=days,
        prev_monday=monday - timedelta(days=7) if monday > today else None,
        next_monday=next_monday if next_monday <= horizon_end else None,
    )
