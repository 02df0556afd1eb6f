"""Sensible after a backlog (issue 15, section 2): a worker or beat down for a weekend, or a night
of quiet hours, never turns into stale, duplicate or tone-deaf email. Every test runs the real
beat task (planner, dispatcher, send task) under time-machine.

Times are UTC = London in March 2027 (before the clocks change); quiet hours 21:00-08:00.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from booking.closures import ClosureRequest, closure_add, closure_remove
from booking.models import Booking, BookingStatus, Practitioner, Service
from followup import outbox, tasks
from followup.backlog import ROUTINE_KINDS, USEFUL_LIFE
from followup.models import MessageKind, OutboxMessage, OutboxStatus
from followup.outbox import deliver
from followup.planner import plan
from intake.models import Alert, AlertLevel, FlagKind
from intake.services import alert_raise, flag_raise
from intake.triage import CALL_REQUESTED
from portal.messaging import outbox_put
from portal.models import Clinic, User
from tests.booking.factories import visit_at
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.followup.conftest import CHECKIN_DUE

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def beat(at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        tasks.dispatch_due.delay()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Sent:
    recipient_id: int
    booking_id: int | None
    kind: str
    at: datetime


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[Sent]:
    """Every email the outbox hands to the mail server, with the row it was sent for."""
    record: list[Sent] = []
    current: list[OutboxMessage] = []
    real_prepare, real_send = outbox.prepare, outbox.send_email

    def prepare(message: OutboxMessage, **kwargs: object) -> object:
        current[:] = [message]
        return real_prepare(message, **kwargs)  # type: ignore[arg-type]

    def send_email(to: str, email: object, **kwargs: object) -> None:
        (message,) = current
        assert to == message.recipient.email
        real_send(to, email, **kwargs)  # type: ignore[arg-type]
        record.append(Sent(message.recipient_id, message.booking_id, message.kind, timezone.now()))

    monkeypatch.setattr(outbox, "prepare", prepare)
    monkeypatch.setattr(outbox, "send_email", send_email)
    return record


def row(booking: Booking, kind: MessageKind) -> OutboxMessage:
    return OutboxMessage.objects.get(booking=booking, kind=kind)


# --- Useful life --------------------------------------------------------------------------


def test_every_routine_kind_has_a_useful_life() -> None:
    assert USEFUL_LIFE.keys() >= ROUTINE_KINDS
    for safety in (MessageKind.URGENT_ADVICE, MessageKind.INTAKE_ADVICE, MessageKind.ALERT_URGENT):
        assert safety not in USEFUL_LIFE


@pytest.mark.parametrize(
    ("first_beat", "status"),
    [
        (CHECKIN_DUE + timedelta(hours=71, minutes=30), OutboxStatus.SENT),
        (CHECKIN_DUE + timedelta(hours=72, minutes=1), OutboxStatus.EXPIRED),
        (CHECKIN_DUE + timedelta(days=6), OutboxStatus.EXPIRED),
    ],
)
def test_a_checkin_more_than_72_hours_late_expires_and_staff_see_it(
    visit: Booking, front_desk: User, sent: list[Sent], first_beat: datetime, status: str
) -> None:
    # The worker and beat were down from before the check-in was due until ``first_beat``.
    beat(first_beat)
    checkin = row(visit, MessageKind.CHECKIN)
    assert checkin.status == status
    assert len(sent) == (status == OutboxStatus.SENT)
    # Later beats never send it late either.
    beat(first_beat + timedelta(hours=1))
    assert row(visit, MessageKind.CHECKIN).status == status
    if status == OutboxStatus.EXPIRED:
        assert "Expired" in checkin.last_error and not mail.outbox
        page = client_for(front_desk).get(
            reverse("admin:followup_outboxmessage_changelist"), {"status__exact": "expired"}
        )
        html = page.content.decode()
        assert page.status_code == 200 and "Expired" in html
        assert f"/followup/outboxmessage/{checkin.pk}/" in html


def test_guidance_after_the_visit_started_expires(
    private: Service, mei: Practitioner, patient: User, sent: list[Sent]
) -> None:
    upcoming = visit_at(patient=patient, service=private, practitioner=mei, starts_at=at(3, 9))
    with time_machine.travel(at(2, 8, 30), tick=False):
        plan(at(2, 8, 30))  # planned Tuesday morning, then the worker is down
    beat(at(3, 9, 5))
    guidance = row(upcoming, MessageKind.FIRST_VISIT)
    assert guidance.status == OutboxStatus.EXPIRED and not sent


def test_a_confirmation_after_the_visit_expires(
    private: Service, mei: Practitioner, patient: User, sent: list[Sent]
) -> None:
    booking = visit_at(patient=patient, service=private, practitioner=mei, starts_at=at(3, 9))
    message, _ = outbox_put(
        kind=MessageKind.BOOKING_CONFIRMED,
        to_user=patient,
        booking=booking,
        due_at=at(1, 8),
        send_now=False,
    )
    beat(at(3, 10, 1))
    message.refresh_from_db()
    assert message.status == OutboxStatus.EXPIRED and not sent


# --- A visit on a day the clinic has since closed ---------------------------------------------


def close_thursday(by: User) -> int:
    with time_machine.travel(at(2, 8), tick=False):
        closure = closure_add(
            clinic=Clinic.objects.current(),
            asked=ClosureRequest(first_day=date(2027, 3, 4), last_day=date(2027, 3, 4)),
            by=by,
            today=date(2027, 3, 2),
        )
    return closure.pk


def test_guidance_for_a_visit_on_a_day_since_closed_waits_until_the_day_reopens(
    private: Service, mei: Practitioner, patient: User, front_desk: User, sent: list[Sent]
) -> None:
    thursday = visit_at(patient=patient, service=private, practitioner=mei, starts_at=at(4, 14))
    closure_id = close_thursday(front_desk)
    with time_machine.travel(at(2, 9), tick=False):
        plan(at(2, 9))
    for hour in range(9, 20):
        beat(at(3, hour))
    guidance = row(thursday, MessageKind.FIRST_VISIT)
    assert guidance.status == OutboxStatus.HELD and not sent
    assert "the clinic is closed on the day of the visit" in guidance.last_error
    closure_remove(clinic=Clinic.objects.current(), closure_id=closure_id, by=front_desk)
    beat(at(3, 19, 45))
    assert [s.kind for s in sent] == [MessageKind.FIRST_VISIT]


def test_guidance_for_a_visit_on_a_closed_day_expires_with_the_visit(
    private: Service, mei: Practitioner, patient: User, front_desk: User, sent: list[Sent]
) -> None:
    thursday = visit_at(patient=patient, service=private, practitioner=mei, starts_at=at(4, 9))
    close_thursday(front_desk)
    with time_machine.travel(at(2, 9), tick=False):
        plan(at(2, 9))
    for moment in (at(3, 9), at(3, 15), at(4, 8), at(4, 8, 45), at(4, 9, 30)):
        beat(moment)
    guidance = row(thursday, MessageKind.FIRST_VISIT)
    assert guidance.status == OutboxStatus.EXPIRED and not sent


# --- One routine message per patient per morning -------------------------------------------


@pytest.mark.parametrize("older_first", [True, False])
def test_the_newest_checkin_wins_and_older_ones_expire(
    private: Service, mei: Practitioner, patient: User, sent: list[Sent], older_first: bool
) -> None:
    monday = visit_at(patient=patient, service=private, practitioner=mei, starts_at=at(1, 9))
    wednesday = visit_at(patient=patient, service=private, practitioner=mei, starts_at=at(3, 9))
    # Beat down from Tuesday until Friday 10:00: both check-ins are due at once.
    friday = at(5, 10)
    with time_machine.travel(friday, tick=False):
        plan(friday)
        old, new = row(monday, MessageKind.CHECKIN), row(wednesday, MessageKind.CHECKIN)
        for message in (old, new) if older_first else (new, old):
            deliver(message.pk, now=friday)
    assert [(s.booking_id, s.kind) for s in sent] == [(wednesday.pk, MessageKind.CHECKIN)]
    old.refresh_from_db()
    assert old.status == OutboxStatus.EXPIRED and "later visit" in old.last_error
    # Later beats send the newer visit's reminder (a day on) but nothing about Monday's visit.
    beat(friday + timedelta(minutes=1))
    beat(at(6, 10))
    beat(at(7, 10))
    assert [s.booking_id for s in sent] == [wednesday.pk] * len(sent)
    assert len(sent) == len({s.kind for s in sent})


def test_a_second_routine_message_waits_for_the_next_morning(
    private: Service, mei: Practitioner, patient: User, sent: list[Sent]
) -> None:
    monday = visit_at(patient=patient, service=private, practitioner=mei, starts_at=at(1, 9))
    # Thursday 14:00 is 36 hours ahead on Wednesday 02:00: its guidance waits for 08:00.
    thursday = visit_at(patient=patient, service=private, practitioner=mei, starts_at=at(4, 14))
    beat(at(3, 2))
    beat(at(3, 8))
    assert [s.booking_id for s in sent] == [thursday.pk]
    guidance_kind = sent[0].kind
    # Monday's check-in comes due at 10:00 the same day: it waits for Thursday morning.
    beat(at(3, 10, 1))
    checkin = row(monday, MessageKind.CHECKIN)
    assert checkin.status == OutboxStatus.HELD and checkin.due_at == at(4, 8)
    assert checkin.attempts == 0  # waiting is not a failed try
    beat(at(3, 15))
    assert len(sent) == 1
    beat(at(4, 8))
    assert [(s.booking_id, s.kind) for s in sent] == [
        (thursday.pk, guidance_kind),
        (monday.pk, MessageKind.CHECKIN),
    ]


# --- Open alerts and treatment on hold ----------------------------------------------------


@pytest.mark.parametrize(
    ("level", "kind"),
    [
        (AlertLevel.EMERGENCY, "checkin_emergency"),
        (AlertLevel.URGENT, "checkin_urgent"),
        (AlertLevel.TODAY, CALL_REQUESTED),
    ],
)
def test_nothing_routine_while_an_alert_is_open_but_safety_messages_go(
    visit: Booking, patient: User, sent: list[Sent], level: AlertLevel, kind: str
) -> None:
    alert, _ = alert_raise(
        patient=patient, level=level, kind=kind, source_key="test", summary="Feeling worse"
    )
    outbox_put(
        kind=MessageKind.URGENT_ADVICE,
        to_user=patient,
        booking=visit,
        dedupe_key="checkin",
        due_at=CHECKIN_DUE,
        send_now=False,
    )
    beat(CHECKIN_DUE)
    beat(CHECKIN_DUE + timedelta(minutes=31))
    checkin = row(visit, MessageKind.CHECKIN)
    assert checkin.status == OutboxStatus.HELD and "open urgent alert" in checkin.last_error
    # The patient's own advice is never held by the routine rules.
    assert [s.kind for s in sent if s.recipient_id == patient.pk] == [MessageKind.URGENT_ADVICE]
    Alert.objects.filter(pk=alert.pk).update(acknowledged_at=CHECKIN_DUE + timedelta(hours=1))
    beat(CHECKIN_DUE + timedelta(hours=1, minutes=5))
    assert [s.kind for s in sent if s.recipient_id == patient.pk] == [
        MessageKind.URGENT_ADVICE,
        MessageKind.CHECKIN,
    ]


def test_a_checkin_held_by_an_alert_still_open_at_the_end_of_its_life_expires(
    visit: Booking, patient: User, sent: list[Sent]
) -> None:
    alert_raise(
        patient=patient,
        level=AlertLevel.URGENT,
        kind="checkin_urgent",
        source_key="test",
        summary="Feeling worse",
    )
    for hours in (0, 1, 24, 71, 73):
        beat(CHECKIN_DUE + timedelta(hours=hours))
    checkin = row(visit, MessageKind.CHECKIN)
    assert checkin.status == OutboxStatus.EXPIRED and "Expired" in checkin.last_error
    assert not [s for s in sent if s.recipient_id == patient.pk]


def test_no_checkin_while_the_treatment_is_on_hold(
    visit: Booking, patient: User, sent: list[Sent]
) -> None:
    flag, _ = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="Check-in")
    beat(CHECKIN_DUE)
    assert row(visit, MessageKind.CHECKIN).status == OutboxStatus.HELD
    assert MessageKind.CHECKIN not in [s.kind for s in sent]
    type(flag).objects.filter(pk=flag.pk).update(cleared_at=CHECKIN_DUE + timedelta(hours=2))
    beat(CHECKIN_DUE + timedelta(hours=2, minutes=1))
    assert MessageKind.CHECKIN in [s.kind for s in sent]


# --- A demo-sized backlog, replayed ---------------------------------------------------------


@pytest.fixture
def backlog_clinic(private: Service, mei: Practitioner) -> Iterator[list[User]]:
    """36 patients with three treatments each in the week of 1 March and one on Tuesday 9 March;
    every sixth has an open urgent alert, every sixth (another) asked for a call."""
    patients = [UserFactory.create() for _ in range(36)]
    for n, person in enumerate(patients):
        minute = (n % 6) * 10
        for day, status in ((1, BookingStatus.ATTENDED), (3, BookingStatus.ATTENDED), (5, None)):
            hour = 9 + n % 8
            fields = {"status": status} if status else {}
            visit_at(
                patient=person,
                service=private,
                practitioner=mei,
                starts_at=at(day, hour, minute),
                **fields,
            )
        visit_at(patient=person, service=private, practitioner=mei, starts_at=at(9, 9 + n % 8))
        if n % 6 == 0:
            alert_raise(
                patient=person,
                level=AlertLevel.URGENT,
                kind="checkin_urgent",
                source_key=f"demo-{n}",
                summary="Feeling worse",
            )
        elif n % 6 == 1:
            alert_raise(
                patient=person,
                level=AlertLevel.TODAY,
                kind=CALL_REQUESTED,
                source_key=f"demo-{n}",
                summary="Please call me",
            )
    yield patients


def test_a_weekend_backlog_replayed_sends_each_message_once_and_one_a_morning(
    backlog_clinic: list[User], sent: list[Sent]
) -> None:
    clinic = Clinic.objects.current()
    # Normal running up to Friday 18:00, then nothing until Monday 08:00.
    moment = at(1, 8)
    while moment <= at(5, 18):
        beat(moment)
        moment += timedelta(hours=3)
    # The morning after the weekend: beat, a restarted worker and a manual run replay the planner
    # and the dispatcher several times over the same backlog.
    for moment in (at(8, 8), at(8, 8), at(8, 8, 1), at(8, 9), at(8, 12), at(8, 21, 30)):
        for _ in range(3):
            with time_machine.travel(moment, tick=False):
                plan(moment)
        beat(moment)
        beat(moment)
    for moment in (at(9, 8), at(9, 8, 1), at(9, 13), at(10, 8), at(10, 8, 1), at(11, 8)):
        beat(moment)

    assert sent, "the replay sent nothing: the test would prove nothing"
    assert len(mail.outbox) == len(sent)
    per_visit = Counter((s.recipient_id, s.booking_id, s.kind) for s in sent if s.booking_id)
    assert per_visit and max(per_visit.values()) == 1
    per_morning = Counter(
        (s.recipient_id, s.at.astimezone(clinic.tz).date()) for s in sent if s.kind in ROUTINE_KINDS
    )
    assert max(per_morning.values()) == 1
    # Nothing routine to a patient while their alert is open (their alerts stay open).
    alerted = set(
        Alert.objects.filter(acknowledged_at__isnull=True).values_list("patient_id", flat=True)
    )
    assert len(alerted) == 12
    assert not [s for s in sent if s.recipient_id in alerted and s.kind in ROUTINE_KINDS]
    # Never a check-in more than 72 hours after it was due.
    ends = dict(Booking.objects.values_list("pk", "ends_at"))
    for s in sent:
        if s.kind == MessageKind.CHECKIN and s.booking_id is not None:
            assert s.at <= ends[s.booking_id] + timedelta(hours=48 + 72)
    # What was not sent is there for staff to see, with its reason.
    expired = OutboxMessage.objects.filter(status=OutboxStatus.EXPIRED)
    assert expired.exists() and all(m.last_error for m in expired)
    assert set(OutboxMessage.objects.values_list("status", flat=True)) <= {
        OutboxStatus.SENT,
        OutboxStatus.EXPIRED,
        OutboxStatus.HELD,
        OutboxStatus.SKIPPED,
        OutboxStatus.PENDING,
    }
