"""Read-only booking facts for other apps' pages (the dashboards ask through these)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from booking.eligibility import booking_standing
from booking.models import ACTIVE_STATUSES, Booking, ServiceKind
from portal.models import Clinic, User


def upcoming_for_patient(patient: User, *, limit: int = 5) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(
            patient=patient, status__in=ACTIVE_STATUSES, ends_at__gte=timezone.now()
        )
        .select_related("service", "practitioner")
        .order_by("starts_at")[:limit]
    )


@dataclass(frozen=True)
class Journey:
    """Where a patient is on the way to treatment, for the dashboard's next steps."""

    returning: bool  # has attended a treatment: no "before your first visit"
    has_upcoming: bool
    assessment_booked: bool  # an upcoming free assessment: no "book a free assessment"
    new_patient_limit: int  # the clinic's rule while new (0: none, or not new)
    at_limit: bool  # already holding as many visits as the clinic's limit allows


def patient_journey(patient: User, clinic: Clinic) -> Journey:
    """The patient's journey facts, in two queries (``booking.eligibility``'s limits)."""
    now = timezone.now()
    upcoming = list(
        Booking.objects.filter(
            patient=patient, status__in=ACTIVE_STATUSES, ends_at__gte=now
        ).values_list("kind", flat=True)
    )
    standing = booking_standing(patient, clinic, now)
    return Journey(
        returning=not standing.is_new,
        has_upcoming=bool(upcoming),
        assessment_booked=ServiceKind.ASSESSMENT in upcoming,
        new_patient_limit=standing.limit if standing.is_new else 0,
        at_limit=standing.at_limit,
    )


def day_list(clinic: Clinic, *, practitioner_user: User | None = None) -> QuerySet[Booking]:
    """Today's active visits in the clinic's zone, optionally for one practitioner."""
    tz = clinic.tz
    today = timezone.now().astimezone(tz).date()
    start = datetime.combine(today, time.min, tzinfo=tz)
    visits = Booking.objects.filter(
        clinic=clinic,
        status__in=ACTIVE_STATUSES,
        starts_at__gte=start,
        starts_at__lt=start + timedelta(days=1),
    ).select_related("service", "practitioner", "patient", "room")
    if practitioner_user is not None:
        visits = visits.filter(practitioner__user=practitioner_user)
    return visits.order_by("starts_at")
