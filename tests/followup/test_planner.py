"""followup.planner: which rows come due when, never for changed visits, never twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail

from booking.models import Booking, BookingStatus, Practitioner, Service
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage, OutboxStatus
from followup.outbox import deliver
from followup.planner import plan
from intake.models import Alert, AlertLevel
from intake.services import alert_acknowledge, alert_raise
from portal.models import User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import PractitionerFactory, local
from tests.followup.conftest import CHECKIN_DUE, book, past_visit, set_status

pytestmark = pytest.mark.django_db

GUIDANCE_DUE = datetime(2027, 3, 1, 21, 0, tzinfo=UTC)  # 36 hours before Wednesday 09:00


def rows(kind: MessageKind) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(kind=kind))


def urgent(
    patient: User, summary: str, *, key: str, practitioner: Practitioner | None = None
) -> Alert:
    """An urgent red-flag alert from the source ``key``, for one practitioner or all."""
    alert, _ = alert_raise(
        patient=patient,
        level=AlertLevel.URGENT,
        kind="intake_red_flag",
        source_key=key,
        summary=summary,
        practitioner=practitioner,
    )
    return alert


def routine(
    patient: User, kind: str, summary: str, *, key: str, practitioner: Practitioner | None = None
) -> Alert:
    """A routine alert raised yesterday (Monday) at noon, so Tuesday's digest carries it."""
    alert, _ = alert_raise(
        patient=patient,
        level=AlertLevel.ROUTINE,
        kind=kind,
        source_key=key,
        summary=summary,
        practitioner=practitioner,
    )
    Alert.objects.filter(pk=alert.pk).update(created_at=datetime(2027, 3, 1, 12, tzinfo=UTC))
    return alert


def test_first_treatment_gets_first_visit_guidance_36_hours_before(visit: Booking) -> None:
    assert plan(GUIDANCE_DUE - timedelta(minutes=1)) == 0
    assert plan(GUIDANCE_DUE) == 1
    (row,) = rows(MessageKind.FIRST_VISIT)
    assert row.booking_id == visit.pk and row.due_at == GUIDANCE_DUE
    assert plan(GUIDANCE_DUE + timedelta(minutes=1)) == 0  # planned once
    assert deliver(row.pk, now=GUIDANCE_DUE) == "held"  # 21:00 is quiet: the morning it is
    assert deliver(row.pk, now=datetime(2027, 3, 2, 8, tzinfo=UTC)) == "sent"
    (message,) = mail.outbox
    assert message.subject.startswith("Your first treatment on Wednesday 3 March")
    assert "up to two or three days" in message.body


def test_later_treatments_and_assessments_get_the_short_guidance(
    private: Service, assessment: Service, patient: User, other_patient: User
) -> None:
    past_visit(patient, private, weeks_ago=1)
    past_visit(patient, private, weeks_ago=2)
    third = book(patient, private, local(WED, 9), now=NOW)
    talk = book(other_patient, assessment, local(WED, 11), now=NOW)
    plan(datetime(2027, 3, 2, 8, tzinfo=UTC))
    assert {r.booking_id for r in rows(MessageKind.PRE_VISIT)} == {third.pk, talk.pk}


def test_a_visit_booked_inside_the_window_gets_guidance_at_once(
    private: Service, patient: User
) -> None:
    soon = book(patient, private, local(WED, 9), now=datetime(2027, 3, 2, 20, tzinfo=UTC))
    plan(datetime(2027, 3, 2, 20, 1, tzinfo=UTC))
    (row,) = rows(MessageKind.FIRST_VISIT)
    assert row.booking_id == soon.pk


def test_held_cancelled_or_moved_visits_get_no_guidance(visit: Booking) -> None:
    set_status(visit, BookingStatus.HELD)
    plan(GUIDANCE_DUE)
    set_status(visit, BookingStatus.CANCELLED)
    plan(GUIDANCE_DUE)
    assert OutboxMessage.objects.count() == 0


@pytest.mark.parametrize("status", [BookingStatus.ATTENDED, BookingStatus.CONFIRMED])
def test_checkin_48_hours_after_a_visit_that_went_ahead(
    visit: Booking, status: BookingStatus
) -> None:
    set_status(visit, status)
    plan(CHECKIN_DUE - timedelta(minutes=1))
    assert rows(MessageKind.CHECKIN) == []
    plan(CHECKIN_DUE)
    (row,) = rows(MessageKind.CHECKIN)
    assert deliver(row.pk, now=CHECKIN_DUE) == "sent"
    (message,) = mail.outbox
    assert "/checkin/" in message.body
    assert message.subject == "How are you feeling after your visit?"


@pytest.mark.parametrize(
    "status",
    [
        BookingStatus.NO_SHOW,
        BookingStatus.CANCELLED,
        BookingStatus.LATE_CANCELLED,
        BookingStatus.RESCHEDULED,
        BookingStatus.EXPIRED,
        BookingStatus.HELD,
    ],
)
def test_no_checkin_for_visits_that_did_not_go_ahead(visit: Booking, status: BookingStatus) -> None:
    set_status(visit, status)
    plan(CHECKIN_DUE + timedelta(hours=1))
    assert rows(MessageKind.CHECKIN) == []


def test_a_no_show_marked_after_planning_skips_the_checkin(visit: Booking) -> None:
    plan(CHECKIN_DUE)
    (row,) = rows(MessageKind.CHECKIN)
    set_status(visit, BookingStatus.NO_SHOW)
    assert deliver(row.pk, now=CHECKIN_DUE) == "skipped"
    assert mail.outbox == []


def test_assessments_get_no_checkin(assessment: Service, patient: User) -> None:
    talk = book(patient, assessment, local(WED, 9), now=NOW)
    set_status(talk, BookingStatus.ATTENDED)
    plan(CHECKIN_DUE + timedelta(hours=1))
    assert rows(MessageKind.CHECKIN) == []


def test_one_chaser_24_hours_after_an_unanswered_checkin(visit: Booking) -> None:
    plan(CHECKIN_DUE)
    (checkin,) = rows(MessageKind.CHECKIN)
    deliver(checkin.pk, now=CHECKIN_DUE)
    OutboxMessage.objects.filter(pk=checkin.pk).update(sent_at=CHECKIN_DUE)
    plan(CHECKIN_DUE + timedelta(hours=23))
    assert rows(MessageKind.CHECKIN_CHASER) == []
    plan(CHECKIN_DUE + timedelta(hours=24))
    plan(CHECKIN_DUE + timedelta(hours=48))
    (chaser,) = rows(MessageKind.CHECKIN_CHASER)
    assert deliver(chaser.pk, now=CHECKIN_DUE + timedelta(hours=24)) == "sent"
    assert "only reminder" in mail.outbox[-1].body


def test_no_chaser_once_answered(visit: Booking) -> None:
    plan(CHECKIN_DUE)
    (checkin,) = rows(MessageKind.CHECKIN)
    deliver(checkin.pk, now=CHECKIN_DUE)
    OutboxMessage.objects.filter(pk=checkin.pk).update(sent_at=CHECKIN_DUE)
    answer = CheckIn(booking=visit, patient=visit.patient, stage=CheckInStage.CHECKIN)
    answer.treatment_number = 1
    answer.answers = {"comparison": "better", "pain_now": 2}
    answer.save()
    plan(CHECKIN_DUE + timedelta(hours=25))
    assert rows(MessageKind.CHECKIN_CHASER) == []


def test_urgent_alerts_email_their_practitioner_at_once(
    visit: Booking, mei: Practitioner, patient: User
) -> None:
    colleague = PractitionerFactory.create(display_name="David Rhys")
    alert = urgent(patient, "Saddle numbness", key="checkin:1", practitioner=mei)
    clinic_wide = urgent(patient, "Fever", key="checkin:2")
    now = datetime.now(UTC)
    plan(now)
    plan(now)
    sent_to = sorted((r.extra, r.recipient_id) for r in rows(MessageKind.ALERT_URGENT))
    assert sent_to == sorted(
        [
            (str(alert.pk), mei.user_id),
            (str(clinic_wide.pk), mei.user_id),
            (str(clinic_wide.pk), colleague.user_id),
        ]
    )
    row = OutboxMessage.objects.get(extra=str(alert.pk))
    assert deliver(row.pk, now=datetime(2027, 3, 2, 3, tzinfo=UTC)) == "sent"  # even at night
    (message,) = mail.outbox
    assert message.to == [mei.user.email]
    assert "Saddle" not in message.body  # health details stay on the dashboard


def test_routine_alerts_go_in_one_daily_digest(
    visit: Booking, mei: Practitioner, patient: User, practitioner: User
) -> None:
    routine(
        patient, "checkin_worse_early", "Worse after treatment 1", key="checkin:1", practitioner=mei
    )
    plan(datetime(2027, 3, 2, 7, 59, tzinfo=UTC))
    assert rows(MessageKind.ALERT_DIGEST) == []
    plan(datetime(2027, 3, 2, 8, 0, tzinfo=UTC))
    plan(datetime(2027, 3, 2, 9, 0, tzinfo=UTC))
    (digest,) = rows(MessageKind.ALERT_DIGEST)
    assert digest.recipient_id == practitioner.pk and digest.extra == "2027-03-02"
    assert deliver(digest.pk, now=datetime(2027, 3, 2, 8, 0, tzinfo=UTC)) == "sent"
    (message,) = mail.outbox
    assert message.subject == "1 patient note from check-ins"
    assert patient.get_full_name() in message.body


def test_a_digest_whose_alerts_were_all_acknowledged_is_skipped(
    visit: Booking, mei: Practitioner, patient: User, practitioner: User
) -> None:
    # ``visit``: the patient is in Mei's care, so the note is hers to read (the digest lists
    # no one else's: tests/portal/test_attacker_round9.py).
    alert = routine(patient, "checkin_worse", "Worse after treatment 3", key="checkin:9")
    plan(datetime(2027, 3, 2, 8, 0, tzinfo=UTC))
    (digest,) = rows(MessageKind.ALERT_DIGEST)
    alert_acknowledge(alert=alert, by=practitioner)
    assert deliver(digest.pk, now=datetime(2027, 3, 2, 8, 0, tzinfo=UTC)) == "skipped"
    assert OutboxMessage.objects.get(pk=digest.pk).status == OutboxStatus.SKIPPED


def test_an_urgent_alert_whose_hand_off_was_lost_is_planned_whatever_raised_it(
    mei: Practitioner, patient: User
) -> None:
    colleague = PractitionerFactory.create(display_name="David Rhys")
    alert = urgent(
        patient, "Answered yes to a red-flag question in the intake questionnaire", key="intake:7"
    )
    # No on-commit hand-off ran here (the test's transaction never commits), as if it was lost.
    plan(datetime.now(UTC))
    assert sorted(r.recipient_id for r in rows(MessageKind.ALERT_URGENT)) == sorted(
        [mei.user_id, colleague.user_id]
    )
    assert {r.extra for r in rows(MessageKind.ALERT_URGENT)} == {str(alert.pk)}
    assert plan(datetime.now(UTC)) == 0
