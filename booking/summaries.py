"""Read-only booking facts for other apps' pages (the dashboards ask through these)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from booking.models import ACTIVE_STATUSES, Booking
from portal.models import Clinic, User


def upcoming_for_patient(patient: User, *, limit: int = 5) -> QuerySet[Booking]:
    return (
        Booking.objects.filter(
            patient=patient, status__in=ACTIVE_STATUSES, ends_at__gte=timezone.now()
        )
        .select_related("service", "practitioner")
        .order_by("starts_at")[:limit]
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
