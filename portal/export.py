"""The patient's "download my data": everything the clinic holds about them, a zip sent once.

A request (the patient online after re-authenticating, or the front desk for a request by post
or phone) is a ``DataExport`` row; ``build`` (the Celery task's body, idempotent) gathers every
record about the patient into ``data.json`` (``docs/schemas/patient-export.schema.json``) and a
readable ``summary.html``, stores the zip encrypted on the row and emails the patient a signed
link through the outbox. The link needs the patient signed in, works once and lapses after
``EXPORT_DAYS``; the archive is wiped when downloaded or expired.

This module sits in ``portal`` (the bottom app) so the outbox in ``followup`` can render the
link email; it reads the other apps' records through imports inside functions only, as the
import rules allow (docs/architecture.md, section 2).
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from portal.audit import AuditAction, record_action
from portal.crypto import fernet
from portal.models import Clinic, DataExport, ExportChannel, ExportStatus, User

EXPORT_DAYS = 7
SCHEMA_VERSION = 2
SIGNING_SALT = "portal.export.download"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _person(user: Any) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.email


# ---------------------------------------------------------------------------------------------
# Requesting


def can_use_link(patient: User) -> bool:
    """Whether ``patient`` can sign in to use an emailed download link."""
    return bool(
        patient.is_active
        and patient.closed_at is None
        and patient.email
        and patient.has_usable_password()
    )


def request_export(
    *,
    patient: User,
    requested_by: User | None,
    channel: str,
    handover: bool = False,
    now: datetime | None = None,
) -> DataExport:
    """Record a request and queue its build; one already being prepared is returned instead.

    ``handover``: the desk downloads the file to post or give to the patient, no link email."""
    from portal.tasks import build_data_export

    if channel not in ExportChannel.values:
        raise ValueError(f"Unknown channel {channel!r}")
    existing = DataExport.objects.filter(patient=patient, status=ExportStatus.REQUESTED).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            export = DataExport.objects.create(
                clinic=patient.clinic or Clinic.objects.current(),
                patient=patient,
                requested_by=requested_by,
                channel=channel,
                handover=handover,
                requested_at=now or timezone.now(),
            )
            record_action(
                action=AuditAction.DATA_EXPORT_REQUESTED,
                actor=requested_by,
                subject=patient,
                detail={
                    "export": str(export.pk),
                    "channel": export.channel,
                    "delivery": "handover" if handover else "link",
                },
            )
            export_id = export.pk
            transaction.on_commit(lambda: build_data_export.delay(export_id))
    except IntegrityError:
        # Two tabs at once: the partial unique constraint kept one request.
        return DataExport.objects.get(patient=patient, status=ExportStatus.REQUESTED)
    return export


# ---------------------------------------------------------------------------------------------
# Gathering


def collect(patient: User, *, now: datetime | None = None) -> dict[str, Any]:
    """Everything held about ``patient``, as plain JSON-ready data (data.json)."""
    from booking.models import Booking, WaitlistEntry
    from followup.models import CheckIn
    from intake.models import (
        Alert,
        DiaryEntry,
        HealthAccess,
        IntakeResponse,
        PatientFlag,
        RecordAccessGrant,
    )
    from intake.summary import answers_by_section
    from payments.models import FeeReduction, Payment
    from practice.models import RecordCorrection, TreatmentRecord

    clinic = patient.clinic or Clinic.objects.current()
    bookings = (
        Booking.objects.filter(patient=patient)
        .select_related("service", "practitioner__user", "room", "booked_by")
        .order_by("starts_at", "pk")
    )
    payments = (
        Payment.objects.filter(patient=patient).prefetch_related("refunds").order_by("created_at")
    )
    responses = IntakeResponse.objects.filter(patient=patient).order_by("created_at", "pk")
    records = (
        TreatmentRecord.objects.filter(patient=patient)
        .select_related("practitioner__user", "written_by")
        .order_by("visit_at", "pk")
    )
    return {
        "schema": "patient-export",
        "schema_version": SCHEMA_VERSION,
        "generated_at": _iso(now or timezone.now()),
        "clinic": {
            "name": clinic.name,
            "email": clinic.email,
            "phone": clinic.phone,
            "address": clinic.address,
            "currency": clinic.currency,
        },
        "account": {
            "id": patient.pk,
            "email": patient.email,
            "first_name": patient.first_name,
            "last_name": patient.last_name,
            "phone": str(patient.phone or ""),
            "date_of_birth": patient.date_of_birth.isoformat() if patient.date_of_birth else None,
            "date_joined": _iso(patient.date_joined),
            "last_login": _iso(patient.last_login),
            "is_active": patient.is_active,
        },
        "bookings": [
            {
                "id": b.pk,
                "service": b.service.name,
                "kind": b.kind,
                "practitioner": _person(b.practitioner.user),
                "room": b.room.name if b.room else None,
                "starts_at": _iso(b.starts_at),
                "ends_at": _iso(b.ends_at),
                "status": b.status,
                "status_label": b.get_status_display(),
                "price_minor": b.price_minor,
                "currency": b.currency,
                "payment_mode": b.payment_mode,
                "booked_by": _person(b.booked_by),
                "created_at": _iso(b.created_at),
                "arrived_at": _iso(b.arrived_at),
                "cancelled_at": _iso(b.cancelled_at),
                "cancellation_note": b.cancellation_note,
                "rescheduled_from": b.rescheduled_from_id,
            }
            for b in bookings
        ],
        "payments": [
            {
                "id": p.pk,
                "booking_id": p.booking_id,
                "receipt_number": p.receipt_number,
                "amount_minor": p.amount_minor,
                "currency": p.currency,
                "status": p.status,
                "refunded_minor": p.refunded_minor,
                "created_at": _iso(p.created_at),
                "paid_at": _iso(p.paid_at),
                "canceled_at": _iso(p.canceled_at),
                "refunds": [
                    {
                        "id": r.pk,
                        "amount_minor": r.amount_minor,
                        "reason": r.reason,
                        "status": r.status,
                        "created_at": _iso(r.created_at),
                        "completed_at": _iso(r.completed_at),
                    }
                    for r in p.refunds.all()
                ],
            }
            for p in payments
        ],
        "waiting_list": [
            {
                "id": w.pk,
                "service": w.service.name,
                "practitioner": w.practitioner.display_name if w.practitioner else None,
                "weekdays": list(w.weekdays or []),
                "day_parts": list(w.day_parts or []),
                "status": w.status,
                "joined_at": _iso(w.joined_at),
                "ended_at": _iso(w.ended_at),
            }
            for w in WaitlistEntry.objects.filter(patient=patient)
            .select_related("service", "practitioner")
            .order_by("joined_at", "pk")
        ],
        "fee_reductions": [
            {
                "id": f.pk,
                "reason": f.reason,
                "status": f.status,
                "floor_minor": f.floor_minor,
                "ends_on": f.ends_on.isoformat() if f.ends_on else None,
                "reply": f.reply,
                "created_at": _iso(f.created_at),
                "decided_at": _iso(f.decided_at),
            }
            for f in FeeReduction.objects.filter(patient=patient).order_by("created_at", "pk")
        ],
        "intake_responses": [
            {
                "id": r.pk,
                "kind": r.kind,
                "questionnaire_version": r.version,
                "consent_version": r.consent_version,
                "status": r.status,
                "created_at": _iso(r.created_at),
                "submitted_at": _iso(r.submitted_at),
                "sections": [
                    {
                        "title": section.title,
                        "answers": [
                            {
                                "key": a.key,
                                "question": a.label,
                                "answer": a.text,
                                "value": r.answers.get(a.key),
                            }
                            for a in section.answers
                        ],
                    }
                    for section in answers_by_section(r.kind, r.version, dict(r.answers or {}))
                ],
            }
            for r in responses
        ],
        "diary": [
            {
                "id": d.pk,
                "recorded_at": _iso(d.recorded_at),
                "pain": d.pain,
                "note": d.note,
                "tags": list(d.tags or []),
                "source": d.source,
                "booking_id": d.booking_id,
            }
            for d in DiaryEntry.objects.filter(patient=patient).order_by("recorded_at", "pk")
        ],
        "checkins": [
            {
                "id": c.pk,
                "booking_id": c.booking_id,
                "stage": c.stage,
                "treatment_number": c.treatment_number,
                "submitted_at": _iso(c.submitted_at),
                "answers": c.answers,
                "outcome": c.outcome,
            }
            for c in CheckIn.objects.filter(patient=patient).order_by("submitted_at", "pk")
        ],
        "treatment_records": [
            {
                "id": t.pk,
                "booking_id": t.booking_id,
                "visit_at": _iso(t.visit_at),
                "practitioner": _person(t.practitioner.user),
                "areas_and_points": t.areas_and_points,
                "needle_count": t.needles,
                "depth": t.depth,
                "stimulation": t.stimulation,
                "style": t.style,
                "other_techniques": t.other_techniques,
                "reaction": t.reaction,
                "plan_next_time": t.plan_next_time,
                "written_by": _person(t.written_by),
                "created_at": _iso(t.created_at),
                "updated_at": _iso(t.updated_at),
            }
            for t in records
        ],
        "record_corrections": [
            {
                "id": c.pk,
                "note": c.note,
                "written_by": _person(c.written_by),
                "written_at": _iso(c.written_at),
            }
            for c in RecordCorrection.objects.filter(patient=patient)
            .select_related("written_by")
            .order_by("written_at", "pk")
        ],
        "flags": [
            {
                "id": f.pk,
                "kind": f.kind,
                "kind_label": f.get_kind_display(),
                "reason": f.reason,
                "raised_at": _iso(f.raised_at),
                "cleared_at": _iso(f.cleared_at),
                "clear_note": f.clear_note,
            }
            for f in PatientFlag.objects.filter(patient=patient).order_by("raised_at", "pk")
        ],
        "alerts": [
            {
                "id": a.pk,
                "level": a.level,
                "kind": a.kind,
                "summary": a.summary,
                "created_at": _iso(a.created_at),
                "acknowledged_at": _iso(a.acknowledged_at),
            }
            for a in Alert.objects.filter(patient=patient).order_by("created_at", "pk")
        ],
        "health_access": [
            {
                "at": _iso(h.at),
                "viewer": _person(h.viewer),
                "viewer_role": h.viewer.get_role_display(),
                "what": h.what,
            }
            for h in HealthAccess.objects.filter(patient=patient)
            .select_related("viewer")
            .order_by("at", "pk")
        ],
        "record_access_grants": [
            {
                "granted_at": _iso(g.granted_at),
                "expires_at": _iso(g.expires_at),
                "viewer": _person(g.viewer),
                "reason": g.reason,
            }
            for g in RecordAccessGrant.objects.filter(patient=patient)
            .select_related("viewer")
            .order_by("granted_at", "pk")
        ],
    }


def archive_bytes(patient: User, data: dict[str, Any]) -> bytes:
    """The zip: ``data.json`` (machine-readable) and ``summary.html`` (readable, a template)."""
    summary = render_to_string(
        "portal/export_summary.html",
        {"data": data, "patient": patient, "clinic": patient.clinic or Clinic.objects.current()},
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
        )
        archive.writestr("summary.html", summary)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------
# Building and sending (the Celery task's body)


def build(export_id: int, *, now: datetime | None = None) -> str:
    """Build one requested export, store it encrypted and email the link; safe to run twice.

    Returns "built", "resent" (already built: the email is put again, which the outbox's key
    makes a no-op once sent) or "gone" (downloaded, expired or unknown).
    """
    now = now or timezone.now()
    with transaction.atomic():
        export = (
            DataExport.objects.select_for_update(of=("self",))
            .select_related("patient__clinic")
            .filter(pk=export_id)
            .first()
        )
        if export is None or export.status in (ExportStatus.DOWNLOADED, ExportStatus.EXPIRED):
            return "gone"
        if export.status == ExportStatus.READY:
            outcome = "resent"
        else:
            zipped = archive_bytes(export.patient, collect(export.patient, now=now))
            export.archive = fernet().encrypt(zipped)
            export.size_bytes = len(zipped)
            export.status = ExportStatus.READY
            export.ready_at = now
            export.expires_at = now + timedelta(days=EXPORT_DAYS)
            export.save(update_fields=["archive", "size_bytes", "status", "ready_at", "expires_at"])
            record_action(
                action=AuditAction.DATA_EXPORT_PRODUCED,
                actor=None,
                subject=export.patient,
                detail={"export": str(export.pk), "size_bytes": str(len(zipped))},
            )
            outcome = "built"
        if not export.handover:
            transaction.on_commit(lambda: send_link(export_id))
    return outcome


def send_link(export_id: int) -> None:
    """Email the patient their download link through the outbox, once per export."""
    from followup.models import MessageKind
    from followup.outbox import deliver, outbox_put

    export = DataExport.objects.select_related("patient").filter(pk=export_id).first()
    if export is None or export.status != ExportStatus.READY:
        return
    row, _ = outbox_put(
        kind=MessageKind.DATA_EXPORT,
        recipient=export.patient,
        extra=f"export:{export.pk}",
        due_at=timezone.now(),
    )
    deliver(row.pk)


def link_context(export_id: int) -> dict[str, Any] | None:
    """What the link email says (for the outbox), or None if there is nothing to download."""
    export = DataExport.objects.filter(
        pk=export_id, status=ExportStatus.READY, expires_at__gt=timezone.now()
    ).first()
    if export is None or export.expires_at is None:
        return None
    return {"export": export, "link": download_url(export), "expires_at": export.expires_at}


def download_token(export: DataExport) -> str:
    """The signed part of ``export``'s download address (its id; valid ``EXPORT_DAYS``)."""
    return signing.dumps({"export": export.pk}, salt=SIGNING_SALT, compress=True)


def download_url(export: DataExport) -> str:
    """The absolute download address for the link email."""
    return settings.SITE_URL.rstrip("/") + reverse("export_download", args=[download_token(export)])


# ---------------------------------------------------------------------------------------------
# Downloading


@dataclass(frozen=True)
class Refused:
    """Why a link gives no file: ``used``, ``expired`` or ``unknown`` (wrong patient too)."""

    why: str


def take_download(*, token: str, user: User, now: datetime | None = None) -> bytes | Refused:
    """The zip behind ``token`` for ``user`` (once), or why not; the archive is wiped as it goes."""
    now = now or timezone.now()
    try:
        payload = signing.loads(token, salt=SIGNING_SALT, max_age=timedelta(days=EXPORT_DAYS))
    except signing.SignatureExpired:
        return Refused("expired")
    except signing.BadSignature:
        return Refused("unknown")
    export_id = payload.get("export") if isinstance(payload, dict) else None
    if not isinstance(export_id, int):
        return Refused("unknown")
    with transaction.atomic():
        export = (
            DataExport.objects.select_for_update().filter(pk=export_id, patient_id=user.pk).first()
        )
        if export is None:
            return Refused("unknown")
        if export.status == ExportStatus.DOWNLOADED:
            return Refused("used")
        if (
            export.status != ExportStatus.READY
            or export.archive is None
            or export.expires_at is None
            or export.expires_at <= now
        ):
            return Refused("expired")
        zipped = fernet().decrypt(bytes(export.archive))
        DataExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.DOWNLOADED, downloaded_at=now, archive=None
        )
        record_action(
            action=AuditAction.DATA_EXPORT_DOWNLOADED,
            actor=user,
            subject=user,
            detail={"export": str(export.pk), "channel": export.channel},
        )
    return zipped


def take_handover(*, export_id: int, by: User, now: datetime | None = None) -> bytes | Refused:
    """The zip of a hand-over export for the desk member ``by`` (once), or why not."""
    now = now or timezone.now()
    with transaction.atomic():
        export = (
            DataExport.objects.select_for_update()
            .filter(pk=export_id, handover=True, clinic=by.clinic or Clinic.objects.current())
            .first()
        )
        if export is None:
            return Refused("unknown")
        if export.status == ExportStatus.DOWNLOADED:
            return Refused("used")
        if export.status != ExportStatus.READY or export.archive is None:
            return Refused("expired")
        if export.expires_at is None or export.expires_at <= now:
            return Refused("expired")
        zipped = fernet().decrypt(bytes(export.archive))
        DataExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.DOWNLOADED, downloaded_at=now, archive=None
        )
        record_action(
            action=AuditAction.DATA_EXPORT_DOWNLOADED,
            actor=by,
            subject=export.patient,
            detail={"export": str(export.pk), "channel": export.channel, "delivery": "handover"},
        )
    return zipped


def file_name(now: datetime | None = None) -> str:
    return f"my-data-{(now or timezone.now()):%Y-%m-%d}.zip"


# ---------------------------------------------------------------------------------------------
# Clean-up (beat)


def delete_expired(*, now: datetime | None = None) -> int:
    """Wipe the archives of exports whose link has lapsed; returns how many."""
    now = now or timezone.now()
    return DataExport.objects.filter(status=ExportStatus.READY, expires_at__lte=now).update(
        status=ExportStatus.EXPIRED, archive=None
    )


def recent_exports(clinic: Clinic, *, limit: int = 50) -> list[DataExport]:
    """The latest requests, for the front desk's page (no health data: who, how, when, state)."""
    return list(
        DataExport.objects.filter(clinic=clinic)
        .select_related("patient", "requested_by")
        .defer("archive")[:limit]
    )
