"""'See this record anyway': a practitioner outside the care relationship reads a patient's
record for the rest of the clinic day, with a reason the patient and the owner can see."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from intake.models import RecordAccessGrant
from portal import policy
from portal.audit import AuditAction, record_action
from portal.models import Clinic, User

REASON_MIN_LENGTH = 10


class GrantRefused(Exception):
    """The person may not ask for this record (not a practitioner of the patient's clinic)."""


def end_of_clinic_day(now: datetime, clinic: Clinic) -> datetime:
    """Midnight at the end of ``now``'s day in the clinic's time zone."""
    local = now.astimezone(clinic.tz)
    tomorrow = local.date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0), tzinfo=clinic.tz)


def grant_see_anyway(
    *, viewer: User, patient: User, reason: str, now: datetime | None = None
) -> RecordAccessGrant:
    """Let ``viewer`` read ``patient``'s record until the end of the clinic day, logged with
    ``reason``. A second ask the same day is logged too (each reason counts)."""
    if not policy.may_ask_to_see_anyway(viewer, patient):
        raise GrantRefused("Only practitioners of the patient's clinic can ask.")
    reason = reason.strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise GrantRefused("Please say why you need to read this record.")
    now = now or timezone.now()
    clinic = patient.clinic or Clinic.objects.current()
    with transaction.atomic():
        grant = RecordAccessGrant.objects.create(
            clinic=clinic,
            viewer=viewer,
            patient=patient,
            reason=reason[:500],
            expires_at=end_of_clinic_day(now, clinic),
        )
        # The reason stays in the grant (encrypted); the trail says only that it happened.
        record_action(
            action=AuditAction.BREAK_GLASS,
            actor=viewer,
            subject=patient,
            detail={"grant": grant.pk},
            clinic=clinic,
        )
    return grant


def grants_about(patient: User) -> QuerySet[RecordAccessGrant]:
    """The grants on ``patient``'s record, newest first (their privacy page)."""
    return RecordAccessGrant.objects.filter(patient=patient).select_related("viewer")


def all_grants(clinic_id: int) -> QuerySet[RecordAccessGrant]:
    """Every grant of the clinic, newest first (the owner's list)."""
    return RecordAccessGrant.objects.filter(clinic_id=clinic_id).select_related("viewer", "patient")
