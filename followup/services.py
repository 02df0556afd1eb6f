"""Follow-up writes: the questionnaire's advice email, and answering a check-in.

``checkin_submit`` stores the answers (encrypted), applies the check-in rules of
``intake.triage`` and carries out the outcome: alerts, flags, the re-check and the urgent
advice email, all idempotent on the check-in's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.models import Booking
from followup.advice import INTAKE_SOURCE
from followup.models import CheckIn, CheckInStage, MessageKind
from followup.outbox import deliver
from followup.visits import treatment_number, why_not_checked_in
from intake.checkin_triage import CheckinFacts, checkin_outcome
from intake.diary_entries import diary_add
from intake.models import Alert, AlertLevel, DiaryEntry, DiarySource, FlagKind, PatientFlag
from intake.services import alert_raise, flag_raise, known_history
from intake.triage import INTAKE_RED_FLAG, Level, Outcome
from portal.messaging import outbox_put

# Alerts raised from a check-in have source keys "checkin:<id>".
CHECKIN_SOURCE = "checkin:"


def intake_advice_requested(alert_id: int) -> None:
    """Email the patient their level's advice once, now (intake's alert hand-off, on commit).

    The outbox's unique key (kind, patient, alert id) makes a retried or duplicated hand-off
    send nothing more.
    """
    alert = (
        Alert.objects.select_related("patient")
        .filter(pk=alert_id, kind=INTAKE_RED_FLAG, source_key__startswith=INTAKE_SOURCE)
        .first()
    )
    if alert is None:
        return
    row, _ = outbox_put(
        kind=MessageKind.INTAKE_ADVICE,
        to_user=alert.patient,
        dedupe_key=str(alert.pk),
        due_at=timezone.now(),
        send_now=False,
    )
    deliver(row.pk)


class CheckInError(Exception):
    """A check-in that cannot be taken, with a message fit to show the patient."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AlreadyAnswered(CheckInError):
    pass


@dataclass(frozen=True)
class CheckInResult:
    checkin: CheckIn
    outcome: Outcome


@dataclass(frozen=True)
class _History:
    comparisons: tuple[str, ...]
    checkin_pain: tuple[int, ...]
    daily_pain: tuple[int, ...]


def _history(booking: Booking, now: datetime) -> _History:
    """Earlier 48-hour comparisons and scores (oldest first), and one pain score per earlier
    day this week."""
    earlier = list(
        CheckIn.objects.filter(
            patient_id=booking.patient_id,
            stage=CheckInStage.CHECKIN,
            booking__starts_at__lt=booking.starts_at,
        ).order_by("booking__starts_at")
    )
    comparisons = tuple(str(c.answers.get("comparison", "")) for c in earlier)
    checkin_pain = tuple(int(c.answers.get("pain_now", 0)) for c in earlier)
    tz = booking.clinic.tz
    today = now.astimezone(tz).date()
    by_day: dict[Any, int] = {}
    # The pain diary holds both diary entries and earlier check-in answers.
    recent = DiaryEntry.objects.filter(
        patient_id=booking.patient_id, recorded_at__gte=now - timedelta(days=7), recorded_at__lt=now
    ).order_by("recorded_at")
    for entry in recent.only("recorded_at", "pain"):
        day = entry.recorded_at.astimezone(tz).date()
        if day < today:
            by_day[day] = entry.pain  # the day's latest score wins
    return _History(comparisons, checkin_pain, tuple(by_day[d] for d in sorted(by_day)))


def checkin_submit(
    *, booking: Booking, stage: CheckInStage, answers: dict[str, Any], now: datetime | None = None
) -> CheckInResult:
    """Store a check-in answer once and act on it; raises AlreadyAnswered or CheckInError."""
    now = now or timezone.now()
    reason = why_not_checked_in(booking, now)
    if reason:
        raise CheckInError(reason)
    number = treatment_number(booking)
    history = _history(booking, now)
    facts = CheckinFacts(
        stage=str(stage),
        comparison=answers["comparison"],
        pain_now=answers["pain_now"],
        treatment_number=number,
        red_flags=tuple(answers.get("red_flags", ())),
        wants_call=bool(answers.get("wants_call")),
        earlier_comparisons=history.comparisons,
        earlier_checkin_pain=history.checkin_pain,
        earlier_daily_pain=history.daily_pain,
        note=str(answers.get("note", "")),
        known_reasons=_known_reasons(booking),
        open_red_flag=PatientFlag.objects.filter(
            patient_id=booking.patient_id,
            kind__in=(FlagKind.EMERGENCY, FlagKind.URGENT),
            cleared_at__isnull=True,
        ).exists(),
    )
    outcome = checkin_outcome(facts)
    try:
        with transaction.atomic():
            checkin = CheckIn(
                booking=booking,
                patient_id=booking.patient_id,
                stage=stage,
                treatment_number=number,
            )
            # Set apart from the constructor: the encrypted fields hold JSON, not text.
            checkin.answers = answers
            checkin.outcome = {
                "notes": list(outcome.notes),
                "advice": _advice(outcome),
                # What the patient's page and the urgent-advice email need (encrypted).
                "level": outcome.level.value if outcome.level else "",
                "reasons": list(outcome.reasons),
                "safety_net": outcome.safety_net,
            }
            checkin.save(force_insert=True)
            _to_diary(checkin, booking, answers, now)
            _carry_out(checkin, booking, outcome, now)
    except IntegrityError:
        # The unique (booking, stage) constraint: a second tab or a double click.
        raise AlreadyAnswered("You have already answered this check-in. Thank you.") from None
    from followup.tasks import dispatch_due

    # Urgent alerts and advice go out now, not at the next beat tick.
    transaction.on_commit(dispatch_due.delay)
    return CheckInResult(checkin=checkin, outcome=outcome)


def _known_reasons(booking: Booking) -> tuple[str, ...]:
    """What the team already has from the intake (an old cancer, a blood thinner), so a
    check-in that mentions it again does not raise it again, and a fall on a blood thinner
    counts as one."""
    return known_history(booking.patient)


def _advice(outcome: Outcome) -> list[str]:
    """Which advice the patient was given, for their history page."""
    shown = {
        "emergency": outcome.level == Level.EMERGENCY,
        "urgent": outcome.urgent_advice,
        "gp": outcome.advise_gp,
        "safety_net": outcome.safety_net and not outcome.urgent_advice,
        "reassure": outcome.reassure,
        "recheck": outcome.recheck,
    }
    return [name for name, on in shown.items() if on]


def _to_diary(checkin: CheckIn, booking: Booking, answers: dict[str, Any], now: datetime) -> None:
    """The answer goes into the pain diary and chart, tagged with what the patient noticed."""
    tags = list(answers.get("reactions", []))
    tags += [key for key in ("needle_site_soreness", "bruising") if answers.get(key)]
    diary_add(
        patient=booking.patient,
        pain=int(answers["pain_now"]),
        note=str(answers.get("note", "")),
        tags=tags,
        recorded_at=now,
        source=DiarySource.CHECKIN,
        # The diary keeps one entry per visit for the 48-hour check-in; a re-check is its own.
        booking=booking if checkin.stage == CheckInStage.CHECKIN else None,
    )


def _carry_out(checkin: CheckIn, booking: Booking, outcome: Outcome, now: datetime) -> None:
    source = f"{CHECKIN_SOURCE}{checkin.pk}"
    for level, kind, summary in outcome.alerts:
        alert_raise(
            patient=booking.patient,
            level=AlertLevel(level),
            kind=kind,
            source_key=source,
            summary=summary,
            practitioner=booking.practitioner,
            booking=booking,
        )
    local_start = booking.starts_at.astimezone(booking.clinic.tz)
    for flag in outcome.flags:
        flag_raise(
            patient=booking.patient,
            kind=FlagKind(flag),
            reason=f"Check-in after the visit on {local_start:%d %b}",
        )
    if outcome.recheck:
        due = booking.ends_at + timedelta(days=booking.clinic.recheck_after_days)
        outbox_put(
            kind=MessageKind.RECHECK,
            to_user=booking.patient,
            booking=booking,
            due_at=max(due, now),
            send_now=False,
        )
    if outcome.urgent_advice:
        outbox_put(
            kind=MessageKind.URGENT_ADVICE,
            to_user=booking.patient,
            booking=booking,
            dedupe_key=checkin.stage,
            due_at=now,
            send_now=False,
        )
