"""Read-only follow-up facts for pages: a patient's check-ins and guidance, a practitioner's
alerts and flags. Each function runs a fixed number of queries, whatever the row count."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from followup.forms import REACTIONS
from followup.links import make_token, max_age
from followup.models import (
    GUIDANCE_KINDS,
    CheckIn,
    CheckInStage,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
)
from intake.checkin_triage import CHECKIN_SIGNS, COMPARISONS, LEGACY_SIGNS
from intake.models import PAUSING_FLAGS, AlertLevel
from portal import policy
from portal.models import User

ASKING_KINDS = {
    MessageKind.CHECKIN: CheckInStage.CHECKIN,
    MessageKind.CHECKIN_CHASER: CheckInStage.CHECKIN,
    MessageKind.RECHECK: CheckInStage.RECHECK,
}


def checkin_unanswered(patient: Any, *, now: datetime) -> Exists:
    """Whether ``patient`` (an id or an ``OuterRef``) was asked for a check-in whose link still
    works and which has no answer for that visit and stage: an expression for annotations."""
    asked_stage = Case(
        *[When(kind=kind, then=Value(str(stage))) for kind, stage in ASKING_KINDS.items()],
        output_field=CharField(),
    )
    answered = CheckIn.objects.filter(booking_id=OuterRef("booking_id"), stage=OuterRef("asks"))
    return Exists(
        OutboxMessage.objects.filter(
            recipient=patient,
            kind__in=list(ASKING_KINDS),
            status=OutboxStatus.SENT,
            sent_at__gt=now - max_age(),
        )
        .annotate(asks=asked_stage)
        .filter(~Exists(answered))
    )


@dataclass(frozen=True)
class OpenCheckIn:
    booking: Booking
    stage: CheckInStage
    url: str


def open_checkins(patient: User, *, now: datetime | None = None) -> list[OpenCheckIn]:
    """Check-ins we asked for, still unanswered and whose link still works, newest first."""
    now = now or timezone.now()
    asked = (
        OutboxMessage.objects.filter(
            recipient=patient,
            kind__in=list(ASKING_KINDS),
            status=OutboxStatus.SENT,
            sent_at__gt=now - max_age(),
        )
        .select_related("booking__service", "booking__practitioner")
        .order_by("-sent_at")
    )
    answered = set(CheckIn.objects.filter(patient=patient).values_list("booking_id", "stage"))
    found: dict[tuple[int, str], OpenCheckIn] = {}
    for row in asked:
        assert row.booking is not None
        stage = ASKING_KINDS[MessageKind(row.kind)]
        key = (row.booking.pk, str(stage))
        if key in answered or key in found:
            continue
        token = make_token(booking_id=row.booking.pk, stage=stage)
        found[key] = OpenCheckIn(row.booking, stage, reverse("followup:checkin", args=[token]))
    return list(found.values())


def patient_history(patient: User) -> dict[str, object]:
    """The patient's answered check-ins and the guidance we sent them."""
    checkins = list(
        CheckIn.objects.filter(patient=patient)
        .select_related("booking__service", "booking__practitioner")
        .order_by("-submitted_at")[:50]
    )
    guidance = list(
        OutboxMessage.objects.filter(
            recipient=patient, kind__in=GUIDANCE_KINDS, status=OutboxStatus.SENT
        )
        .select_related("booking__service")
        .order_by("-sent_at")[:20]
    )
    return {"checkins": checkins, "guidance": guidance}


@dataclass(frozen=True)
class CheckinNote:
    """A patient's latest check-in answer in words, for the practitioner's visit and patient
    pages (health data: only where ``policy.may_read_record``, and the read is logged)."""

    checkin: CheckIn
    comparison: str
    pain_now: int | None
    after_effects: list[str]
    signs: list[str]
    note: str
    wants_call: bool


_SIGN_WORDS = dict(CHECKIN_SIGNS)


def latest_checkin_note(patient: User) -> CheckinNote | None:
    """The patient's most recent check-in (48-hour or re-check): its answers and free text."""
    checkin = (
        CheckIn.objects.filter(patient=patient)
        .select_related("booking__service", "booking__practitioner")
        .order_by("-submitted_at")
        .first()
    )
    if checkin is None:
        return None
    answers = checkin.answers if isinstance(checkin.answers, dict) else {}
    effects = [
        words
        for key, words in (
            ("needle_site_soreness", "Soreness where the needles went in"),
            ("bruising", "A bruise where a needle went in"),
        )
        if answers.get(key)
    ]
    effects += [dict(REACTIONS).get(str(r), str(r)) for r in answers.get("reactions", [])]
    signs = []
    for key in answers.get("red_flags", []):
        key = LEGACY_SIGNS.get(str(key), str(key))
        signs.append(_SIGN_WORDS.get(key, key.replace("_", " ").capitalize()))
    pain = answers.get("pain_now")
    return CheckinNote(
        checkin=checkin,
        comparison=dict(COMPARISONS).get(str(answers.get("comparison", "")), ""),
        pain_now=pain if isinstance(pain, int) else None,
        after_effects=effects,
        signs=list(dict.fromkeys(signs)),
        note=str(answers.get("note", "")),
        wants_call=bool(answers.get("wants_call")),
    )


def practitioner_followup(user: User) -> dict[str, object]:
    """Routine check-in notes for this practitioner and open treatment flags on the clinic's
    patients. Emergency and urgent alerts, today's tasks and treatment on hold are the team's
    "Needs attention now" box (``intake.dashboard``)."""
    mine = Q(practitioner__isnull=True) | Q(practitioner__user=user)
    # Only patients whose record this practitioner may read (``portal.policy``).
    alerts = list(
        policy.alerts_for(user)
        .filter(
            mine,
            level__in=(AlertLevel.TODAY, AlertLevel.REVIEW, AlertLevel.ROUTINE),
            acknowledged_at__isnull=True,
        )
        .select_related("patient", "booking")
        .order_by("-created_at")[:30]
    )
    same_day = [a for a in alerts if a.level == AlertLevel.TODAY]
    alerts = same_day + [a for a in alerts if a.level != AlertLevel.TODAY]
    flags = list(
        policy.flags_for(user)
        .filter(cleared_at__isnull=True)
        .exclude(kind__in=PAUSING_FLAGS)
        .select_related("patient")
        .order_by("patient__first_name", "patient__last_name", "kind")[:50]
    )
    return {"followup_alerts": alerts, "followup_flags": flags}


def followup_patients(followup: dict[str, Any]) -> set[int]:
    """The patients ``practitioner_followup`` shows a check-in note or a flag for."""
    return {a.patient_id for a in followup["followup_alerts"]} | {
        f.patient_id for f in followup["followup_flags"]
    }
