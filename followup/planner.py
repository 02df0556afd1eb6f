"""The planner: every minute, add the outbox rows that have come due.

Rows are made when they are due rather than when a visit is booked, so a moved or cancelled
visit never leaves a message behind, and nothing sits in a queue for weeks. Each scan is
bounded to a recent window and skips visits that already have their row (the unique key makes
a second planner harmless anyway). The booking app knows nothing of this (arrows point
followup -> intake -> booking -> portal).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast

from booking.models import Booking, BookingStatus
from followup.advice import INTAKE_SOURCE
from followup.alerts import ack_deadline, alert_chase, clinic_practitioners, urgent_alert_put
from followup.messages import ON_HOLD, digest_alerts
from followup.models import (
    GUIDANCE_KINDS,
    CheckIn,
    CheckInStage,
    MessageKind,
    OutboxMessage,
    OutboxStatus,
)
from followup.visits import TREATMENT_KINDS, earlier_treatments
from intake.models import PAGING_LEVELS, Alert, PatientFlag
from intake.services import HANDED_OFF
from intake.triage import INTAKE_RED_FLAG
from portal.messaging import outbox_put
from portal.models import Clinic

# Visits further back than this get no check-in (e.g. when the feature is first switched on).
LOOKBACK = timedelta(days=7)
# First and second treatments get the fuller first-visit guidance.
FIRST_VISIT_GUIDANCE_UP_TO = 2


# Rows written per INSERT when a rule plans many at once (a morning after a backlog).
PUT_BATCH = 1000


def put_many(rows: list[OutboxMessage]) -> int:
    """Add planned rows in bulk, in one transaction; returns how many were handed over.

    The unique keys still decide: a row another planner added meanwhile is dropped by the
    database (``ignore_conflicts``) rather than failing the batch. The rules only hand over
    rows they found missing, so the count is exact unless two planners run at once.
    """
    with transaction.atomic():
        OutboxMessage.objects.bulk_create(rows, batch_size=PUT_BATCH, ignore_conflicts=True)
    return len(rows)


def _has_row(kinds: Collection[MessageKind]) -> Exists:
    return Exists(OutboxMessage.objects.filter(booking=OuterRef("pk"), kind__in=kinds))


def on_hold(patient: str = "patient") -> Exists:
    """Whether the patient (an ``OuterRef`` path) has an open pausing flag: their treatment is
    on hold until a practitioner clears it."""
    return Exists(PatientFlag.objects.holding_treatment().filter(patient=OuterRef(patient)))


def plan_guidance(clinic: Clinic, now: datetime) -> int:
    """Pre-visit (or first-visit) guidance, the clinic's set hours before each confirmed visit.

    Nothing before a treatment on hold; once the flag is cleared the visit is planned as usual, and
    guidance skipped at sending because of the hold is put back in the queue.
    """
    window = timedelta(hours=clinic.pre_visit_guidance_hours)
    due = Booking.objects.filter(
        clinic=clinic,
        status=BookingStatus.CONFIRMED,
        starts_at__gt=now,
        starts_at__lte=now + window,
    ).exclude(on_hold(), kind__in=TREATMENT_KINDS)
    made = OutboxMessage.objects.filter(
        booking__in=due, kind__in=GUIDANCE_KINDS, status=OutboxStatus.SKIPPED, last_error=ON_HOLD
    ).update(status=OutboxStatus.PENDING, due_at=now, enqueued_at=None, last_error="")
    visits = due.exclude(_has_row(GUIDANCE_KINDS)).annotate(earlier=earlier_treatments())
    rows = []
    for visit in visits.values("pk", "patient_id", "kind", "earlier"):
        # The first and second treatments get the fuller guidance (``treatment_number``).
        first = (
            visit["kind"] in TREATMENT_KINDS and visit["earlier"] + 1 <= FIRST_VISIT_GUIDANCE_UP_TO
        )
        kind = MessageKind.FIRST_VISIT if first else MessageKind.PRE_VISIT
        rows.append(_row(kind, visit["patient_id"], visit["pk"], now))
    return made + put_many(rows)


def _row(kind: MessageKind, recipient_id: int, booking_id: int, now: datetime) -> OutboxMessage:
    return OutboxMessage(kind=kind, recipient_id=recipient_id, booking_id=booking_id, due_at=now)


def plan_checkins(clinic: Clinic, now: datetime) -> int:
    """The check-in, the set hours after each treatment that went ahead."""
    after = now - timedelta(hours=clinic.checkin_after_hours)
    visits = (
        Booking.objects.filter(
            clinic=clinic,
            kind__in=TREATMENT_KINDS,
            ends_at__lte=after,
            ends_at__gt=after - LOOKBACK,
        )
        # Attended, or not marked yet: never a no-show, a cancelled or a moved visit.
        .filter(Q(status=BookingStatus.ATTENDED) | Q(status=BookingStatus.CONFIRMED))
        .exclude(_has_row((MessageKind.CHECKIN,)))
        .values_list("pk", "patient_id")
    )
    return put_many([_row(MessageKind.CHECKIN, patient, pk, now) for pk, patient in visits])


def plan_chasers(clinic: Clinic, now: datetime) -> int:
    """One reminder for a check-in still unanswered the set hours after it was sent."""
    sent_before = now - timedelta(hours=clinic.checkin_chaser_hours)
    unanswered = (
        OutboxMessage.objects.filter(
            kind=MessageKind.CHECKIN,
            status=OutboxStatus.SENT,
            booking__clinic=clinic,
            sent_at__lte=sent_before,
            sent_at__gt=sent_before - LOOKBACK,
        )
        .exclude(
            Exists(CheckIn.objects.filter(booking=OuterRef("booking"), stage=CheckInStage.CHECKIN))
        )
        .exclude(
            Exists(
                OutboxMessage.objects.filter(
                    booking=OuterRef("booking"), kind=MessageKind.CHECKIN_CHASER
                )
            )
        )
        .values_list("booking_id", "recipient_id")
    )
    return put_many(
        [_row(MessageKind.CHECKIN_CHASER, recipient, pk, now) for pk, recipient in unanswered]
    )


def plan_urgent_alerts(clinic: Clinic, now: datetime) -> int:
    """Rows for every open emergency or urgent alert that has none yet, whatever raised it.

    Intake hands each new one over on commit (``followup.alerts.alert_raised``); this catches
    one whose hand-off was lost, within a minute.
    """
    alerts = Alert.objects.filter(
        clinic=clinic,
        level__in=PAGING_LEVELS,
        acknowledged_at__isnull=True,
        created_at__gt=now - LOOKBACK,
    ).exclude(
        Exists(
            OutboxMessage.objects.filter(
                kind=MessageKind.ALERT_URGENT, extra=Cast(OuterRef("pk"), CharField())
            )
        )
    )
    made = 0
    for alert in alerts:
        made += sum(created for _, created in urgent_alert_put(alert=alert, now=now))
    return made


def plan_intake_advice(clinic: Clinic, now: datetime) -> int:
    """The patient's advice email for every questionnaire alert that has none yet.

    Intake hands each new one over on commit (``followup.services.intake_advice_requested``);
    this catches one whose hand-off was lost, so the patient still hears what to do.
    """
    alerts = (
        Alert.objects.filter(
            clinic=clinic,
            kind=INTAKE_RED_FLAG,
            source_key__startswith=INTAKE_SOURCE,
            level__in=HANDED_OFF,
            created_at__gt=now - LOOKBACK,
        )
        .exclude(
            Exists(
                OutboxMessage.objects.filter(
                    kind=MessageKind.INTAKE_ADVICE, extra=Cast(OuterRef("pk"), CharField())
                )
            )
        )
        .select_related("patient")
    )
    return sum(
        outbox_put(
            kind=MessageKind.INTAKE_ADVICE,
            to_user=a.patient,
            dedupe_key=str(a.pk),
            due_at=now,
            send_now=False,
        )[1]
        for a in alerts
    )


def plan_alert_chases(clinic: Clinic, now: datetime) -> int:
    """Send again, and escalate to the owners, every emergency or urgent alert nobody has
    acknowledged within the clinic's set minutes of opening hours (once per alert)."""
    waiting = Alert.objects.filter(
        clinic=clinic,
        level__in=PAGING_LEVELS,
        acknowledged_at__isnull=True,
        chased_at__isnull=True,
        created_at__gt=now - LOOKBACK,
        created_at__lte=now - timedelta(minutes=clinic.alert_ack_minutes),
    )
    made = 0
    for alert in waiting:
        deadline = ack_deadline(alert, clinic)
        if deadline is not None and deadline <= now:
            made += alert_chase(alert=alert, clinic=clinic, now=now)
    return made


def plan_holds(clinic: Clinic, now: datetime) -> int:
    """One kind message to a patient whose booked treatment is on hold (an open pausing flag):
    once per hold, so a second flag while the first is open sends nothing more."""
    booked = Booking.objects.filter(
        patient=OuterRef("patient"),
        kind__in=TREATMENT_KINDS,
        status=BookingStatus.CONFIRMED,
        starts_at__gt=now,
    )
    # The hold message names the flag it was sent for: any of the patient's open ones counts.
    open_keys = (
        PatientFlag.objects.holding_treatment()
        .filter(patient=OuterRef(OuterRef("patient")))
        .annotate(key=Cast("pk", CharField()))
        .values("key")
    )
    told = OutboxMessage.objects.filter(
        kind=MessageKind.TREATMENT_HOLD,
        recipient=OuterRef("patient"),
        extra__in=Subquery(open_keys),
    )
    flags = (
        PatientFlag.objects.holding_treatment()
        .filter(clinic=clinic, raised_at__lte=now)
        .filter(Exists(booked))
        .exclude(Exists(told))
        .select_related("patient")
        .order_by("patient_id", "raised_at")
    )
    told_now: set[int] = set()
    made = 0
    for flag in flags:
        if flag.patient_id not in told_now:
            told_now.add(flag.patient_id)
            made += outbox_put(
                kind=MessageKind.TREATMENT_HOLD,
                to_user=flag.patient,
                dedupe_key=str(flag.pk),
                due_at=now,
                send_now=False,
            )[1]
    return made


def plan_digests(clinic: Clinic, now: datetime) -> int:
    """Once a day at the clinic's digest time, a digest per practitioner with routine alerts."""
    local = now.astimezone(clinic.tz)
    if local.time() < clinic.alert_digest_time:
        return 0
    day = local.date()
    due_at = datetime.combine(day, clinic.alert_digest_time, tzinfo=clinic.tz)
    made = 0
    people = clinic_practitioners(clinic.pk).exclude(
        Exists(
            OutboxMessage.objects.filter(
                kind=MessageKind.ALERT_DIGEST,
                recipient=OuterRef("pk"),
                extra=day.isoformat(),
            )
        )
    )
    for person in people:
        if digest_alerts(clinic=clinic, recipient=person, day=day, now=now):
            made += outbox_put(
                kind=MessageKind.ALERT_DIGEST,
                to_user=person,
                dedupe_key=day.isoformat(),
                due_at=due_at,
                send_now=False,
            )[1]
    return made


RULES = (
    plan_guidance,
    plan_checkins,
    plan_chasers,
    plan_urgent_alerts,
    plan_intake_advice,
    plan_alert_chases,
    plan_holds,
    plan_digests,
)


def plan(now: datetime) -> int:
    """Run every planning rule for every clinic; returns how many rows were added."""
    made = 0
    for clinic in Clinic.objects.all():
        for rule in RULES:
            made += rule(clinic, now)
    return made
