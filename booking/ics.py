"""Calendar files (.ics) for a booking, so patients can add the visit to their calendar.

A visit keeps one calendar identity however often it moves: the moved booking carries the
first booking's UID (``Booking.calendar_uid``) and a higher SEQUENCE, so calendar apps update
the event they already have instead of adding a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

from booking.models import Booking, BookingStatus


def calendar_uid(booking: Booking) -> str:
    """The UID of the visit's calendar event (the first booking's, for a moved visit)."""
    return booking.calendar_uid or f"booking-{booking.pk}-{booking.request_key}@acupuncture-portal"


def calendar_sequence(booking: Booking) -> int:
    """The event's SEQUENCE: one more per move, and one more again once it is cancelled."""
    cancelled = booking.status != BookingStatus.CONFIRMED
    return booking.calendar_sequence + (1 if cancelled else 0)


def booking_ics(booking: Booking) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Acupuncture clinic portal//EN")
    cal.add("version", "2.0")
    cancelled = booking.status != BookingStatus.CONFIRMED
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    # A stable UID lets calendar apps update or remove the same event later.
    event.add("uid", calendar_uid(booking))
    event.add("sequence", calendar_sequence(booking))
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", f"{booking.service.name} at {booking.clinic.name}")
    event.add("location", booking.clinic.address.replace("\n", ", "))
    event.add("description", f"With {booking.practitioner.display_name}.")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()
