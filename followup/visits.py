"""Facts about a visit that decide its follow-up: which treatment it was, whether it went ahead."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce

from booking.models import KEPT_STATUSES, Booking, BookingStatus, ServiceKind

TREATMENT_KINDS = (ServiceKind.PRIVATE, ServiceKind.MULTIBED)


def is_treatment(booking: Booking) -> bool:
    """Needling happened (or will): not the free talk-only assessment."""
    return booking.kind in TREATMENT_KINDS


def earlier_treatments() -> Coalesce:
    """How many kept treatments the patient had before this visit, for ``annotate`` on bookings
    (so a planner reading thousands of visits asks once, not once a visit)."""
    earlier = (
        Booking.objects.filter(
            patient=OuterRef("patient"),
            kind__in=TREATMENT_KINDS,
            status__in=KEPT_STATUSES,
            starts_at__lt=OuterRef("starts_at"),
        )
        .order_by()
        .values("patient")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(earlier, output_field=IntegerField()), Value(0))


def treatment_number(booking: Booking) -> int:
    """Which of the patient's treatments this is (1 = the first), counting kept earlier ones."""
    earlier = (
        Booking.objects.filter(pk=booking.pk)
        .annotate(n=earlier_treatments())
        .values_list("n", flat=True)
        .first()
    )
    return (earlier or 0) + 1


def went_ahead(booking: Booking, now: datetime) -> bool:
    """Attended, or still confirmed after its end (attendance not marked yet).

    A no-show, a cancelled or moved visit, or a lapsed hold never gets a check-in.
    """
    if booking.status == BookingStatus.ATTENDED:
        return True
    return booking.status == BookingStatus.CONFIRMED and booking.ends_at <= now


def why_not_checked_in(booking: Booking, now: datetime) -> str | None:
    """A patient-facing reason this visit takes no check-in, or None if it does."""
    if booking.patient.has_left:
        # The emailed link opens without signing in: once the account is closed (or its
        # health content erased) nothing more is written about the person, whoever holds it.
        return (
            "This account is closed, so we no longer ask how visits went. If you need "
            "help, please call the clinic."
        )
    if booking.status in (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED):
        return "This visit was cancelled, so there is nothing to check in about."
    if booking.status == BookingStatus.RESCHEDULED:
        return "This visit was moved to another time. We will ask about the new visit instead."
    if booking.status == BookingStatus.NO_SHOW:
        return "Our records show this visit did not go ahead."
    if not went_ahead(booking, now):
        return "This visit has not happened yet."
    return None
