"""Whole-clinic closures: days nobody can book (bank holidays, a flood, a training day).

A closure closes its days in availability (``booking.availability.load_diary``), so no
private, assessment or multibed time opens on them, online or at the desk, and waiting-list
offers (which follow availability) skip them. Visits booked before the closure are never
cancelled by it: the closure's page lists them for the desk to move or cancel, one by one or
all at once (``practice.schedule.closure_cancel_visits``: refunds go through ``payments``),
each patient told by the usual emails.

Concurrency: adding a closure takes the row locks a booking takes (every practitioner of the
clinic, then the rooms, in id order, after the clinic's row), so a booking racing it either
commits first and is listed with the closure, or waits and then finds the day closed when it
re-computes availability under its locks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db import transaction
from django.db.models import Count, Q, QuerySet

from booking.availability import wall_to_utc
from booking.errors import BookingError
from booking.models import CHANGEABLE_STATUSES, Booking, ClinicClosure, Practitioner, Room
from portal.audit import record_action
from portal.models import AuditAction, Clinic, User
from portal.params import LATEST

# A typo (2072 for 2027) must not close the clinic for decades; a long refit can be two.
MAX_CLOSURE_DAYS = 366


class ClosureError(BookingError):
    """A closure that cannot be added, with a message fit to show next to the form."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class ClosureRequest:
    first_day: date
    last_day: date
    reason: str = ""


def check_closure(clinic: Clinic, asked: ClosureRequest, *, today: date) -> None:
    """Refuse a closure that ends before it starts, starts in the past, ends after ``LATEST``,
    is longer than ``MAX_CLOSURE_DAYS`` or overlaps another of the clinic's closures."""
    if asked.last_day < asked.first_day:
        raise ClosureError(
            "The last closed day must be on or after the first closed day.", field="last_day"
        )
    if asked.first_day < today:
        raise ClosureError(
            "The first closed day has passed. Choose today or a later date.", field="first_day"
        )
    if asked.last_day > LATEST:
        # 31/12/9999 is a date, but the midnight after it, where the closure ends
        # (``closure_bounds``), is not: the row was saved, and the closures page then failed
        # for everyone until it was gone (tests/portal/test_attacker_round9.py).
        raise ClosureError(
            f"Please enter a last day before {LATEST.year}. Check the year.", field="last_day"
        )
    if (asked.last_day - asked.first_day).days + 1 > MAX_CLOSURE_DAYS:
        raise ClosureError(
            f"A closure can last at most {MAX_CLOSURE_DAYS} days. Check the year of the last day.",
            field="last_day",
        )
    clash = (
        ClinicClosure.objects.filter(
            clinic=clinic, first_day__lte=asked.last_day, last_day__gte=asked.first_day
        )
        .order_by("first_day")
        .first()
    )
    if clash is not None:
        raise ClosureError(
            f"The clinic is already closed from {clash.first_day:%-d %B %Y} to "
            f"{clash.last_day:%-d %B %Y}. Reopen those days first, or choose days around them.",
            field="first_day",
        )


def _lock_the_clinic_diary(clinic: Clinic) -> None:
    # The booking service's locks (``booking.services.lock_capacity``), for every practitioner
    # and room of the clinic, in the same order (practitioners, then rooms, by id). The clinic's
    # row first serialises two closures of a clinic with nobody on its team yet; "no key", as
    # every booking's and message's foreign key takes a key-share lock on that row at commit
    # (a plain FOR UPDATE deadlocked against a booking committing meanwhile).
    Clinic.objects.select_for_update(no_key=True).filter(pk=clinic.pk).exists()
    list(
        Practitioner.objects.filter(clinic=clinic)
        .select_for_update()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    list(Room.objects.filter(clinic=clinic).select_for_update().order_by("pk").values_list("pk"))


def closure_add(*, clinic: Clinic, asked: ClosureRequest, by: User, today: date) -> ClinicClosure:
    """Close the clinic on the days asked (see the module for the locks); the visits already
    booked on them stay booked (``visits_in_closure``)."""
    with transaction.atomic():
        _lock_the_clinic_diary(clinic)
        check_closure(clinic, asked, today=today)
        # Saved through the model: its post_save signal forgets the cached open times (and
        # diaries) once this commits.
        closure = ClinicClosure.objects.create(
            clinic=clinic,
            first_day=asked.first_day,
            last_day=asked.last_day,
            reason=asked.reason.strip(),
            created_by=by,
        )
        record_action(
            action=AuditAction.CLINIC_CLOSED, actor=by, clinic=clinic, detail=_days(closure)
        )
    return closure


def closure_remove(*, clinic: Clinic, closure_id: int, by: User) -> bool:
    """Reopen a closure's days; False when it was already removed."""
    with transaction.atomic():
        closure = (
            ClinicClosure.objects.select_for_update().filter(pk=closure_id, clinic=clinic).first()
        )
        if closure is None:
            return False
        record_action(
            action=AuditAction.CLINIC_REOPENED, actor=by, clinic=clinic, detail=_days(closure)
        )
        closure.delete()  # through the model: its signal forgets the cached diaries
    return True


def _days(closure: ClinicClosure) -> dict[str, str]:
    """A closure's days as the audit trail keeps them."""
    return {"first_day": closure.first_day.isoformat(), "last_day": closure.last_day.isoformat()}


def closure_bounds(closure: ClinicClosure) -> tuple[datetime, datetime]:
    """The closure as instants: from the first day's midnight to the midnight after the last
    day, on the clinic's clock."""
    tz = closure.clinic.tz
    return wall_to_utc(closure.first_day, time.min, tz), wall_to_utc(
        closure.last_day + timedelta(days=1), time.min, tz
    )


def visits_in_closure(closure: ClinicClosure) -> QuerySet[Booking]:
    """The visits still to move or cancel: booked (or held for payment) and starting on one of
    the closed days, in time order."""
    start, end = closure_bounds(closure)
    return (
        Booking.objects.filter(
            clinic_id=closure.clinic_id,
            status__in=CHANGEABLE_STATUSES,
            starts_at__gte=start,
            starts_at__lt=end,
        )
        .select_related("patient", "service", "practitioner", "room")
        .order_by("starts_at", "pk")
    )


def closure_on(clinic: Clinic, day: date) -> ClinicClosure | None:
    """The closure that closes the clinic on ``day``, if any (closures never overlap)."""
    return ClinicClosure.objects.filter(
        clinic=clinic, first_day__lte=day, last_day__gte=day
    ).first()


def upcoming_closures(clinic: Clinic, *, today: date) -> list[tuple[ClinicClosure, int]]:
    """The closures not yet over, soonest first, each with how many visits are still booked
    in it (one count per closure, in one query)."""
    closures = list(
        ClinicClosure.objects.filter(clinic=clinic, last_day__gte=today)
        .select_related("clinic", "created_by")
        .order_by("first_day")
    )
    if not closures:
        return []
    spans = [
        Q(starts_at__gte=start, starts_at__lt=end) for start, end in map(closure_bounds, closures)
    ]
    counts = Booking.objects.filter(
        reduce(or_, spans), clinic=clinic, status__in=CHANGEABLE_STATUSES
    ).aggregate(
        **{f"in_{c.pk}": Count("pk", filter=span) for c, span in zip(closures, spans, strict=True)}
    )
    return [(closure, counts[f"in_{closure.pk}"]) for closure in closures]
