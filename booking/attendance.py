"""What happened at a visit: arrived, attended, did not attend, cancelled late.

Used by the practitioner calendar and the front desk. Each change is a
conditional UPDATE, so a second click, or the desk and the practitioner at
once, changes the row once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import F, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from booking.errors import ChangeNotAllowed
from booking.models import Booking, BookingStatus, ServiceKind
from portal.models import User

ATTENDANCE_OUTCOMES = (
    BookingStatus.ATTENDED,
    BookingStatus.NO_SHOW,
    BookingStatus.LATE_CANCELLED,
)

# Attended and did not attend can be corrected into each other (a mistaken click is common at
# a busy desk); a late cancellation only from confirmed.
MARKABLE_FROM = (BookingStatus.CONFIRMED, BookingStatus.ATTENDED, BookingStatus.NO_SHOW)


def _same_clinic_day(booking: Booking, now: datetime) -> bool:
    tz = booking.clinic.tz
    return booking.starts_at.astimezone(tz).date() == now.astimezone(tz).date()


def inside_cutoff(booking: Booking, now: datetime) -> bool:
    """Whether ``now`` is inside the clinic's cancellation window before the visit (a patient's
    cancellation would be late: the late-cancellation rule applies)."""
    return booking.starts_at - now < timedelta(hours=booking.clinic.cancellation_cutoff_hours)


@dataclass(frozen=True)
class AttendanceChoices:
    """What may be recorded about a visit now: the buttons a visit page offers, decided by the
    same rules the writes below enforce."""

    arrive: bool
    attend: bool
    no_show: bool
    late_cancel: bool
    record: bool


def attendance_choices(booking: Booking, *, now: datetime | None = None) -> AttendanceChoices:
    """The attendance actions open on ``booking`` at ``now`` (the one place they are decided)."""
    now = now or timezone.now()
    started = booking.starts_at <= now
    status = booking.status
    confirmed = status == BookingStatus.CONFIRMED
    return AttendanceChoices(
        arrive=confirmed and booking.arrived_at is None and _same_clinic_day(booking, now),
        attend=started and status in (BookingStatus.CONFIRMED, BookingStatus.NO_SHOW),
        no_show=started and status in (BookingStatus.CONFIRMED, BookingStatus.ATTENDED),
        late_cancel=confirmed and not started and inside_cutoff(booking, now),
        record=may_keep_record(booking, now=now),
    )


def may_keep_record(booking: Booking, *, now: datetime | None = None) -> bool:
    """Whether a treatment record may be written for ``booking``: a treatment (not the free
    assessment) that has started and went ahead or may still be marked attended; never a visit
    marked as did not attend, which must be corrected to attended first."""
    now = now or timezone.now()
    if booking.kind == ServiceKind.ASSESSMENT:
        return False
    # Saving the record marks a confirmed visit attended, so it must have started.
    return booking.status == BookingStatus.ATTENDED or (
        booking.status == BookingStatus.CONFIRMED and booking.starts_at <= now
    )


def booking_mark_arrived(*, booking: Booking, by: User, now: datetime | None = None) -> Booking:
    """Note that the patient is in the waiting room (a confirmed visit on its day)."""
    now = now or timezone.now()
    if not _same_clinic_day(booking, now):
        raise ChangeNotAllowed("A patient can only be marked as arrived on the day of the visit.")
    # Conditional UPDATE: a second click (or the desk and the practitioner at once) is a no-op.
    changed = Booking.objects.filter(
        pk=booking.pk, status=BookingStatus.CONFIRMED, arrived_at__isnull=True
    ).update(arrived_at=now)
    if not changed:
        booking.refresh_from_db()
        if booking.status != BookingStatus.CONFIRMED:
            raise ChangeNotAllowed(f"This visit is {booking.status_phrase}.")
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
                "This visit has not started yet, so attendance cannot be recorded."
            )
        allowed_from = list(MARKABLE_FROM)
        changes: dict[str, object] = {"status": outcome, "attendance_marked_at": now}
        if outcome == BookingStatus.ATTENDED:
            changes["arrived_at"] = Coalesce(F("arrived_at"), Value(now))
    else:
        if not inside_cutoff(booking, now):
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
            f"This visit is {booking.status_phrase}, so that cannot be recorded."
        )
    return booking
