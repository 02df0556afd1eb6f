"""Open times cached for pages, so a busy week page does not recompute the clinic's diary.

Only pages read this cache: ``booking_create`` always recomputes inside its
transaction, so a stale entry can at worst show a time that turns out to be
"just taken", never overbook. Entries are per service, practitioner choice and
clinic date, before notice and horizon are applied (those depend on the clock).

Every write that can change availability bumps a version number after it
commits (``booking.cache_version``). Each entry carries the version it was
computed under, and a reader uses only entries of the current version; it
takes the version before it reads the database, so it never stores data
older than the version it files it under.

A missing day is computed from the practitioners' diary (hours, exceptions, time
off, shifts), itself cached under the diary version that bookings do not bump,
plus one query for the bookings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

from django.db import models

from booking.availability import (
    Policy,
    Schedule,
    Slot,
    day_slots,
    has_sessions,
    load_diary,
    with_bookings,
    within_policy,
)
from booking.cache_version import (
    DIARY_KEY,
    VERSION_KEY,
    cached_under,
    current_version,
    read_many,
    write_many,
)
from booking.lookups import get_bookable_service
from booking.models import MultibedShift, Practitioner, Service
from portal.models import Clinic

# Entries also expire, so a missed invalidation (a raw SQL fix) heals itself.
TTL_SECONDS = 15 * 60

Packed = tuple[int, int, int, int | None, int | None]


def _pack(slot: Slot) -> Packed:
    return (
        int(slot.starts_at.timestamp()),
        int(slot.ends_at.timestamp()),
        slot.practitioner_id,
        slot.room_id,
        slot.places_left,
    )


def _unpack(packed: Packed) -> Slot:
    starts, ends, practitioner_id, room_id, places_left = packed
    return Slot(
        datetime.fromtimestamp(starts, UTC),
        datetime.fromtimestamp(ends, UTC),
        practitioner_id,
        room_id,
        places_left,
    )


# In the keys of the entries below: change it when what they store changes shape (a key added
# to ``_diary_rows``, say), so a deploy never reads the old shape. Model columns need no such
# care: rows check their own.
LAYOUT = 2

# A model row as plain values: its column names (attnames) and their values. Entries hold rows,
# never pickled model instances, and a row whose columns are not the model's current ones (a
# deploy changed the model) is read as a miss.
Row = tuple[tuple[str, ...], tuple[Any, ...]]


def _row(instance: models.Model) -> Row:
    columns = type(instance)._meta.concrete_fields
    return (
        tuple(f.attname for f in columns),
        tuple(getattr(instance, f.attname) for f in columns),
    )


M = TypeVar("M", bound=models.Model)


def _from_row(model: type[M], row: Row) -> M | None:
    names, values = row
    if names != tuple(f.attname for f in model._meta.concrete_fields):
        return None
    return model.from_db("default", names, values)


@dataclass(frozen=True)
class BookableService:
    """A bookable service for pages that only read it, with its clinic and who offers it."""

    service: Service
    practitioners: list[Practitioner]


def cached_bookable_service(slug: str) -> BookableService:
    """``get_bookable_service`` (404 for an unknown or inactive one) with its clinic and the
    practitioners who take its bookings, kept as rows under the diary version (their saves and
    their accounts' bump it, bookings not)."""

    def load() -> dict[str, Any]:
        service = get_bookable_service(slug)
        return {
            "service": _row(service),
            "clinic": _row(service.clinic),
            "practitioners": [_row(p) for p in service.practitioners.bookable().order_by("pk")],
        }

    rows = cached_under(f"service:{LAYOUT}:{slug}", load, versions=[DIARY_KEY], timeout=TTL_SECONDS)
    bookable = _bookable(rows)
    if bookable is None:  # stored by code with other models
        bookable = _bookable(load())
    assert bookable is not None
    return bookable


def _bookable(rows: dict[str, Any]) -> BookableService | None:
    service = _from_row(Service, rows["service"])
    clinic = _from_row(Clinic, rows["clinic"])
    practitioners = [_from_row(Practitioner, row) for row in rows["practitioners"]]
    if service is None or clinic is None or None in practitioners:
        return None
    service.clinic = clinic
    return BookableService(service, [p for p in practitioners if p is not None])


def _diary_rows(diary: Schedule) -> dict[str, Any]:
    # Everything but the service (the caller has it), its shifts as rows.
    return {
        "practitioner_ids": diary.practitioner_ids,
        "hours": diary.hours,
        "extra": diary.extra,
        "closed": diary.closed,
        "closures": diary.closures,
        "shifts": [_row(shift) for shift in diary.shifts],
        "busy": diary.busy,
        "off": diary.off,
        "rooms": diary.rooms,
    }


def _cached_diary(
    service: Service, first: date, last: date, *, who: int | str, practitioner: Practitioner | None
) -> Schedule:
    """``load_diary``, kept as plain data under the diary version: after a booking only the
    bookings are read again."""

    def load() -> dict[str, Any]:
        return _diary_rows(load_diary(service, first, last, practitioner=practitioner))

    rows = cached_under(
        f"diary:{LAYOUT}:{service.pk}:{who}:{first.isoformat()}:{last.isoformat()}",
        load,
        versions=[DIARY_KEY],
        timeout=TTL_SECONDS,
    )
    shifts = [_from_row(MultibedShift, row) for row in rows["shifts"]]
    if None in shifts:
        rows = load()  # stored by code with another MultibedShift
        shifts = [_from_row(MultibedShift, row) for row in rows["shifts"]]
    return Schedule(
        service=service,
        tz=service.clinic.tz,
        practitioner_ids=rows["practitioner_ids"],
        hours=rows["hours"],
        extra=rows["extra"],
        closed=rows["closed"],
        closures=rows["closures"],
        shifts=[shift for shift in shifts if shift is not None],
        busy=rows["busy"],
        off=rows["off"],
        rooms=rows["rooms"],
    )


def cached_open_slots(
    service: Service,
    first: date,
    last: date,
    *,
    now: datetime,
    practitioner: Practitioner | None = None,
) -> list[Slot]:
    """Open start times between two clinic dates, as ``find_open_slots`` gives, for pages."""
    who = practitioner.pk if practitioner is not None else "any"
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    keys = {day: f"slots:{service.pk}:{who}:{day.isoformat()}" for day in days}
    # The version and the days in one round trip; a day stored under another version is stale.
    found = read_many([VERSION_KEY, *keys.values()])
    reachable = found is not None
    found = found or {}
    version = found.pop(VERSION_KEY, None)
    if version is None and reachable:
        version = current_version()
    fresh: dict[str, list[Packed]] = {
        key: packed for key, (at, packed) in found.items() if at == version
    }
    missing = [day for day in days if keys[day] not in fresh]
    if missing:
        # One computation for the whole gap: the query count does not depend on its length.
        low, high = missing[0], missing[-1]
        diary = _cached_diary(service, low, high, who=who, practitioner=practitioner)
        schedule = with_bookings(diary, low, high)
        computed = {
            keys[day]: [_pack(slot) for slot in slots]
            for day, slots in day_slots(schedule, low, high).items()
        }
        if reachable:
            write_many(
                {key: (version, packed) for key, packed in computed.items()}, timeout=TTL_SECONDS
            )
        fresh.update(computed)
    slots = (_unpack(packed) for day in days for packed in fresh.get(keys[day], []))
    return within_policy(slots, now=now, policy=Policy.for_clinic(service.clinic))


def cached_runs_between(
    service: Service,
    first: date,
    last: date,
    *,
    now: datetime,
    practitioner: Practitioner | None = None,
) -> bool:
    """``has_sessions`` on the diary the week page has just read (cached): a week with no open
    time costs no query to tell "fully booked" from "nothing runs"."""
    who = practitioner.pk if practitioner is not None else "any"
    diary = _cached_diary(service, first, last, who=who, practitioner=practitioner)
    return has_sessions(diary, first, last, now=now)


def cached_closures(
    service: Service,
    first: date,
    last: date,
    *,
    practitioner: Practitioner | None = None,
) -> dict[date, str]:
    """The days between two clinic dates the clinic is closed, with the reason patients are
    shown: read from the diary the week page has just read (cached), so it costs no query."""
    who = practitioner.pk if practitioner is not None else "any"
    diary = _cached_diary(service, first, last, who=who, practitioner=practitioner)
    return {day: reason for day, reason in diary.closures.items() if first <= day <= last}
