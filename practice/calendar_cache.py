"""A calendar page as drawn, computed once per booking/schedule change and kept in the cache.

What is cached depends only on rows that bump ``booking.cache_version`` after they commit
(bookings, including bulk ``update()`` of the fields the grid shows; hours, exceptions,
time off, shifts, services, rooms, practitioners, the clinic) or the patients' names, which
bump this module's ``PEOPLE_KEY``: the page body (toolbar and laid-out grid) as HTML pieces,
the visits' plain facts and each patient's first treatment. Each entry carries the versions
it was computed under and is used only while both are current, and only on the clinic date
it was drawn on (the grid marks today).

What other apps write (flags, intake, payments, check-ins) and treatment records are read
fresh on every request, one query for the visible visits, so those badges cannot go stale
whoever writes them and however.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.utils.safestring import SafeString

from booking.cache_version import VERSION_KEY, bump_on_commit, cached_under, current_version
from booking.models import Practitioner
from portal.models import Clinic
from practice.calendar import build_grid, load_calendar
from practice.calendar_html import Markup, fill, grid_markup
from practice.glance import VisitFacts, first_treatments, glance_for

# Also expire, so what bumps no version (a bulk rename, a raw SQL fix) shows within minutes.
TTL_SECONDS = 5 * 60
# In every key: an entry pickled by an older shape of ``CalendarPage`` is never read.
SHAPE = 3
# Bumped when a patient's name or email (what a visit is labelled with) may have changed.
PEOPLE_KEY = "practice:people:version"


@dataclass(frozen=True)
class CalendarPage:
    """A calendar page but for its live badges: the body as HTML pieces with badge slots."""

    clinic: Clinic
    today: date  # the clinic's date when drawn: the grid marks it
    first: date
    markup: Markup
    visits: list[VisitFacts]
    first_kept: dict[int, datetime]


@dataclass(frozen=True)
class GridPieces:
    markup: Markup
    visits: list[VisitFacts]
    first_kept: dict[int, datetime]


def people_version() -> int:
    return current_version(PEOPLE_KEY)


def people_changed() -> None:
    """Forget cached calendar pages once the current transaction commits (a patient was
    renamed); open times cached under ``booking.cache_version`` stay."""
    bump_on_commit(PEOPLE_KEY)


def page_key(
    *, clinic_id: int | None, view: str, role: str, who: str, requested: date | None
) -> str:
    """One entry per page as asked for: whose (``who``: a practitioner user, or the staff's
    choice), which view and date (``None``: relative to today), seen in which role."""
    when = requested.isoformat() if requested is not None else "today"
    return f"practice:page:{SHAPE}:{clinic_id or 'current'}:{view}:{role}:{who}:{when}"


def cached_page(key: str, compute: Callable[[], CalendarPage], *, now: datetime) -> CalendarPage:
    """The page under ``key`` while nothing it shows has changed and its day is still today;
    else computed now and stored. One cache round trip when it is there."""
    return cached_under(
        key,
        compute,
        versions=[VERSION_KEY, PEOPLE_KEY],
        timeout=TTL_SECONDS,
        # The grid marks today: a page drawn yesterday is redrawn.
        usable=lambda page: now.astimezone(page.clinic.tz).date() == page.today,
    )


def grid_pieces(
    clinic: Clinic,
    first: date,
    last: date,
    *,
    practitioners: list[Practitioner],
    now: datetime,
    by: str,
    chosen: str,
) -> GridPieces:
    """The grid for these dates and people as HTML pieces, with what its badges need."""
    data = load_calendar(clinic, first, last, practitioners=practitioners, now=now)
    grid = build_grid(data, by=by)
    shown = [e.booking for c in grid.columns for e in c.visits if e.booking is not None]
    return GridPieces(
        markup=grid_markup(grid, head=by, chosen=chosen),
        visits=[VisitFacts.of(b) for b in shown],
        first_kept=first_treatments(b.patient_id for b in shown) if shown else {},
    )


def draw(page: CalendarPage, *, now: datetime, viewer: Any = None) -> SafeString:
    """The page body's HTML with the live badges: flags (only on patients ``viewer`` may
    read), intake, payments, check-ins and missing treatment records, read now."""
    return fill(
        page.markup,
        glance=glance_for(page.visits, first_kept=page.first_kept, now=now, viewer=viewer),
    )
