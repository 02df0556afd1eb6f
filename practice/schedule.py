"""The practitioner's schedule, as the workspace's "Hours & time off" page changes it: weekly
hours, dated changes (extra hours, a closed day) and time off, and cancelling the visits a
closed time leaves behind (time off's, or a whole-clinic closure's), refunded in full."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from booking.closures import visits_in_closure
from booking.errors import ChangeNotAllowed
from booking.models import (
    ACTIVE_STATUSES,
    Booking,
    ClinicClosure,
    DateException,
    ExceptionKind,
    Practitioner,
    TimeOff,
    WeeklyHours,
)
from payments.services import cancel_with_refund
from portal.audit import AuditAction, record_action
from portal.models import User
from practice.services import AffectedBookingsChanged, PracticeError


def weekly_hours_add(
    *, practitioner: Practitioner, weekday: int, start_time: time, end_time: time
) -> WeeklyHours:
    """Add a working range on a weekday; refuses one that ends before it starts or overlaps."""
    if end_time <= start_time:
        raise PracticeError("The hours must end after they start.")
    with transaction.atomic():
        # Lock the practitioner so two tabs adding overlapping ranges cannot both pass the check.
        Practitioner.objects.select_for_update().filter(pk=practitioner.pk).first()
        clash = WeeklyHours.objects.filter(
            practitioner=practitioner,
            weekday=weekday,
            start_time__lt=end_time,
            end_time__gt=start_time,
        ).first()
        if clash is not None:
            raise PracticeError(
                f"These hours overlap your {clash.start_time:%H:%M} to {clash.end_time:%H:%M} "
                f"hours on {clash.get_weekday_display()}. Change or remove those first."
            )
        return WeeklyHours.objects.create(
            practitioner=practitioner, weekday=weekday, start_time=start_time, end_time=end_time
        )


def weekly_hours_remove(*, practitioner: Practitioner, hours_id: int) -> bool:
    """Remove one range; booked visits in it stay booked (the patient is not affected)."""
    deleted, _ = WeeklyHours.objects.filter(pk=hours_id, practitioner=practitioner).delete()
    return bool(deleted)


def _active_on(practitioner: Practitioner, start: datetime, end: datetime) -> QuerySet[Booking]:
    """Visits that would fall in [start, end): private time with buffers, or a multibed stay."""
    return (
        Booking.objects.filter(
            practitioner=practitioner,
            status__in=ACTIVE_STATUSES,
            blocked_from__lt=end,
            blocked_until__gt=start,
        )
        .select_related("patient", "service")
        .order_by("starts_at")
    )


def exception_add(
    *,
    practitioner: Practitioner,
    day: date,
    kind: ExceptionKind,
    start_time: time | None,
    end_time: time | None,
    note: str = "",
    today: date,
) -> DateException:
    """Add extra hours on a date, or close a whole day (only if no visit is booked on it)."""
    if day < today:
        raise PracticeError("That date has passed. Choose today or a later date.")
    if kind == ExceptionKind.EXTRA:
        if start_time is None or end_time is None:
            raise PracticeError("Give the start and end of the extra hours.")
        if end_time <= start_time:
            raise PracticeError("The extra hours must end after they start.")
    else:
        start_time = end_time = None
    tz = practitioner.clinic.tz
    with transaction.atomic():
        Practitioner.objects.select_for_update().filter(pk=practitioner.pk).first()
        if kind == ExceptionKind.CLOSED:
            start = datetime.combine(day, time.min, tzinfo=tz)
            end = datetime.combine(day, time.max, tzinfo=tz)
            if _active_on(practitioner, start, end).exists():
                raise PracticeError(
                    "Visits are booked on that day. Add time off instead: it shows the visits "
                    "and lets you cancel them with a message to each patient, or keep them."
                )
            if DateException.objects.filter(
                practitioner=practitioner, date=day, kind=ExceptionKind.CLOSED
            ).exists():
                raise PracticeError("That day is already closed.")
        else:
            assert start_time is not None and end_time is not None
            if DateException.objects.filter(
                practitioner=practitioner,
                date=day,
                kind=ExceptionKind.EXTRA,
                start_time__lt=end_time,
                end_time__gt=start_time,
            ).exists():
                raise PracticeError("These extra hours overlap extra hours you already added.")
        return DateException.objects.create(
            practitioner=practitioner,
            date=day,
            kind=kind,
            start_time=start_time,
            end_time=end_time,
            note=note,
        )


def exception_remove(*, practitioner: Practitioner, exception_id: int) -> bool:
    deleted, _ = DateException.objects.filter(pk=exception_id, practitioner=practitioner).delete()
    return bool(deleted)


def _check_time_off(
    practitioner: Practitioner, starts_at: datetime, ends_at: datetime, now: datetime
) -> None:
    if ends_at <= starts_at:
        raise PracticeError("The time off must end after it starts.")
    if starts_at < now:
        raise PracticeError("Time off cannot start in the past. Choose a start from now on.")
    if TimeOff.objects.filter(
        practitioner=practitioner, starts_at__lt=ends_at, ends_at__gt=starts_at
    ).exists():
        raise PracticeError("This overlaps time off you already have. Change that one instead.")


def time_off_affected(
    *, practitioner: Practitioner, starts_at: datetime, ends_at: datetime, now: datetime
) -> list[Booking]:
    """Check the request and list the booked visits it would fall on (nothing is written)."""
    _check_time_off(practitioner, starts_at, ends_at, now)
    return list(_active_on(practitioner, starts_at, ends_at))


def time_off_add(
    *,
    practitioner: Practitioner,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    by: User,
    expected_booking_ids: Sequence[int],
    cancel_affected: bool,
    note: str = "",
    now: datetime | None = None,
) -> tuple[TimeOff, list[Booking]]:
    """Add time off; cancel the visits in it (each patient emailed ``note``, anything paid
    refunded in full: the clinic's reason) or keep them.

    ``expected_booking_ids`` are the visits the practitioner was shown. The practitioner's
    row lock (the one ``booking_create`` takes) stops a patient booking into the time off
    meanwhile; a visit booked between the preview and this call raises
    ``AffectedBookingsChanged`` instead of being cancelled unseen.
    """
    now = now or timezone.now()
    with transaction.atomic():
        Practitioner.objects.select_for_update().filter(pk=practitioner.pk).first()
        _check_time_off(practitioner, starts_at, ends_at, now)
        affected = list(_active_on(practitioner, starts_at, ends_at))
        if sorted(b.pk for b in affected) != sorted(expected_booking_ids):
            raise AffectedBookingsChanged(
                "The visits in this time have changed since you looked. Please check them again."
            )
        off = TimeOff.objects.create(
            practitioner=practitioner, starts_at=starts_at, ends_at=ends_at, reason=reason
        )
        cancelled = []
        if cancel_affected:
            for booking in affected:
                if booking.is_changeable and booking.starts_at >= now:
                    # Through payments, so a visit paid online is refunded by the policy.
                    done, _ = cancel_with_refund(
                        booking=booking, by=by, note=note, now=now, clinics_reason=True
                    )
                    cancelled.append(done)
    return off, cancelled


def closure_cancel_visits(
    *,
    closure: ClinicClosure,
    booking_ids: Sequence[int],
    by: User,
    note: str = "",
    now: datetime | None = None,
) -> list[Booking]:
    """Cancel the visits a closure's page showed that are still booked on its days and still
    to come, each patient emailed ``note`` and a visit paid online refunded in full.

    One visit per transaction (``cancel_with_refund``): a failure part way leaves each visit
    either cancelled with its refund and email, or untouched. A visit moved or cancelled since
    the page was drawn is left as it is, and one the page did not show is never touched.
    """
    now = now or timezone.now()
    cancelled = []
    for booking in visits_in_closure(closure).filter(pk__in=booking_ids, starts_at__gte=now):
        try:
            done, _ = cancel_with_refund(
                booking=booking, by=by, note=note, now=now, clinics_reason=True
            )
        except ChangeNotAllowed:
            continue  # moved or cancelled since it was read
        cancelled.append(done)
    if cancelled:
        record_action(
            action=AuditAction.CLOSURE_VISITS_CANCELLED,
            actor=by,
            clinic=closure.clinic,
            detail={"closure": closure.pk, "visits": len(cancelled)},
        )
    return cancelled


def time_off_remove(*, practitioner: Practitioner, time_off_id: int) -> bool:
    deleted, _ = TimeOff.objects.filter(pk=time_off_id, practitioner=practitioner).delete()
    return bool(deleted)
