"""followup.alerts: every urgent alert, whatever raised it, is emailed through the outbox at once,
once per practitioner, retried on a transient failure, never with the patient's answers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import timezone

from followup import outbox
from followup.alerts import alert_raised
from followup.models import MessageKind, OutboxMessage, OutboxStatus
from followup.planner import plan
from intake import tasks
from intake.models import Alert, AlertLevel
from intake.questionnaire import FULL
from intake.services import alert_acknowledge, alert_raise, intake_start, intake_submit
from portal.models import Role, User
from tests.factories import UserFactory
from tests.intake.factories import full_answers, raw

pytestmark = pytest.mark.django_db


def urgent(patient: User, source_key: str = "intake:1") -> Alert:
    alert, _ = alert_raise(
        patient=patient,
        level=AlertLevel.URGENT,
        kind="intake_red_flag",
        source_key=source_key,
        summary="Answered yes to 1 in the intake questionnaire",
    )
    return alert


def test_followup_takes_the_alerts_intake_hands_off() -> None:
    assert alert_raised in tasks._handlers


def test_an_intake_red_flag_emails_every_practitioner_and_the_duty_staff_once_at_once(
    patient: User,
    practitioner: User,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    colleague = UserFactory.create(role=Role.PRACTITIONER, email="david@example.com")
    # No duty contact chosen: every staff member is on duty for urgent alerts.
    desk = UserFactory.create(role=Role.STAFF, email="desk@example.com")
    draft = intake_start(patient=patient, kind=FULL)
    # An urgent (same-day) level: fever.
    draft.answers = raw(full_answers(fever=True))
    draft.save()
    with django_capture_on_commit_callbacks(execute=True):
        intake_submit(response=draft)
    alert = Alert.objects.get()
    # At once: sent by the hand-off on commit, not left for the next beat tick.
    team = [m for m in mail.outbox if m.to[0] != patient.email]
    assert sorted(m.to[0] for m in team) == sorted(
        [practitioner.email, colleague.email, desk.email]
    )
    assert "Urgent" in team[0].subject
    # The patient gets their level's advice once (tested in test_checkin_triage's neighbours).
    assert [m.subject for m in mail.outbox if m.to[0] == patient.email] == [
        "Please get medical advice today"
    ]
    for message in team:
        assert isinstance(message, EmailMultiAlternatives)
        html = str(message.alternatives[0][0])
        assert "fever" not in message.body.lower() and "fever" not in html.lower()
        assert reverse("intake:practice_intake", args=[patient.pk]) in message.body
    # A retried or duplicated hand-off, and the planner's own pass, send nothing more.
    tasks.hand_off_alert.delay(alert.pk)
    assert plan(timezone.now()) == 0
    assert len(mail.outbox) == 4
    sent = OutboxMessage.objects.filter(kind=MessageKind.ALERT_URGENT, status=OutboxStatus.SENT)
    assert sorted(sent.values_list("recipient_id", flat=True)) == sorted(
        [practitioner.pk, colleague.pk, desk.pk]
    )
    assert set(sent.values_list("extra", flat=True)) == {str(alert.pk)}


def test_a_failed_send_is_retried_by_the_outbox_and_sent_once(
    patient: User, practitioner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []

    def flaky(to: str, email: object, **kwargs: object) -> None:
        calls.append(to)
        if len(calls) == 1:
            raise OSError("SMTP down")

    monkeypatch.setattr(outbox, "send_email", flaky)
    alert = urgent(patient)
    alert_raised(alert.pk)
    row = OutboxMessage.objects.get(kind=MessageKind.ALERT_URGENT)
    assert row.status == OutboxStatus.PENDING and "SMTP down" in row.last_error
    alert_raised(alert.pk)  # a duplicated hand-off does not jump the backoff
    assert calls == [practitioner.email]

    later = row.due_at
    delivered: list[str] = []

    def worker(ids: list[int]) -> None:
        delivered.extend(outbox.deliver(pk, now=later) for pk in ids)

    assert outbox.dispatch_due(now=later, enqueue=worker) == 1
    assert delivered == ["sent"]
    assert calls == [practitioner.email, practitioner.email]
    row.refresh_from_db()
    assert row.status == OutboxStatus.SENT and row.attempts == 2
    alert_raised(alert.pk)
    plan(later + timedelta(minutes=1))
    assert OutboxMessage.objects.filter(kind=MessageKind.ALERT_URGENT).count() == 1
    assert calls == [practitioner.email, practitioner.email]


def test_an_acknowledged_alert_is_not_emailed(patient: User, practitioner: User) -> None:
    alert = urgent(patient)
    alert_acknowledge(alert=alert, by=practitioner)
    alert_raised(alert.pk)
    assert mail.outbox == [] and not OutboxMessage.objects.exists()

    # Acknowledged between planning and sending: the row is skipped. (The patient's own
    # advice is planned whatever the team did: ``plan_intake_advice``.)
    other = urgent(patient, source_key="intake:2")
    plan(timezone.now())
    alert_acknowledge(alert=other, by=practitioner)
    row = OutboxMessage.objects.get(kind=MessageKind.ALERT_URGENT)
    assert outbox.deliver(row.pk) == "skipped"
    assert mail.outbox == []


def test_a_routine_alert_waits_for_the_digest(patient: User, practitioner: User) -> None:
    alert, _ = alert_raise(
        patient=patient, level=AlertLevel.ROUTINE, kind="k", source_key="r", summary="s"
    )
    alert_raised(alert.pk)
    assert mail.outbox == [] and not OutboxMessage.objects.exists()


def test_a_lost_intake_hand_off_still_sends_the_patient_their_advice(
    patient: User, practitioner: User
) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    draft.answers = raw(full_answers(fever=True))
    draft.save()
    intake_submit(response=draft)  # on-commit hand-off never runs: the broker was down
    alert = Alert.objects.get()
    assert not OutboxMessage.objects.filter(kind=MessageKind.INTAKE_ADVICE).exists()
    plan(timezone.now())
    row = OutboxMessage.objects.get(kind=MessageKind.INTAKE_ADVICE)
    assert (row.recipient, row.extra) == (patient, str(alert.pk))
    outbox.deliver(row.pk)
    assert [m.subject for m in mail.outbox if m.to[0] == patient.email] == [
        "Please get medical advice today"
    ]
    # Planned again, nothing more.
    plan(timezone.now())
    assert OutboxMessage.objects.filter(kind=MessageKind.INTAKE_ADVICE).count() == 1
