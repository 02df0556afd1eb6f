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

import zlib
from dataclasses import fields
from datetime import UTC, date, datetime, timedelta
from functools import cache as cache_once

import django
from django.db.models import prefetch_related_objects

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
from booking.models import MultibedShift, Practitioner, Room, Service
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


@cache_once
def _shape() -> str:
    """A fingerprint of what the pickled entries are made of, in their keys, so code deployed
    with another shape of ``Schedule`` or of these models never unpickles old entries."""
    parts = [django.get_version(), *(f.name for f in fields(Schedule))]
    for model in (Service, Clinic, Practitioner, MultibedShift, Room):
        parts += [model.__name__, *(f.attname for f in model._meta.concrete_fields)]
    return f"{zlib.crc32(' '.join(parts).encode()):08x}"


def cached_bookable_service(slug: str) -> Service:
    """``get_bookable_service`` for pages that only read: the service with its clinic and
    practitioners loaded, kept under the diary version (their saves bump it, bookings not)."""

    def load() -> Service:
        service = get_bookable_service(slug)  # 404 for an unknown or inactive service
        prefetch_related_objects([service], "practitioners")
        return service

    return cached_under(
        f"service:{_shape()}:{slug}", load, versions=[DIARY_KEY], timeout=TTL_SECONDS
    )


def _cached_diary(
    service: Service, first: date, last: date, *, who: int | str, practitioner: Practitioner | None
) -> Schedule:
    """``load_diary``, kept under the diary version: after a booking only the bookings are
    read again."""
    return cached_under(
        f"diary:{_shape()}:{service.pk}:{who}:{first.isoformat()}:{last.isoformat()}",
        lambda: load_diary(service, first, last, practitioner=practitioner),
        versions=[DIARY_KEY],
        timeout=TTL_SECONDS,
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
