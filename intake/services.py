"""Writes about a patient's health: access logging, alerts and flags.

The questionnaire and diary services are added by the intake issue.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from booking.models import Booking, Practitioner
from intake.models import Alert, AlertLevel, FlagKind, HealthAccess, PatientFlag
from portal.models import Clinic, User


def _clinic_id(person: User) -> int:
    return person.clinic_id or Clinic.objects.current().pk


def log_health_access(
    *, viewer: User, patient: User, what: str, request: HttpRequest | None = None
) -> None:
    """Record that someone other than the patient read their health data."""
    if viewer.pk == patient.pk:
        return
    HealthAccess.objects.create(
        clinic_id=_clinic_id(patient),
        viewer=viewer,
        patient=patient,
        what=what,
        path=request.get_full_path()[:300] if request is not None else "",
    )


def alert_raise(
    *,
    patient: User,
    level: AlertLevel,
    kind: str,
    source_key: str,
    summary: str,
    practitioner: Practitioner | None = None,
    booking: Booking | None = None,
) -> tuple[Alert, bool]:
    """Raise an alert once per (kind, source_key); returns it and whether it is new."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                clinic_id=_clinic_id(patient),
                patient=patient,
                practitioner=practitioner,
                booking=booking,
                level=level,
                kind=kind,
                source_key=source_key,
                summary=summary[:300],
            )
    except IntegrityError:
        return Alert.objects.get(kind=kind, source_key=source_key), False
    return alert, True


def alert_acknowledge(*, alert: Alert, by: User) -> bool:
    """Mark an alert read; a second click (or a colleague's) changes nothing."""
    changed = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=timezone.now(), acknowledged_by=by
    )
    return bool(changed)


def flag_raise(*, patient: User, kind: FlagKind, reason: str) -> tuple[PatientFlag, bool]:
    """Open a flag on the patient unless one of that kind is already open."""
    try:
        with transaction.atomic():
            flag = PatientFlag.objects.create(
                clinic_id=_clinic_id(patient), patient=patient, kind=kind, reason=reason[:300]
            )
    except IntegrityError:
        return PatientFlag.objects.get(patient=patient, kind=kind, cleared_at__isnull=True), False
    return flag, True


def flag_clear(*, flag: PatientFlag, by: User, note: str = "") -> bool:
    """Clear an open flag; clearing twice changes nothing."""
    changed = PatientFlag.objects.filter(pk=flag.pk, cleared_at__isnull=True).update(
        cleared_at=timezone.now(), cleared_by=by, clear_note=note[:300]
    )
    return bool(changed)


def open_flags(patient: User) -> list[PatientFlag]:
    return list(PatientFlag.objects.filter(patient=patient, cleared_at__isnull=True))


def booking_paused(patient: User) -> bool:
    """Whether online booking of treatment is paused for this patient (an open red flag)."""
    return PatientFlag.objects.filter(
        patient=patient, kind=FlagKind.RED_FLAG, cleared_at__isnull=True
    ).exists()
