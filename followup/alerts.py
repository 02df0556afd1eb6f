"""Team alerts through the outbox: an emergency or urgent one is emailed at once to the booked
practitioner and the clinic's duty contact, and chased if nobody acknowledges it; same-day tasks
wait on the dashboard; routine ones wait for the daily digest (``planner.plan_digests``).

Intake raises every alert (from the questionnaire or a check-in) and knows nothing of this app
(arrows point followup -> intake): on commit it hands each new paging alert to the handler
registered here by ``FollowupConfig.ready``, the same shape as booking emails. The
every-minute planner also puts rows for any open paging alert that has none, so an alert whose
hand-off was lost (the broker down at commit) still goes out, a minute late.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from followup.models import MessageKind, OutboxMessage
from followup.outbox import deliver
from intake.models import PAGING_LEVELS, Alert
from portal import policy
from portal.messaging import outbox_put
from portal.models import Clinic, Role, User
from portal.opening_hours import acknowledge_by


def clinic_practitioners(clinic_id: int) -> QuerySet[User]:
    """The clinic's active practitioners: the people whose dashboards show its team alerts."""
    return User.objects.filter(clinic_id=clinic_id, role=Role.PRACTITIONER, is_active=True)


def duty_contacts(clinic: Clinic) -> list[User]:
    """Who is on duty for alerts that cannot wait: the clinic's chosen contact, or (none set,
    or no longer on the team) every active staff member."""
    chosen = clinic.duty_contact
    if chosen is not None and policy.is_on_team(chosen):
        return [chosen]
    return list(
        User.objects.filter(clinic_id=clinic.pk, role=Role.STAFF, is_active=True).order_by("pk")
    )


def owners(clinic: Clinic) -> list[User]:
    """Who an alert nobody acknowledged is escalated to: the clinic's owners (superusers)."""
    return list(
        User.objects.filter(is_superuser=True, is_active=True)
        .filter(Q(clinic_id=clinic.pk) | Q(clinic__isnull=True))
        .order_by("pk")
    )


def _unique(people: list[User]) -> list[User]:
    return list({person.pk: person for person in people}.values())


def alert_recipients(alert: Alert) -> list[User]:
    """Who is told: the alert's practitioner (or, for a patient not booked with anyone yet,
    every practitioner of the clinic), and for an emergency or urgent alert the duty contact."""
    if alert.practitioner_id is not None:
        people = list(
            User.objects.filter(
                practitioner__pk=alert.practitioner_id, is_active=True, role=Role.PRACTITIONER
            )
        )
    else:
        people = list(clinic_practitioners(alert.clinic_id).order_by("pk"))
    if alert.level in PAGING_LEVELS:
        people += duty_contacts(Clinic.objects.get(pk=alert.clinic_id))
    return _unique(people)


def urgent_alert_put(*, alert: Alert, now: datetime) -> list[tuple[OutboxMessage, bool]]:
    """One row per person concerned, due now; the unique key makes a second call add none."""
    return [
        outbox_put(
            kind=MessageKind.ALERT_URGENT,
            to_user=person,
            dedupe_key=str(alert.pk),
            due_at=now,
            send_now=False,
        )
        for person in alert_recipients(alert)
    ]


def alert_raised(alert_id: int) -> None:
    """Email a new emergency or urgent alert to each person concerned, now (intake's hand-off,
    run by the worker after the alert is committed).

    Each row is claimed before it is sent, so a duplicated hand-off, a retried task or the
    planner's own pass emails nobody twice; a transient failure leaves the row pending with
    backoff for the dispatcher to send again.
    """
    alert = Alert.objects.filter(
        pk=alert_id, level__in=PAGING_LEVELS, acknowledged_at__isnull=True
    ).first()
    if alert is None:
        return
    for row, _ in urgent_alert_put(alert=alert, now=timezone.now()):
        deliver(row.pk)


def ack_deadline(alert: Alert, clinic: Clinic) -> datetime | None:
    """When an unacknowledged paging alert is chased: the clinic's set minutes of opening
    hours after it was raised (None if the clinic has no opening hours)."""
    return acknowledge_by(clinic, alert.created_at)


def chase_recipients(alert: Alert, clinic: Clinic) -> list[User]:
    """Everyone first told, and the owners."""
    return _unique([*alert_recipients(alert), *owners(clinic)])


def alert_chase(*, alert: Alert, clinic: Clinic, now: datetime) -> int:
    """Send an unacknowledged paging alert again and escalate it to the owners, once.

    The conditional stamp on ``chased_at`` and the outbox rows commit together, so two planners
    (or a retried one) chase it once; returns how many rows were added.
    """
    with transaction.atomic():
        stamped = Alert.objects.filter(
            pk=alert.pk, chased_at__isnull=True, acknowledged_at__isnull=True
        ).update(chased_at=now)
        if not stamped:
            return 0
        return sum(
            outbox_put(
                kind=MessageKind.ALERT_CHASE,
                to_user=person,
                dedupe_key=str(alert.pk),
                due_at=now,
                send_now=False,
            )[1]
            for person in chase_recipients(alert, clinic)
        )
