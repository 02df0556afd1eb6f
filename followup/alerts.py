"""Practitioner alerts through the outbox: an urgent one is emailed at once to each practitioner
it concerns; routine ones wait for the daily digest (``planner.plan_digests``).

Intake raises every alert (from the questionnaire or a check-in) and knows nothing of this app
(arrows point followup -> intake): on commit it hands each new urgent alert to the handler
registered here by ``FollowupConfig.ready``, the same shape as booking emails. The
every-minute planner also puts rows for any open urgent alert that has none, so an alert whose
hand-off was lost (the broker down at commit) still goes out, a minute late.
"""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet
from django.utils import timezone

from followup.models import MessageKind, OutboxMessage
from followup.outbox import deliver, outbox_put
from intake.models import Alert, AlertLevel
from portal.models import Role, User


def clinic_practitioners(clinic_id: int) -> QuerySet[User]:
    """The clinic's active practitioners: the people whose dashboards show its team alerts."""
    return User.objects.filter(clinic_id=clinic_id, role=Role.PRACTITIONER, is_active=True)


def alert_recipients(alert: Alert) -> list[User]:
    """Who is told: the alert's practitioner, or every practitioner of the clinic."""
    if alert.practitioner_id is not None:
        return list(User.objects.filter(practitioner__pk=alert.practitioner_id, is_active=True))
    return list(clinic_practitioners(alert.clinic_id).order_by("pk"))


def urgent_alert_put(*, alert: Alert, now: datetime) -> list[tuple[OutboxMessage, bool]]:
    """One row per practitioner concerned, due now; the unique key makes a second call add none."""
    return [
        outbox_put(kind=MessageKind.ALERT_URGENT, recipient=person, extra=str(alert.pk), due_at=now)
        for person in alert_recipients(alert)
    ]


def alert_raised(alert_id: int) -> None:
    """Email a new urgent alert to each practitioner concerned, now (intake's hand-off, run by
    the worker after the alert is committed).

    Each row is claimed before it is sent, so a duplicated hand-off, a retried task or the
    planner's own pass emails nobody twice; a transient failure leaves the row pending with
    backoff for the dispatcher to send again.
    """
    alert = Alert.objects.filter(
        pk=alert_id, level=AlertLevel.URGENT, acknowledged_at__isnull=True
    ).first()
    if alert is None:
        return
    for row, _ in urgent_alert_put(alert=alert, now=timezone.now()):
        deliver(row.pk)
