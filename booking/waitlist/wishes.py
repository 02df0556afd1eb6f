"""What a waiting person asked for: days of the week and parts of the day."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from booking.availability import Policy, Slot, day_slots, load_diary, within_policy
from booking.models import Practitioner, Service
from booking.waitlist_models import DayPart, WaitlistEntry

AFTERNOON_FROM = time(12)
EVENING_FROM = time(17)

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def day_part(at: time) -> DayPart:
    """The part of the day a local time falls in."""
    if at < AFTERNOON_FROM:
        return DayPart.MORNING
    if at < EVENING_FROM:
        return DayPart.AFTERNOON
    return DayPart.EVENING


def in_day_order(parts: Iterable[str]) -> list[str]:
    """The known parts of the day among ``parts``, morning first, each once."""
    wanted = set(parts)
    return [p for p in DayPart.values if p in wanted]


def matches(entry: WaitlistEntry, slot: Slot, tz: ZoneInfo) -> bool:
    """Whether ``slot`` is a time ``entry`` asked for."""
    local = slot.starts_at.astimezone(tz)
    if entry.practitioner_id is not None and entry.practitioner_id != slot.practitioner_id:
        return False
    if entry.until is not None and local.date() > entry.until:
        return False
    return local.weekday() in entry.weekdays and day_part(local.time()) in entry.day_parts


def wishes_text(entry: WaitlistEntry) -> str:
    """ "Tuesday or Thursday, mornings" for pages and emails."""
    return _days_and_parts(entry.weekdays, entry.day_parts)


def _days_and_parts(weekdays: Iterable[int], parts: Iterable[str]) -> str:
    days = [_DAY_NAMES[d] for d in sorted(weekdays)]
    words = [DayPart(p).label.split(" (")[0].lower() for p in in_day_order(parts)]
    return f"{_or(days)}, {_or(words)}"


def session_times(
    service: Service,
    first: date,
    last: date,
    *,
    now: datetime,
    practitioner: Practitioner | None = None,
) -> set[tuple[int, str]]:
    """The (weekday, part of the day) pairs ``service`` has sessions in between two clinic
    dates, booked or not: the only wishes a freed place could ever match."""
    diary = load_diary(service, first, last, practitioner=practitioner)
    sessions = (slot for slots in day_slots(diary, first, last).values() for slot in slots)
    tz = service.clinic.tz
    return {
        (local.weekday(), day_part(local.time()))
        for local in (
            slot.starts_at.astimezone(tz)
            for slot in within_policy(sessions, now=now, policy=Policy.for_clinic(service.clinic))
        )
    }


def session_times_text(times: set[tuple[int, str]]) -> str:
    """ "Tuesday or Thursday, evenings" (groups joined by "; ") for a refusal."""
    parts_by_day: dict[int, set[str]] = defaultdict(set)
    for weekday, part in times:
        parts_by_day[weekday].add(part)
    days_by_parts: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for weekday, parts in sorted(parts_by_day.items()):
        days_by_parts[tuple(in_day_order(parts))].append(weekday)
    return "; ".join(_days_and_parts(days, parts) for parts, days in days_by_parts.items())


def _or(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


def runs_text(service: Service, *, weeks: int, now: datetime) -> str:
    """When ``service`` has sessions over the next ``weeks``, in words, so a patient joining
    picks days it runs on ("" when no hours are set yet)."""
    today = now.astimezone(service.clinic.tz).date()
    last = today + timedelta(weeks=weeks)
    return session_times_text(session_times(service, today, last, now=now))


def never_offered(entry: WaitlistEntry, *, now: datetime) -> str | None:
    """When none of ``entry``'s days and times has a session of its service before its end
    date: the sessions there are, in words (else None). Said to whoever joins, who would
    otherwise wait weeks for an offer that cannot come; a diary with no sessions at all in
    that time (hours not set yet) says nothing."""
    today = now.astimezone(entry.service.clinic.tz).date()
    last = entry.until or today
    times = session_times(entry.service, today, last, now=now, practitioner=entry.practitioner)
    wished = {(day, part) for day in entry.weekdays for part in entry.day_parts}
    if not times or wished & times:
        return None
    return session_times_text(times)
