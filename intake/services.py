"""Writes about a patient's health: access logging, alerts and flags, and the questionnaire
(start, save a draft, submit); the pain diary's are ``intake.diary_entries``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, FilteredRelation, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from booking.models import Booking, Practitioner
from intake.forms import SectionForm, raw_from_typed, validate_all
from intake.models import (
    PAGING_LEVELS,
    PAUSING_FLAGS,
    SAME_DAY_LEVELS,
    Alert,
    AlertLevel,
    FlagKind,
    IntakeResponse,
    PatientFlag,
    ResponseStatus,
)
from intake.questionnaire import CONSENT_VERSION, FULL, SHORT, Questionnaire, Section, current
from intake.tasks import hand_off_alert
from intake.triage import TOGETHER_CAUTIONS, Level, Outcome, cautions, intake_outcome
from portal.audit import AuditAction, record_action
from portal.models import Clinic, User
from portal.phones import as_typed


def clinic_id_of(person: User) -> int:
    """The clinic a patient's health records are kept under (the one clinic when unset)."""
    return person.clinic_id or Clinic.objects.current().pk


# Levels handed off at once: the team is told (emergency, urgent) and the patient gets their
# level's advice email (emergency, urgent, review; see followup.advice).
HANDED_OFF = PAGING_LEVELS | {AlertLevel.REVIEW}


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
    """Raise an alert once per (kind, source_key); returns it and whether it is new.

    A new emergency, urgent or review alert is handed off after the commit
    (``intake.tasks.hand_off_alert``): the team is told at once of emergency and urgent ones and
    the patient gets their level's advice; same-day tasks wait on the dashboard, routine ones
    for the daily digest.
    """
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                clinic_id=clinic_id_of(patient),
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
    if level in HANDED_OFF:
        transaction.on_commit(partial(hand_off_alert.delay, alert.pk))
    return alert, True


def alert_acknowledge(*, alert: Alert, by: User) -> bool:
    """Mark an alert read; a second click (or a colleague's) changes nothing."""
    with transaction.atomic():
        changed = Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=timezone.now(), acknowledged_by=by
        )
        if changed:
            # The level only where every team dashboard shows it: the owner reads the trail
            # and no health data (a routine alert is a check-in note on the record).
            detail: dict[str, object] = {"alert": alert.pk}
            if alert.level in PAGING_LEVELS | SAME_DAY_LEVELS:
                detail["level"] = alert.level
            record_action(
                action=AuditAction.ALERT_ACKNOWLEDGED,
                actor=by,
                subject=alert.patient,
                detail=detail,
            )
    return bool(changed)


def alert_claim(*, alert: Alert, by: User) -> tuple[Alert, bool]:
    """``by`` takes on an open alert ("I'll handle this"). Returns the alert as it now stands
    (``claimed_by`` is whoever has it) and whether ``by`` got it with this click: of two
    people clicking at once, the conditional update lets exactly one win."""
    changed = Alert.objects.filter(
        pk=alert.pk, claimed_by__isnull=True, acknowledged_at__isnull=True
    ).update(claimed_by=by, claimed_at=timezone.now())
    current = Alert.objects.select_related("claimed_by", "patient").get(pk=alert.pk)
    return current, bool(changed)


def flag_raise(*, patient: User, kind: FlagKind, reason: str) -> tuple[PatientFlag, bool]:
    """Open a flag on the patient unless one of that kind is already open."""
    try:
        with transaction.atomic():
            flag = PatientFlag.objects.create(
                clinic_id=clinic_id_of(patient), patient=patient, kind=kind, reason=reason[:300]
            )
    except IntegrityError:
        return PatientFlag.objects.get(patient=patient, kind=kind, cleared_at__isnull=True), False
    return flag, True


def flag_clear(*, flag: PatientFlag, by: User, note: str = "", because: str = "by_hand") -> bool:
    """Clear an open flag; clearing twice changes nothing. ``because`` says in the audit trail
    how it was cleared (by hand, or a rule such as a gentler treatment recorded)."""
    with transaction.atomic():
        changed = PatientFlag.objects.filter(pk=flag.pk, cleared_at__isnull=True).update(
            cleared_at=timezone.now(), cleared_by=by, clear_note=note[:300]
        )
        if changed:
            # The kind and why only for a flag that holds treatment, which every team dashboard
            # shows: the owner reads the trail and no health data ("treat more gently" says
            # the patient reacted badly to a treatment).
            detail: dict[str, object] = {"flag": flag.pk}
            if flag.kind in PAUSING_FLAGS:
                detail.update(kind=flag.kind, because=because)
            record_action(
                action=AuditAction.FLAG_CLEARED, actor=by, subject=flag.patient, detail=detail
            )
    return bool(changed)


@dataclass(frozen=True)
class ContactFacts:
    """Who a patient is, from their latest questionnaire: what the team checks on the phone."""

    born_on: date | None
    phone: str


def contact_facts(patients: QuerySet[User]) -> dict[int, ContactFacts]:
    """Date of birth and phone from each patient's latest submitted questionnaire, by patient
    id. The answers are encrypted, so they are decrypted here in Python: two queries whatever
    the number (about 0.3 s for 2,000 patients, tests/practice/test_patient_search.py)."""
    latest = (
        IntakeResponse.objects.filter(patient=OuterRef("patient"), status=ResponseStatus.SUBMITTED)
        .order_by("-submitted_at")
        .values("pk")[:1]
    )
    rows = IntakeResponse.objects.filter(
        patient__in=patients.values("pk"), pk=Subquery(latest)
    ).values_list("patient_id", "answers")
    facts = {}
    for patient_id, answers in rows:
        born = answers.get("date_of_birth") if isinstance(answers, dict) else None
        try:
            born_on = date.fromisoformat(born) if isinstance(born, str) else None
        except ValueError:
            born_on = None
        phone = answers.get("phone") if isinstance(answers, dict) else ""
        facts[patient_id] = ContactFacts(born_on, phone if isinstance(phone, str) else "")
    return facts


def contact_phone(patient: User) -> str:
    """The number to ring: the account's, else the one given in the latest questionnaire."""
    if patient.phone:
        return patient.phone
    facts = contact_facts(User.objects.filter(pk=patient.pk)).get(patient.pk)
    return facts.phone if facts is not None else ""


def open_flags(patient: User) -> list[PatientFlag]:
    return list(PatientFlag.objects.filter(patient=patient, cleared_at__isnull=True))


def open_flags_join(patient: str) -> FilteredRelation:
    """The open flags of the patient at the relation path ``patient`` (e.g. a booking's
    "patient"), as a join to annotate with: a row per open flag, or one with none."""
    return FilteredRelation(
        f"{patient}__flags", condition=Q(**{f"{patient}__flags__cleared_at__isnull": True})
    )


def intake_submitted(patient: Any) -> Exists:
    """Whether ``patient`` (an id or an ``OuterRef``) has sent a questionnaire: an expression
    to annotate bookings or patients with."""
    return Exists(IntakeResponse.objects.filter(patient=patient, status=ResponseStatus.SUBMITTED))


def booking_paused(patient: User) -> bool:
    """Whether online booking of treatment is paused for this patient (an open pausing flag)."""
    return intake_standing(patient).paused


# --- The questionnaire -------------------------------------------------------------------


class IntakeError(Exception):
    """A questionnaire request that cannot be met, with a message fit to show the patient."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IntakeIncomplete(IntakeError):
    """Some answers need attention before the questionnaire can be sent."""

    def __init__(self, problems: list[SectionForm]) -> None:
        super().__init__("Some answers need checking before you send the questionnaire.")
        self.problems = problems


@dataclass(frozen=True)
class SubmitResult:
    response: IntakeResponse
    outcome: Outcome


def latest_submitted(
    patient: User, *, kinds: tuple[str, ...] = (FULL, SHORT)
) -> IntakeResponse | None:
    """The patient's newest submitted response of one of ``kinds``."""
    return (
        IntakeResponse.objects.filter(
            patient=patient, status=ResponseStatus.SUBMITTED, kind__in=kinds
        )
        .order_by("-submitted_at")
        .first()
    )


@dataclass(frozen=True)
class IntakeStanding:
    """Where a patient stands for booking: a pausing flag open (``PAUSING_FLAGS``), and which
    questionnaires were sent."""

    paused: bool
    sent: frozenset[str]


# The busiest page (the week of open times) asks this on every view. Written as SQL
# because building the equivalent ORM query costs more than running it (~1.5 ms).
_PAUSING_IN = ", ".join(f"%(pause{i})s" for i in range(len(PAUSING_FLAGS)))
_STANDING_SQL = f"""
SELECT
  EXISTS (SELECT 1 FROM intake_patientflag
          WHERE patient_id = %(patient)s AND kind IN ({_PAUSING_IN}) AND cleared_at IS NULL),
  EXISTS (SELECT 1 FROM intake_intakeresponse
          WHERE patient_id = %(patient)s AND status = %(sent)s AND kind = %(full)s),
  EXISTS (SELECT 1 FROM intake_intakeresponse
          WHERE patient_id = %(patient)s AND status = %(sent)s AND kind = %(short)s)
"""  # noqa: S608 - only placeholders are formatted in


def intake_standing(patient: User) -> IntakeStanding:
    """Whether a pausing flag is open and which kinds of questionnaire were sent, in one round
    trip; the one place these rules are written."""
    params: dict[str, int | str] = {
        "patient": patient.pk,
        **{f"pause{i}": kind.value for i, kind in enumerate(PAUSING_FLAGS)},
        "sent": ResponseStatus.SUBMITTED.value,
        "full": FULL,
        "short": SHORT,
    }
    with connection.cursor() as cursor:
        cursor.execute(_STANDING_SQL, params)
        paused, full, short = cursor.fetchone()
    kinds = {FULL: full, SHORT: short}
    return IntakeStanding(paused=bool(paused), sent=frozenset(k for k, yes in kinds.items() if yes))


def has_complete_intake(patient: User, *, kinds: tuple[str, ...] = (FULL,)) -> bool:
    """Whether the patient has sent a questionnaire of one of ``kinds``."""
    return not intake_standing(patient).sent.isdisjoint(kinds)


def _prefill(patient: User, questionnaire: Questionnaire) -> dict[str, object]:
    # An update starts from what the patient said last time (a full one over a short one).
    previous = latest_submitted(patient, kinds=(FULL,)) or latest_submitted(patient)
    answers = raw_from_typed(questionnaire, previous.answers) if previous is not None else {}
    # What the account already knows (from sign-up or the front desk) is not asked twice.
    questions = questionnaire.questions_by_key
    if "phone" in questions and not answers.get("phone") and patient.phone:
        answers["phone"] = as_typed(patient.phone)
    if "date_of_birth" in questions and not answers.get("date_of_birth") and patient.date_of_birth:
        answers["date_of_birth"] = patient.date_of_birth.isoformat()
    return answers


def intake_start(*, patient: User, kind: str) -> IntakeResponse:
    """The patient's draft of ``kind``: the one in progress, or a new one (prefilled).

    A draft begun under an older version of the questions moves to the current
    version, keeping every answer whose question still exists.
    """
    questionnaire = current(kind)
    draft = IntakeResponse.objects.filter(
        patient=patient, kind=kind, status=ResponseStatus.DRAFT
    ).first()
    if draft is not None:
        if draft.version != questionnaire.version:
            keep = questionnaire.questions_by_key
            draft.answers = {k: v for k, v in draft.answers.items() if k in keep}
            draft.version = questionnaire.version
            draft.save(update_fields=["answers", "version", "updated_at"])
        return draft
    try:
        with transaction.atomic():
            return IntakeResponse.objects.create(
                clinic_id=clinic_id_of(patient),
                patient=patient,
                kind=kind,
                version=questionnaire.version,
                answers=_prefill(patient, questionnaire),
            )
    except IntegrityError:
        # Started at the same moment in another tab: that draft is the one.
        return IntakeResponse.objects.get(patient=patient, kind=kind, status=ResponseStatus.DRAFT)


def intake_save_draft(
    *, response: IntakeResponse, section: Section, raw: dict[str, object]
) -> IntakeResponse:
    """Keep what was typed into one section of a draft, valid or not."""
    with transaction.atomic():
        # Autosave and "save and continue" (or two tabs) may write the same draft at once;
        # the row lock makes each merge see the other's answers instead of overwriting them.
        draft = IntakeResponse.objects.select_for_update().get(pk=response.pk)
        if not draft.is_draft:
            raise IntakeError(
                "This questionnaire has already been sent. You can start an update from "
                "your health questionnaire page."
            )
        draft.answers = {**draft.answers, **raw}
        draft.last_step = section.slug
        draft.save(update_fields=["answers", "last_step", "updated_at"])
    return draft


def intake_submit(*, response: IntakeResponse, now: datetime | None = None) -> SubmitResult:
    """Validate and send a draft, then act on it: a red flag pauses booking and alerts the team.

    Raises ``IntakeIncomplete`` (with the sections to fix) and keeps the draft as it was.
    Submitting twice (a double click) acts once and returns the same result.
    """
    now = now or timezone.now()
    questionnaire = current(response.kind)
    draft = IntakeResponse.objects.get(pk=response.pk)
    if not draft.is_draft:
        return SubmitResult(draft, response_outcome(draft))
    validated = validate_all(questionnaire, draft.answers)
    if not validated.ok:
        raise IntakeIncomplete(validated.problems)
    outcome = intake_outcome(validated.answers, today=timezone.localdate(now))
    with transaction.atomic():
        # The status in the WHERE clause makes a double submit act once.
        changed = IntakeResponse.objects.filter(
            pk=draft.pk, status=ResponseStatus.DRAFT, updated_at=draft.updated_at
        ).update(
            status=ResponseStatus.SUBMITTED,
            answers=validated.answers,
            version=questionnaire.version,
            consent_version=CONSENT_VERSION,
            submitted_at=now,
            updated_at=now,
        )
        draft.refresh_from_db()
        if not changed:
            if draft.is_draft:
                raise IntakeError(
                    "Your answers changed while you were sending them (another tab or "
                    "window?). Please check them and send again."
                )
            return SubmitResult(draft, response_outcome(draft))
        apply_outcome(patient=draft.patient, outcome=outcome, source_key=f"intake:{draft.pk}")
    return SubmitResult(draft, outcome)


def response_outcome(response: IntakeResponse) -> Outcome:
    """What a submitted response led to, as on the day it was sent (the age rule needs it)."""
    sent = response.submitted_at or timezone.now()
    return intake_outcome(response.answers or {}, today=timezone.localdate(sent))


def known_history(patient: User) -> tuple[str, ...]:
    """What the latest intake told the team, against which later notes are read: its reasons
    (an old cancer, thin bones) and the cautions that complete a pair (a blood thinner)."""
    response = latest_submitted(patient)
    if response is None:
        return ()
    on_record = TOGETHER_CAUTIONS.intersection(cautions(response.answers or {}))
    return response_outcome(response).reasons + tuple(sorted(on_record))


# Why a flag is open, in words for the team (never the symptom: flags are stored in plain text).
INTAKE_FLAG_REASON = {
    Level.EMERGENCY: "Emergency signs in the intake questionnaire: told to call an ambulance "
    "or go to A&E",
    Level.URGENT: "Signs in the intake questionnaire needing same-day care: told to call their "
    "GP or the urgent advice line today; call them back today",
    Level.REVIEW: "Intake questionnaire needs a practitioner's review before any treatment",
}


def apply_outcome(
    *,
    patient: User,
    outcome: Outcome,
    source_key: str,
    flag_reasons: Mapping[Level, str] = INTAKE_FLAG_REASON,
) -> None:
    """Raise the outcome's flags (each level's with its reason from ``flag_reasons``) and
    alerts (each once per source); urgent ones reach the team at once (see ``alert_raise``)."""
    levels = {lv.value: lv for lv in Level}
    for flag in outcome.flags:
        flag_raise(
            patient=patient,
            kind=FlagKind(flag),
            reason=flag_reasons[levels[flag]]
            if flag in levels
            else "From the intake questionnaire",
        )
    for alert_level, kind, summary in outcome.alerts:
        alert_raise(
            patient=patient,
            level=AlertLevel(alert_level),
            kind=kind,
            source_key=source_key,
            summary=summary,
        )
