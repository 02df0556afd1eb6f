"""Numbers that change whenever availability may have changed.

``VERSION_KEY`` changes with anything open times are computed from; ``DIARY_KEY``
with everything but bookings (hours, exceptions, time off, shifts, rooms, services,
practitioners, the clinic), so a busy day's stream of bookings does not throw
away the practitioners' diaries with the open times.

Model saves and deletes bump them through ``booking.signals``; bulk writes
(``update``, ``bulk_create``) skip signals, so the booking querysets bump them
themselves. A bump waits for the commit: a reader that sees the new number
also sees the new rows.

The cache is only ever a copy of the database, so an outage of it costs speed, never a page:
reads fall back to computing, writes and bumps are logged and dropped (``CACHE_ERRORS``).
A bump lost that way leaves entries up to their TTL old; they can show a time that was just
taken, which booking refuses under its locks, never an overbooking.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from functools import partial
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import models, transaction
from redis.exceptions import RedisError

VERSION_KEY = "availability:version"
DIARY_KEY = "availability:diary"

# What a cache that cannot be reached raises: Redis's own errors, or OSError (the file cache).
CACHE_ERRORS = (RedisError, OSError)

log = logging.getLogger(__name__)

_M = TypeVar("_M", bound=models.Model)
_T = TypeVar("_T")


def current_version(key: str = VERSION_KEY) -> int:
    version = cache.get(key)
    if version is None:
        # A fresh, never-used number, so entries written under an evicted version stay unread.
        cache.add(key, time.time_ns(), timeout=None)
        version = cache.get(key, 0)
    return int(version)


def read_many(keys: Sequence[str]) -> dict[str, Any] | None:
    """``cache.get_many``, or None when the cache cannot be reached (the caller computes)."""
    try:
        return cache.get_many(keys)
    except CACHE_ERRORS as exc:
        log.warning("cache unreachable, computing instead: %s", exc)
        return None


def write_many(entries: dict[str, Any], *, timeout: int) -> None:
    """``cache.set_many``, dropped with a log line when the cache cannot be reached."""
    try:
        cache.set_many(entries, timeout=timeout)
    except CACHE_ERRORS as exc:
        log.warning("cache unreachable, not storing: %s", exc)


def _bump(key: str) -> None:
    # Runs after the commit: an unreachable cache must not turn a done booking into an error.
    try:
        try:
            cache.incr(key)
        except ValueError:  # evicted or never set
            cache.set(key, time.time_ns(), timeout=None)
    except CACHE_ERRORS as exc:
        log.warning("cache unreachable, %s not moved on: %s", key, exc)


def _bump_all() -> None:
    # The diary first: a reader takes VERSION_KEY, then DIARY_KEY, so it can never pair
    # the new open-times version with a diary filed under the old diary version.
    _bump(DIARY_KEY)
    _bump(VERSION_KEY)


def bump_on_commit(key: str) -> None:
    """Move the version at ``key`` on once the current transaction commits."""
    transaction.on_commit(partial(_bump, key))


def cached_under(
    key: str,
    compute: Callable[[], _T],
    *,
    versions: Sequence[str],
    timeout: int,
    usable: Callable[[_T], bool] | None = None,
) -> _T:
    """The value stored at ``key`` while every one of ``versions`` is as it was when it was
    stored (and ``usable`` accepts it); otherwise ``compute()``, stored under them.

    The versions come in the same round trip as the entry, and are read before
    ``compute`` reads the database: a write landing in between moves a version past the
    stamp the new entry is filed under, so that entry is never used after the write.
    """
    found = read_many([*versions, key])
    if found is None:
        return compute()
    stamp = tuple(current_version(v) if found.get(v) is None else int(found[v]) for v in versions)
    entry = found.get(key)
    if entry is not None and entry[0] == stamp:
        value: _T = entry[1]
        if usable is None or usable(value):
            return value
    value = compute()
    write_many({key: (stamp, value)}, timeout=timeout)
    return value


def invalidate(*, diary: bool = True) -> None:
    """Forget every cached open time once the current transaction commits; ``diary=False``
    (a booking) keeps the cached diaries, which bookings are not part of."""
    if diary:
        transaction.on_commit(_bump_all)
    else:
        bump_on_commit(VERSION_KEY)


class AvailabilityQuerySet(models.QuerySet[_M]):
    """A queryset whose bulk writes forget cached open times.

    ``watched`` names the fields that matter; empty means any change does.
    """

    watched: frozenset[str] = frozenset()
    in_diary = True  # whether these rows are part of the practitioners' diaries

    def update(self, **kwargs: Any) -> int:
        rows = super().update(**kwargs)
        if rows and (not self.watched or self.watched & kwargs.keys()):
            invalidate(diary=self.in_diary)
        return rows

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[_M]:
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            invalidate(diary=self.in_diary)
        return created

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        if rows and (not self.watched or self.watched & set(fields)):
            invalidate(diary=self.in_diary)
        return rows


class BookingQuerySet(AvailabilityQuerySet[Any]):
    in_diary = False
    # Only what moves someone's open times: notes, arrival and price do not.
    watched = frozenset(
        {
            "status",
            "starts_at",
            "ends_at",
            "blocked_from",
            "blocked_until",
            "practitioner",
            "practitioner_id",
            "room",
            "room_id",
            "service",
            "service_id",
        }
    )
