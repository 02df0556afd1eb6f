"""The planner: every minute, add the outbox rows that have come due.

Rows are made when they are due rather than when a visit is booked, so a moved or cancelled
visit never leaves a message behind, and nothing sits in a queue for weeks. Each scan is
bounded to a recent window and skips visits that already have their row (the unique key makes
a second planner harmless anyway). The booking app knows nothing of this (arrows point
followup -> intake -> booking -> portal).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import CharField, Exists, OuterRef, Q
from django.db.models.functions import Cast

from booking.models import Booking, BookingStatus
from followup.alerts import clinic_practitioners, urgent_alert_put
from followup.messages import digest_alerts
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage, OutboxStatus
from followup.outbox import outbox_put
from followup.visits import TREATMENT_KINDS, treatment_number
from intake.models import Alert, AlertLevel
from portal.models import Clinic

# Visits further back than this get no check-in (e.g. when the feature is first switched on).
LOOKBACK = timedelta(days=7)
# First and second treatments get the fuller first-visit guidance.
FIRST_VISIT_GUIDANCE_UP_TO = 2


def _has_row(kinds: tuple[MessageKind, ...]) -> Exists:
    return Exists(OutboxMessage.objects.filter(booking=OuterRef("pk"), kind__in=kinds))


def plan_guidance(clinic: Clinic, now: datetime) -> int:
    """Pre-visit (or first-visit) guidance, the clinic's set hours before each confirmed visit."""
    window = timedelta(hours=clinic.pre_visit_guidance_hours)
    visits = (
        Booking.objects.filter(
            clinic=clinic,
            status=BookingStatus.CONFIRMED,
            starts_at__gt=now,
            starts_at__lte=now + window,
        )
        .exclude(_has_row((MessageKind.PRE_VISIT, MessageKind.FIRST_VISIT)))
        .select_related("patient")
    )
    made = 0
    for visit in visits:
        first = (
            visit.kind in TREATMENT_KINDS and treatment_number(visit) <= FIRST_VISIT_GUIDANCE_UP_TO
        )
        kind = MessageKind.FIRST_VISIT if first else MessageKind.PRE_VISIT
        made += outbox_put(kind=kind, recipient=visit.patient, booking=visit, due_at=now)[1]
    return made


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
        .select_related("patient")
    )
    made = 0
    for visit in visits:
        made += outbox_put(
            kind=MessageKind.CHECKIN, recipient=visit.patient, booking=visit, due_at=now
        )[1]
    return made


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
        .select_related("booking", "recipient")
    )
    made = 0
    for row in unanswered:
        made += outbox_put(
            kind=MessageKind.CHECKIN_CHASER,
            recipient=row.recipient,
            booking=row.booking,
            due_at=now,
        )[1]
    return made


def plan_urgent_alerts(clinic: Clinic, now: datetime) -> int:
    """Rows for every open urgent alert that has none yet, whatever raised it.

    Intake hands each new urgent alert over on commit (``followup.alerts.alert_raised``); this
    catches one whose hand-off was lost, within a minute.
    """
    alerts = Alert.objects.filter(
        clinic=clinic,
        level=AlertLevel.URGENT,
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
        if digest_alerts(clinic=clinic, recipient_id=person.pk, day=day):
            made += outbox_put(
                kind=MessageKind.ALERT_DIGEST,
                recipient=person,
                extra=day.isoformat(),
                due_at=due_at,
            )[1]
    return made


def plan(now: datetime) -> int:
    """Run every planning rule for every clinic; returns how many rows were added."""
    made = 0
    for clinic in Clinic.objects.all():
        for rule in (plan_guidance, plan_checkins, plan_chasers, plan_urgent_alerts, plan_digests):
            made += rule(clinic, now)
    return made
