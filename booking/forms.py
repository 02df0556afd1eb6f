"""Reading and checking what the booking pages send."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from django import forms

from booking.models import Practitioner, Service

# Dates outside these are garbage, not visits; refusing them keeps the date
# arithmetic done with them (a visit's end, the days around a week) from overflowing.
EARLIEST = date(1900, 1, 1)
LATEST = date(9000, 1, 1)


def parse_week(value: str | None, today: date) -> date:
    """The Monday of the requested week (this week for missing or malformed input)."""
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    if not EARLIEST <= day <= LATEST:
        day = today
    return day - timedelta(days=day.weekday())


def parse_start(value: str | None) -> datetime | None:
    """An aware UTC instant from the slot's ISO value, or None if it is not one."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None or not EARLIEST <= parsed.date() <= LATEST:
        return None
    return parsed.astimezone(UTC)


def parse_practitioner(service: Service, value: str | None) -> Practitioner | None:
    """The chosen practitioner if they offer ``service``; None for "any" or a bad value."""
    if not value or value == "any" or not value.isdigit():
        return None
    # Through .all(), so a service loaded with its practitioners costs no query.
    wanted = int(value)
    return next((p for p in service.practitioners.all() if p.pk == wanted and p.is_bookable), None)


class ConfirmBookingForm(forms.Form):
    """The confirm page's POST: the slot chosen, and a key that makes a resubmit harmless."""

    start = forms.CharField(widget=forms.HiddenInput)
    practitioner = forms.CharField(widget=forms.HiddenInput, required=False)
    request_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean_start(self) -> datetime:
        start = parse_start(self.cleaned_data["start"])
        if start is None:
            raise forms.ValidationError("That time could not be read. Please pick a time again.")
        return start
