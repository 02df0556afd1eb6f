"""What "download my data" holds: every record about a patient as ``data.json`` (the published
schema, ``docs/schemas/patient-export.schema.json``) and a readable ``summary.html``, zipped.

Pure gathering, no state: ``portal.export`` stores, emails and hands the zip over. It reads the
other apps' records through imports inside functions only (docs/architecture.md, section 2);
``portal.patient_data`` lists which kinds go in.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone

from portal.models import Clinic, User

SCHEMA_VERSION = 4


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _paid_at_clinic(booking: Any) -> dict[str, Any] | None:
    """What was recorded as taken at the clinic for the visit, if anything."""
    taken = getattr(booking, "clinic_payment", None)  # none recorded: the reverse one-to-one raises
    if taken is None:
        return None
    return {
        "amount_minor": taken.amount_minor,
        "currency": taken.currency,
        "method": taken.method,
        "taken_at": _iso(taken.taken_at),
    }


def _person(user: Any) -> str | None:
    if user is None:
        return None
    return user.get_full_name() or user.email


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
        .select_related("service", "practitioner__user", "room", "booked_by", "clinic_payment")
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
                "paid_at_clinic": _paid_at_clinic(b),
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
                "until": w.until.isoformat() if w.until else None,
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
