"""What happened at a visit: arrived, attended, did not attend, cancelled late.

Used by the practitioner calendar and the front desk. Each change is a
conditional UPDATE, so a second click, or the desk and the practitioner at
once, changes the row once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from booking.models import Booking, BookingStatus
from booking.services import ChangeNotAllowed
from portal.models import User

ATTENDANCE_OUTCOMES = (
    BookingStatus.ATTENDED,
    BookingStatus.NO_SHOW,
    BookingStatus.LATE_CANCELLED,
)


def booking_mark_arrived(*, booking: Booking, by: User, now: datetime | None = None) -> Booking:
    """Note that the patient is in the waiting room (a confirmed visit on its day)."""
    now = now or timezone.now()
    if (
        booking.starts_at.astimezone(booking.clinic.tz).date()
        != now.astimezone(booking.clinic.tz).date()
    ):
        raise ChangeNotAllowed("A patient can only be marked as arrived on the day of the visit.")
    # Conditional UPDATE: a second click (or the desk and the practitioner at once) is a no-op.
    changed = Booking.objects.filter(
        pk=booking.pk, status=BookingStatus.CONFIRMED, arrived_at__isnull=True
    ).update(arrived_at=now)
    if not changed:
        booking.refresh_from_db()
        if booking.status != BookingStatus.CONFIRMED:
            raise ChangeNotAllowed(f"This visit is {booking.get_status_display().lower()}.")
        return booking  # already marked as arrived
    booking.refresh_from_db()
    return booking


def booking_mark_attendance(
    *, booking: Booking, outcome: BookingStatus, by: User, now: datetime | None = None
) -> Booking:
    """Record the visit's outcome: attended, did not attend, or cancelled late by the patient.

    Attended and no-show are only for visits that have started; a late cancellation only
    inside the clinic's cutoff (earlier, an ordinary cancellation applies). Attended and
    no-show can be corrected into each other, a mistaken click being common at a busy desk.
    """
    now = now or timezone.now()
    if outcome not in ATTENDANCE_OUTCOMES:
        raise ValueError(f"{outcome!r} is not an attendance outcome")
    if outcome in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW):
        if booking.starts_at > now:
            raise ChangeNotAllowed(
                "This visit has not started yet, so it cannot be marked as attended or missed."
            )
        allowed_from = [BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW]
        changes: dict[str, object] = {"status": outcome, "attendance_marked_at": now}
        if outcome == BookingStatus.ATTENDED:
            changes["arrived_at"] = Coalesce(F("arrived_at"), Value(now))
    else:
        cutoff = timedelta(hours=booking.clinic.cancellation_cutoff_hours)
        if booking.starts_at - now >= cutoff:
            raise ChangeNotAllowed(
                f"This visit is more than {booking.clinic.cancellation_cutoff_hours} hours away: "
                "cancel it normally instead, with no late-cancellation charge."
            )
        allowed_from = [BookingStatus.CONFIRMED]
        changes = {"status": outcome, "attendance_marked_at": now, "cancelled_at": now}
    # The status in the WHERE clause decides a race between two people marking the same visit.
    changed = (
        Booking.objects.filter(pk=booking.pk, status__in=allowed_from)
        .exclude(status=outcome)
        .update(**changes)
    )
    booking.refresh_from_db()
    if not changed and booking.status != outcome:
        raise ChangeNotAllowed(
            f"This visit is {booking.get_status_display().lower()}, so that cannot be recorded."
        )
    return booking
