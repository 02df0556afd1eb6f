"""Reading and checking what the booking pages send."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django import forms

from booking.models import Practitioner
from portal.forms import FriendlyForm
from portal.params import EARLIEST, LATEST, parse_date, parse_id


def parse_week(value: str | None, today: date) -> date:
    """The Monday of the requested week (this week for missing or malformed input)."""
    day = parse_date(value) or today
    return day - timedelta(days=day.weekday())


def parse_start(value: str | None) -> datetime | None:
    """An aware UTC instant from the slot's ISO value, or None if it is not one."""
    if not value or not value.isascii():
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or not EARLIEST <= parsed.date() <= LATEST:
        return None
    return parsed.astimezone(UTC)


def parse_practitioner(
    offering: Iterable[Practitioner], value: str | int | None
) -> Practitioner | None:
    """The chosen practitioner if bookable among ``offering`` (who offers the service); None
    for "any" or a bad value."""
    wanted = value if isinstance(value, int) else parse_id(value)
    if wanted is None:
        return None
    return next((p for p in offering if p.pk == wanted and p.is_bookable), None)


class _IdField(forms.Field):
    """A database id, or None for anything else: a bad value is "not given", never an error."""

    def to_python(self, value: Any) -> int | None:
        return parse_id(value) if isinstance(value, str) else None


class _IdOrAnyField(forms.Field):
    """A practitioner choice: an id, "any" (whoever is free), or None when not given."""

    def to_python(self, value: Any) -> int | str | None:
        if value == "any":
            return "any"
        return parse_id(value) if isinstance(value, str) else None


class _DateField(forms.Field):
    def to_python(self, value: Any) -> date | None:
        return parse_date(value) if isinstance(value, str) else None


class _StartField(forms.Field):
    def to_python(self, value: Any) -> datetime | None:
        return parse_start(value) if isinstance(value, str) else None


class BookingQueryForm(FriendlyForm):
    """The booking pages' query string: for whom (``for``), with whom (``with``, or the
    ``practitioner`` of a chosen time), which ``week``, which ``start``, what is moved
    (``reschedule``). Lenient by design: a malformed value reads as not given, and each page
    says what that means (everyone's times, this week, "pick a time again")."""

    # Built in __init__: "for" and "with" are Python keywords, so not class attributes.
    def __init__(self, data: Any) -> None:
        super().__init__(data)
        self.fields.update(
            {
                "for": _IdField(required=False),
                "with": _IdOrAnyField(required=False),
                "practitioner": _IdOrAnyField(required=False),
                "reschedule": _IdField(required=False),
                "week": _DateField(required=False),
                "start": _StartField(required=False),
            }
        )
        self.full_clean()

    def get(self, name: str) -> Any:
        """The cleaned value of ``name``; None when it was missing or malformed."""
        return self.cleaned_data.get(name)


class ConfirmBookingForm(FriendlyForm):
    """The confirm page's POST: the slot chosen, and a key that makes a resubmit harmless."""

    start = forms.CharField(widget=forms.HiddenInput)
    practitioner = forms.CharField(widget=forms.HiddenInput, required=False)
    request_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_start(self) -> datetime:
        start = parse_start(self.cleaned_data["start"])
        if start is None:
            raise forms.ValidationError("That time could not be read. Please pick a time again.")
        return start


class PatientSearchForm(FriendlyForm):
    """The front desk's caller search (GET): a name, email or phone fragment."""

    q = forms.CharField(
        required=False,
        max_length=100,
        label="Name, email or phone",
        error_messages={
            "null_characters_not_allowed": "We could not search for that: it holds a character "
            "that is not part of a name, email or phone number. Please type it again.",
            "max_length": "We could not search for that: please type at most 100 characters.",
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "%s")  # the page's input is id="q"
        super().__init__(*args, **kwargs)

    def search_text(self) -> str:
        """The text to look for; "" when there is none or it could not be read."""
        return self.cleaned_data.get("q", "") if self.is_valid() else ""
