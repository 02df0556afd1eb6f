"""A calendar page's grid, computed once per booking/schedule change and kept in the cache.

What is cached depends only on rows that bump ``booking.cache_version`` after they commit
(bookings, including bulk ``update()`` of the fields the grid shows; hours, exceptions,
time off, shifts, services, rooms, practitioners, the clinic): the laid-out grid as HTML
pieces, the visits' plain facts and each patient's first treatment. Each entry carries the
version it was computed under and is used only while that version is current.

What other apps write (flags, intake, payments, check-ins) and treatment records are read
fresh on every request, a fixed handful of queries for the visible visits, so those badges
cannot go stale whoever writes them and however.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from django.core.cache import cache
from django.utils.safestring import SafeString

from booking.cache_version import VERSION_KEY, current_version
from booking.models import Practitioner
from portal.models import Clinic, User
from practice.calendar import build_grid, load_calendar
from practice.calendar_html import Markup, fill, grid_markup
from practice.glance import VisitFacts, first_treatments, glance_for

# Also expire, so what does not bump the version (a patient renaming themself, a raw SQL
# fix) shows within minutes.
TTL_SECONDS = 5 * 60

_T = TypeVar("_T")


@dataclass(frozen=True)
class CachedGrid:
    markup: Markup
    visits: list[VisitFacts]
    first_kept: dict[int, datetime]
    visit_count: int


def _versioned(key: str, compute: Callable[[], _T]) -> _T:
    """The value under ``key`` while the version it was computed under is current; else
    computed now and stored. One cache round trip when it is there."""
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    if version is None:
        version = current_version()
    entry = found.get(key)
    if entry is not None and entry[0] == version:
        value: _T = entry[1]
        return value
    # The version was read before the rows: a write landing in between bumps it past the
    # one this entry is filed under, so the entry is never used after that write.
    value = compute()
    cache.set(key, (version, value), timeout=TTL_SECONDS)
    return value


def clinic_and_team(user: User) -> tuple[Clinic, list[Practitioner]]:
    """The user's clinic and its practitioners (both bump the version when saved)."""

    def compute() -> tuple[Clinic, list[Practitioner]]:
        clinic = user.clinic or Clinic.objects.current()
        return clinic, list(Practitioner.objects.filter(clinic=clinic))

    return _versioned(f"practice:team:{user.clinic_id}", compute)


def cache_key(
    clinic: Clinic,
    practitioners: list[Practitioner],
    first: date,
    last: date,
    *,
    by: str,
    chosen: str,
    today: date,
) -> str:
    """One entry per page as drawn: whose, which dates, laid out how, and which day is today."""
    ids = ",".join(str(p.pk) for p in practitioners)
    return (
        f"practice:grid:{clinic.pk}:{by}:{chosen}:{ids}:"
        f"{first.isoformat()}:{last.isoformat()}:{today.isoformat()}"
    )


def cached_grid(
    clinic: Clinic,
    first: date,
    last: date,
    *,
    practitioners: list[Practitioner],
    now: datetime,
    by: str,
    chosen: str,
) -> CachedGrid:
    """The grid for these dates and people, from the cache while no booking or schedule row
    has changed since it was computed."""
    key = cache_key(
        clinic,
        practitioners,
        first,
        last,
        by=by,
        chosen=chosen,
        today=now.astimezone(clinic.tz).date(),
    )

    def compute() -> CachedGrid:
        data = load_calendar(clinic, first, last, practitioners=practitioners, now=now)
        grid = build_grid(data, by=by)
        shown = [e.booking for c in grid.columns for e in c.visits if e.booking is not None]
        return CachedGrid(
            markup=grid_markup(grid, head=by, chosen=chosen),
            visits=[VisitFacts.of(b) for b in shown],
            first_kept=first_treatments(b.patient_id for b in shown) if shown else {},
            visit_count=len(shown),
        )

    return _versioned(key, compute)


def draw(grid: CachedGrid, *, now: datetime) -> SafeString:
    """The grid's HTML with the live badges: flags, intake, payments, check-ins and missing
    treatment records, read now in one query."""
    return fill(grid.markup, glance=glance_for(grid.visits, first_kept=grid.first_kept, now=now))
