"""When a pain diary score may be for: not in the future, nor earlier than a year before the
patient's first visit. Shared by the diary form (an error on the field) and the diary services
(which refuse it whatever the caller)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from booking.models import KEPT_STATUSES, Booking
from portal.models import Clinic, User
from portal.policy import months_ago

# How far back a diary score may go: a year before the first visit (pain before treatment
# is worth having for comparison; older dates are almost always a typing slip).
DIARY_MONTHS_BEFORE_FIRST_VISIT = 12
# A phone's clock a little ahead of the server's is not "the future".
DIARY_CLOCK_SLACK = timedelta(minutes=5)


def diary_earliest(patient: User, *, now: datetime) -> date:
    """The earliest clinic day a diary score may be for: a year before the patient's first
    kept visit, or a year before today when they have none yet."""
    first = (
        Booking.objects.filter(patient=patient, status__in=KEPT_STATUSES)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    start = min(first, now) if first is not None else now
    tz = Clinic.objects.current().tz
    return months_ago(start.astimezone(tz), DIARY_MONTHS_BEFORE_FIRST_VISIT).date()


def diary_when_problem(patient: User | None, when: datetime, *, now: datetime) -> str:
    """Why a diary score cannot be for ``when`` ("" when it can), in words for the patient;
    without a patient only the future is refused."""
    if when > now + DIARY_CLOCK_SLACK:
        return "That time is in the future. Please pick a time that has passed."
    if patient is None:
        return ""
    earliest = diary_earliest(patient, now=now)
    if when.astimezone(Clinic.objects.current().tz).date() < earliest:
        return (
            f"Please pick a date from {earliest:%-d %B %Y}: the diary goes back to a year "
            "before your first visit."
        )
    return ""
