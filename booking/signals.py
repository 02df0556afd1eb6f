"""Saves and deletes of anything availability is computed from forget the cached open times."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import m2m_changed, post_delete, post_save

from booking.cache_version import invalidate
from booking.models import (
    Booking,
    ClinicClosure,
    DateException,
    MultibedShift,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WeeklyHours,
)
from portal.models import Clinic, Role, User

SOURCES = (
    Booking,
    Clinic,
    ClinicClosure,
    DateException,
    MultibedShift,
    Practitioner,
    Room,
    Service,
    TimeOff,
    WeeklyHours,
)


def _changed(sender: Any, **kwargs: Any) -> None:
    invalidate(diary=sender is not Booking)


# What a practitioner's account says about their bookability (``PractitionerQuerySet.bookable``).
_ACCOUNT_FIELDS = frozenset({"is_active", "role"})


def _account_changed(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    """A practitioner's account switched off or moved to another role takes no more bookings:
    forget the open times. Any other account, and a sign-in's ``last_login``, leave them."""
    fields = frozenset(update_fields or ())
    if fields & _ACCOUNT_FIELDS or (instance.role == Role.PRACTITIONER and not fields):
        invalidate(diary=True)


def connect() -> None:
    for model in SOURCES:
        post_save.connect(
            _changed, sender=model, dispatch_uid=f"availability-save-{model.__name__}"
        )
        post_delete.connect(
            _changed, sender=model, dispatch_uid=f"availability-delete-{model.__name__}"
        )
    m2m_changed.connect(
        _changed, sender=Service.practitioners.through, dispatch_uid="availability-offers"
    )
    post_save.connect(_account_changed, sender=User, dispatch_uid="availability-accounts")
