"""A practitioner's private iCal feed: times, service and patient initials, nothing clinical.

Calendar apps fetch it every few hours from outside the clinic, so it says no more than
a paper diary left on a desk would: no names, no notes, no health data.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db.models import F
from icalendar import Calendar, Event

from booking.ics import calendar_uid
from booking.models import ACTIVE_STATUSES, Booking, Practitioner
from portal.models import Role, User
from practice.models import CalendarFeed

PAST = timedelta(days=30)
AHEAD = timedelta(days=120)


def initials(person: User) -> str:
    """ "Alex Morgan" -> "A.M."; falls back to the first letter of the email."""
    letters = [part[0].upper() for part in (person.first_name, person.last_name) if part]
    if not letters:
        letters = [person.email[:1].upper()]
    return "".join(f"{letter}." for letter in letters)


def live_feed(token: str) -> CalendarFeed | None:
    """The feed at this secret address while its practitioner is still on the team: an
    active account with the practitioner role, the one the address was made for. A
    deactivated account, one moved to another role, or a profile handed to another account
    has no feed (the address lives on in a phone's calendar app)."""
    return (
        CalendarFeed.objects.filter(
            token=token,
            made_for=F("practitioner__user"),
            practitioner__user__is_active=True,
            practitioner__user__role=Role.PRACTITIONER,
        )
        .select_related("practitioner")
        .first()
    )


def feed_bookings(practitioner: Practitioner, now: datetime) -> list[Booking]:
    return list(
        Booking.objects.filter(
            practitioner=practitioner,
            status__in=ACTIVE_STATUSES,
            starts_at__gte=now - PAST,
            starts_at__lt=now + AHEAD,
        )
        .select_related("patient", "service", "room", "clinic")
        .order_by("starts_at")
    )


def practitioner_feed(practitioner: Practitioner, *, now: datetime) -> bytes:
    """The .ics body for the practitioner's subscription."""
    cal = Calendar()
    cal.add("prodid", "-//Acupuncture clinic portal//practitioner feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{practitioner.display_name}: clinic bookings")
    # Ask subscribers to refresh hourly; most apps treat this as a hint.
    cal.add("refresh-interval;value=duration", "PT1H")
    for booking in feed_bookings(practitioner, now):
        event = Event()
        # The patient's calendar file's UID and sequence: a moved visit updates its event.
        event.add("uid", calendar_uid(booking))
        event.add("sequence", booking.calendar_sequence)
        event.add("dtstamp", now.astimezone(UTC))
        event.add("dtstart", booking.starts_at.astimezone(UTC))
        event.add("dtend", booking.ends_at.astimezone(UTC))
        where = f" ({booking.room.name})" if booking.room else ""
        event.add("summary", f"{initials(booking.patient)} · {booking.service.name}{where}")
        event.add("location", booking.clinic.name)
        event.add("status", "CONFIRMED")
        cal.add_component(event)
    return cal.to_ical()
