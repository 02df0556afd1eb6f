"""Weekly hours as people write them: "Mon-Fri 09:00-12:30, 13:30-17:30"."""

from __future__ import annotations

import re
from datetime import time
from typing import Any

from booking.models import Weekday
from practice.clinic_setup.reader import Reader
from practice.clinic_setup.spec import Hours, SetupError

DAYS = {day.label[:3].lower(): int(day.value) for day in Weekday}
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


def parse_hours(lines: Any, where: str, reader: Reader | None = None) -> list[Hours]:
    """Weekly hours written as people write them: "Mon-Fri 09:00-12:30, 13:30-17:30".

    Problems go to ``reader``; without one, ``SetupError`` names them all.
    """
    own = reader or Reader()
    if isinstance(lines, str):
        lines = [lines]
    found: list[Hours] = []
    if not isinstance(lines, list):
        own.fail(where, 'should be a list such as ["Mon-Fri 09:00-12:30, 13:30-17:30"]')
    else:
        for n, line in enumerate(lines):
            _read_line(str(line).strip(), f"{where}[{n}]", found, own)
    if reader is None and own.problems:
        raise SetupError(own.problems)
    return found


def _read_line(line: str, where: str, found: list[Hours], r: Reader) -> None:
    """Add one line's hours to ``found``, refusing a range that overlaps hours already there."""
    days_part, _, ranges_part = line.partition(" ")
    days = _parse_days(days_part)
    if days is None:
        r.fail(where, f"{line!r} should start with days such as Mon-Fri or Tue,Thu")
        return
    for piece in (p.strip() for p in ranges_part.split(",")):
        try:
            start, end = _parse_range(piece)
        except ValueError as exc:
            r.fail(where, str(exc))
            continue
        for day in days:
            if any(h.weekday == day and h.start < end and start < h.end for h in found):
                r.fail(where, f"{piece!r} overlaps other hours on that day")
                break
            found.append(Hours(day, start, end))


def _parse_days(text: str) -> list[int] | None:
    days: list[int] = []
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        if first[:3] not in DAYS or (last and last[:3] not in DAYS):
            return None
        a, b = DAYS[first[:3]], DAYS[last[:3]] if last else DAYS[first[:3]]
        if b < a:
            return None
        days.extend(range(a, b + 1))
    return days


def _parse_range(piece: str) -> tuple[time, time]:
    """ "09:00-12:30" as its start and end; ValueError says what is wrong."""
    match = _RANGE.match(piece)
    if match is None:
        raise ValueError(f"{piece!r} is not a time range such as 09:00-12:30")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
        raise ValueError(f"{piece!r} is not a time of day")
    start, end = time(h1, m1), time(h2, m2)
    if end <= start:
        raise ValueError(f"{piece!r} ends before it starts")
    return start, end
