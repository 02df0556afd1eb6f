"""Saves that change what a cached calendar shows but bump no availability version."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from portal.models import User
from practice.calendar_cache import people_changed

# What a visit on the calendar is labelled with (``practice.calendar._patient_label``).
LABEL_FIELDS = frozenset({"first_name", "last_name", "email"})


def _user_saved(
    instance: User, created: bool, update_fields: frozenset[str] | None, **kwargs: Any
) -> None:
    # A new account is on no calendar yet; a sign-in saves last_login alone.
    if created or (update_fields is not None and not LABEL_FIELDS & update_fields):
        return
    people_changed()


def connect() -> None:
    post_save.connect(_user_saved, sender=User, dispatch_uid="practice-user-renamed")
