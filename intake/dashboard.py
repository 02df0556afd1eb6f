"""What every team dashboard shows from intake: emergency and urgent alerts (the whole team's),
today's tasks (a call asked for, answers to review), what was done today and how quickly, and
patients whose treatment is on hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from intake.models import PAGING_LEVELS, SAME_DAY_LEVELS, Alert, PatientFlag
from portal import policy
from portal.models import Clinic, Role, User


def minutes_words(span: timedelta) -> str:
    """A duration as people say it: "under a minute", "12 min", "2 h 5 min"."""
    minutes = int(span.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


@dataclass(frozen=True)
class AlertRow:
    alert: Alert
    # Whether the viewer may open the patient's health record (``portal.policy``): the link
    # is shown only then; a practitioner outside the care relationship is offered "see this
    # record anyway" instead.
    can_open: bool
    # "waiting 12 min" while open; "after 12 min" once acknowledged.
    waited: str


@dataclass(frozen=True)
class FlagRow:
    flag: PatientFlag
    # Whether the viewer may open the record, and so clear the hold (``portal.policy``).
    can_open: bool


def team_attention(user: User, *, now: datetime | None = None) -> dict[str, Any]:
    """Open emergency and urgent alerts (every team member sees all of the clinic's), open
    same-day tasks (a practitioner's own and the team's; the desk sees all), what was
    acknowledged today with the time it took, and treatment on hold.

    Whoever is on duty sees who and at what level, so they can act; the alert's summary and the
    record behind it only as ``portal.policy`` allows (``can_open``)."""
    if user.clinic_id is None:
        return {"paging_alerts": [], "today_tasks": [], "done_today": [], "on_hold": []}
    now = now or timezone.now()
    # The user's own clinic: already loaded for the request (portal.team_security).
    clinic = user.clinic or Clinic.objects.current()
    alerts = Alert.objects.filter(clinic_id=clinic.pk).select_related(
        "patient", "practitioner", "acknowledged_by", "claimed_by", "booking"
    )
    mine = Q()
    if user.role != Role.STAFF:
        mine = Q(practitioner__isnull=True) | Q(practitioner__user=user)
    paging = list(
        alerts.filter(level__in=PAGING_LEVELS, acknowledged_at__isnull=True).order_by("created_at")[
            :30
        ]
    )
    tasks = list(
        alerts.filter(mine, level__in=SAME_DAY_LEVELS, acknowledged_at__isnull=True).order_by(
            "created_at"
        )[:30]
    )
    midnight = datetime.combine(now.astimezone(clinic.tz).date(), datetime.min.time(), clinic.tz)
    done_q = alerts.filter(level__in=PAGING_LEVELS | SAME_DAY_LEVELS, acknowledged_at__gte=midnight)
    if user.role != Role.STAFF:
        # Everyone sees the team's emergencies; a practitioner sees their own tasks.
        done_q = done_q.filter(Q(level__in=PAGING_LEVELS) | mine)
    done = list(done_q.order_by("-acknowledged_at")[:20])
    on_hold = list(
        PatientFlag.objects.holding_treatment()
        .filter(clinic_id=clinic.pk)
        .select_related("patient")
        .order_by("-raised_at")[:30]
    )
    readable = policy.readable_among(
        user, {a.patient_id for a in paging + tasks + done} | {f.patient_id for f in on_hold}
    )

    def row(alert: Alert) -> AlertRow:
        span = alert.time_to_acknowledge or (now - alert.created_at)
        return AlertRow(alert, alert.patient_id in readable, minutes_words(span))

    return {
        "paging_alerts": [row(a) for a in paging],
        "today_tasks": [row(a) for a in tasks],
        "done_today": [row(a) for a in done],
        "on_hold": [FlagRow(f, f.patient_id in readable) for f in on_hold],
        "may_see_anyway": policy.is_practitioner(user),
    }


def attention_patients(attention: dict[str, Any]) -> set[int]:
    """The patients ``team_attention`` names with an alert or a hold: each sighting is a read
    for their access log."""
    rows = attention["paging_alerts"] + attention["today_tasks"] + attention["done_today"]
    return {r.alert.patient_id for r in rows} | {r.flag.patient_id for r in attention["on_hold"]}
