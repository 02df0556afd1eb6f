"""One number that changes whenever availability may have changed.

Model saves and deletes bump it through ``booking.signals``; bulk writes
(``update``, ``bulk_create``) skip signals, so the booking querysets bump it
themselves. The bump waits for the commit: a reader that sees the new number
also sees the new rows.
"""

from __future__ import annotations

import time
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import models, transaction

VERSION_KEY = "availability:version"

_M = TypeVar("_M", bound=models.Model)


def current_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh, never-used number, so entries written under an evicted version stay unread.
        cache.add(VERSION_KEY, time.time_ns(), timeout=None)
        version = cache.get(VERSION_KEY, 0)
    return int(version)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # evicted or never set
        cache.set(VERSION_KEY, time.time_ns(), timeout=None)


def invalidate() -> None:
    """Forget every cached open time once the current transaction commits."""
    transaction.on_commit(_bump)


class AvailabilityQuerySet(models.QuerySet[_M]):
    """A queryset whose bulk writes forget cached open times.

    ``watched`` names the fields that matter; empty means any change does.
    """

    watched: frozenset[str] = frozenset()

    def update(self, **kwargs: Any) -> int:
        rows = super().update(**kwargs)
        if rows and (not self.watched or self.watched & kwargs.keys()):
            invalidate()
        return rows

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[_M]:
        created = super().bulk_create(objs, *args, **kwargs)
        if created:
            invalidate()
        return created

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> int:
        rows = super().bulk_update(objs, fields, *args, **kwargs)
        if rows and (not self.watched or self.watched & set(fields)):
            invalidate()
        return rows


class BookingQuerySet(AvailabilityQuerySet[Any]):
    # Sent-email stamps and notes do not move anyone's time.
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
