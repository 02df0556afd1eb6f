"""Calendar files (.ics) for a booking, so patients can add the visit to their calendar."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

from booking.models import Booking, BookingStatus


def booking_ics(booking: Booking) -> bytes:
    cal = Calendar()
    cal.add("prodid", "-//Acupuncture clinic portal//EN")
    cal.add("version", "2.0")
    cancelled = booking.status != BookingStatus.CONFIRMED
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    # A stable UID lets calendar apps update or remove the same event later.
    event.add("uid", f"booking-{booking.pk}-{booking.request_key}@acupuncture-portal")
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", booking.starts_at.astimezone(UTC))
    event.add("dtend", booking.ends_at.astimezone(UTC))
    event.add("summary", f"{booking.service.name} at {booking.clinic.name}")
    event.add("location", booking.clinic.address.replace("\n", ", "))
    event.add("description", f"With {booking.practitioner.display_name}.")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    cal.add_component(event)
    return cal.to_ical()
