"""What a waiting person asked for: days of the week and parts of the day."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import time
from zoneinfo import ZoneInfo

from booking.availability import Slot
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
    days = [_DAY_NAMES[d] for d in sorted(entry.weekdays)]
    parts = [DayPart(p).label.split(" (")[0].lower() for p in in_day_order(entry.day_parts)]
    return f"{_or(days)}, {_or(parts)}"


def _or(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"
