"""Alert emails to the clinic team, sent by the worker after the alert is committed."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from intake.models import Alert, AlertNotice
from portal.messaging import render_email, send_email
from portal.models import Role, User


def alert_recipients(alert: Alert) -> list[User]:
    """Who is told: the alert's practitioner, or every practitioner of the clinic."""
    if alert.practitioner_id is not None:
        return [alert.practitioner.user] if alert.practitioner.user.is_active else []  # type: ignore[union-attr]
    return list(
        User.objects.filter(
            clinic_id=alert.clinic_id, role=Role.PRACTITIONER, is_active=True
        ).order_by("pk")
    )


@shared_task(
    bind=True, ignore_result=True, max_retries=5, autoretry_for=(OSError,), retry_backoff=True
)
def send_alert_emails(self: object, alert_id: int) -> None:
    """Email an urgent alert to each recipient once (the one place alert delivery happens).

    Each recipient is claimed by a conditional UPDATE before sending, so a retry after a
    failed send, or a duplicate task, emails nobody twice.
    """
    alert = (
        Alert.objects.select_related("patient", "practitioner__user").filter(pk=alert_id).first()
    )
    if alert is None or alert.acknowledged_at is not None:
        return
    for recipient in alert_recipients(alert):
        notice, _ = AlertNotice.objects.get_or_create(alert=alert, recipient=recipient)
        claimed = AlertNotice.objects.filter(pk=notice.pk, sent_at__isnull=True).update(
            sent_at=timezone.now()
        )
        if not claimed:
            continue
        email = render_email("intake_urgent_alert", {"alert": alert, "recipient": recipient})
        try:
            send_email(recipient.email, email)
        except OSError:
            # Give the claim back so the retry sends it.
            AlertNotice.objects.filter(pk=notice.pk).update(sent_at=None)
            raise
