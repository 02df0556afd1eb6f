"""The health-data access log: every read of a patient's health data by someone other than
the patient (``HealthAccess``), shown to the patient at ``/me/privacy/``."""

from __future__ import annotations

from collections.abc import Iterable

from django.http import HttpRequest
from django.utils import timezone

from intake.models import HealthAccess
from portal.models import Clinic, User
from portal.redaction import redact


def _path(request: HttpRequest | None) -> str:
    # Secrets in the address (tokens, search terms) never reach the log.
    return redact(request.get_full_path())[:300] if request is not None else ""


def log_health_access(
    *, viewer: User, patient: User, what: str, request: HttpRequest | None = None
) -> None:
    """Record that someone other than the patient read their health data."""
    if viewer.pk == patient.pk:
        return
    HealthAccess.objects.create(
        clinic_id=patient.clinic_id or Clinic.objects.current().pk,
        viewer=viewer,
        patient=patient,
        what=what,
        path=_path(request),
    )


def log_health_glance(
    *,
    viewer: User,
    patient_ids: Iterable[int],
    what: str,
    request: HttpRequest | None = None,
) -> None:
    """Record that ``viewer`` saw ``what`` about each of ``patient_ids`` on a page shown again on
    every refresh (a dashboard): one row per patient and clinic day, one statement."""
    ids = sorted({pk for pk in patient_ids if pk != viewer.pk})
    if not ids:
        return
    clinic = viewer.clinic or Clinic.objects.current()
    day = timezone.now().astimezone(clinic.tz).date()
    path = _path(request)
    # A row already there for today (healthaccess_glance_once_a_day) is left as it is.
    HealthAccess.objects.bulk_create(
        [
            HealthAccess(
                clinic_id=clinic.pk, viewer=viewer, patient_id=pk, what=what, path=path, day=day
            )
            for pk in ids
        ],
        ignore_conflicts=True,
    )
