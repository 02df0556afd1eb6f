"""followup.outbox: put once, claim once, skip what no longer makes sense, hold for quiet
hours, retry transient failures with backoff and a limit, fail permanent ones, recover claims
left by a dead worker, and dispatch without queueing a row twice."""

from __future__ import annotations

import smtplib
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import override_settings

from booking.models import Booking, BookingStatus, Service
from booking.services import booking_cancel, booking_reschedule
from followup import outbox
from followup.models import MessageKind, OutboxMessage, OutboxStatus
from followup.outbox import (
    deliver,
    deliver_batch,
    dispatch_due,
    recover_stale_claims,
)
from portal.messaging import outbox_put
from portal.models import User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import local
from tests.followup.conftest import book, set_status

pytestmark = pytest.mark.django_db

DAYTIME = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)  # Tuesday 10:00 London


@pytest.fixture
def upcoming(private: Service, patient: User) -> Booking:
    return book(patient, private, local(WED, 9), now=NOW)


def guidance(booking: Booking, due_at: datetime = DAYTIME) -> OutboxMessage:
    row, created = outbox_put(
        kind=MessageKind.PRE_VISIT,
        to_user=booking.patient,
        booking=booking,
        due_at=due_at,
        send_now=False,
    )
    assert created
    return row


def refreshed(row: OutboxMessage) -> OutboxMessage:
    row.refresh_from_db()
    return row


def test_a_message_is_put_once_per_key(upcoming: Booking) -> None:
    first = guidance(upcoming)
    again, created = outbox_put(
        kind=MessageKind.PRE_VISIT,
        to_user=upcoming.patient,
        booking=upcoming,
        due_at=NOW,
        send_now=False,
    )
    assert not created and again.pk == first.pk
    # Guidance is once per visit whatever its kind or extra (outbox_one_guidance_per_visit).
    for kind, extra in ((MessageKind.FIRST_VISIT, ""), (MessageKind.PRE_VISIT, "second")):
        same, created = outbox_put(
            kind=kind,
            to_user=upcoming.patient,
            booking=upcoming,
            due_at=NOW,
            dedupe_key=extra,
            send_now=False,
        )
        assert not created and same.pk == first.pk
    # Other kinds are told apart by ``extra`` (e.g. the urgent advice after each check-in stage).
    advice = [
        outbox_put(
            kind=MessageKind.URGENT_ADVICE,
            to_user=upcoming.patient,
            booking=upcoming,
            due_at=NOW,
            dedupe_key=stage,
            send_now=False,
        )
        for stage in ("checkin", "recheck")
    ]
    assert all(created for _, created in advice) and advice[0][0].pk != advice[1][0].pk


def test_patient_level_messages_are_unique_per_recipient(patient: User) -> None:
    row, created = outbox_put(
        kind=MessageKind.ALERT_DIGEST,
        to_user=patient,
        due_at=NOW,
        dedupe_key="2027-03-01",
        send_now=False,
    )
    again, created_again = outbox_put(
        kind=MessageKind.ALERT_DIGEST,
        to_user=patient,
        due_at=NOW,
        dedupe_key="2027-03-01",
        send_now=False,
    )
    assert created and not created_again and again.pk == row.pk


def test_deliver_sends_marks_and_never_sends_twice(upcoming: Booking) -> None:
    row = guidance(upcoming)
    assert deliver(row.pk, now=DAYTIME) == "sent"
    assert deliver(row.pk, now=DAYTIME) == "not-claimed"  # a duplicated task
    (message,) = mail.outbox
    assert message.to == [upcoming.patient.email]
    assert "Before your visit on Wednesday 3 March" in message.subject
    assert "Wear loose, comfortable clothes" in message.body
    row = refreshed(row)
    assert row.status == OutboxStatus.SENT and row.attempts == 1
    assert row.sent_at is not None and row.subject == message.subject


def test_a_batch_is_claimed_once_and_each_message_sent_once(
    upcoming: Booking, private: Service, other_patient: User
) -> None:
    rows = [guidance(upcoming), guidance(book(other_patient, private, local(WED, 11), now=NOW))]
    ids = [r.pk for r in rows]
    assert deliver_batch(ids, now=DAYTIME) == {"sent": 2}
    # The same batch delivered again (a redelivered task): nothing is claimed twice.
    assert deliver_batch(ids, now=DAYTIME) == {"not-claimed": 2}
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.recipient.email for r in rows)
    assert [refreshed(r).attempts for r in rows] == [1, 1]


def test_one_patients_two_routine_messages_in_one_batch_send_one_today(
    upcoming: Booking, private: Service, patient: User
) -> None:
    thursday = book(patient, private, local(date(2027, 3, 4), 9), now=NOW)
    rows = [guidance(upcoming), guidance(thursday)]
    with time_machine.travel(DAYTIME, tick=False):  # "today" is when the first was sent
        outcomes = deliver_batch([r.pk for r in rows], now=DAYTIME)
    assert outcomes == {"sent": 1, "held": 1}
    assert len(mail.outbox) == 1
    # The first due goes; the batch's other row did not block it by being claimed alongside.
    first, second = (refreshed(r) for r in rows)
    assert first.status == OutboxStatus.SENT
    assert second.status == OutboxStatus.HELD and second.due_at > DAYTIME  # the next morning


def test_a_slow_batch_gives_back_the_claims_it_has_not_reached(
    upcoming: Booking, private: Service, other_patient: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    others = [book(other_patient, private, local(WED, h), now=NOW) for h in (13, 15)]
    rows = [guidance(upcoming), *(guidance(b) for b in others)]
    real_send = outbox.send_email
    with time_machine.travel(DAYTIME, tick=False) as clock:

        def stalled_relay(*args: object, **kwargs: object) -> None:
            real_send(*args, **kwargs)  # type: ignore[arg-type]
            clock.shift(timedelta(minutes=3))  # over half the five-minute lease

        monkeypatch.setattr(outbox, "send_email", stalled_relay)
        with override_settings(FOLLOWUP_SENDING_LEASE_SECONDS=300):
            outcomes = deliver_batch([r.pk for r in rows])
    assert outcomes == {"sent": 1, "given-back": 2}
    assert len(mail.outbox) == 1
    given_back = [refreshed(r) for r in rows[1:]]
    # Waiting again, not a spent try, for the dispatcher to queue before the lease could lapse.
    assert {(r.status, r.attempts, r.enqueued_at) for r in given_back} == {
        (OutboxStatus.PENDING, 0, None)
    }


def test_a_message_not_yet_due_is_not_claimed(upcoming: Booking) -> None:
    row = guidance(upcoming, due_at=DAYTIME + timedelta(hours=1))
    assert deliver(row.pk, now=DAYTIME) == "not-claimed"
    assert refreshed(row).status == OutboxStatus.PENDING
    assert mail.outbox == []


@pytest.mark.parametrize("how", ["cancelled", "moved", "no_show"])
def test_a_changed_visit_never_gets_the_old_visits_message(
    upcoming: Booking, patient: User, how: str
) -> None:
    row = guidance(upcoming)
    if how == "cancelled":
        booking_cancel(booking=upcoming, by=patient, now=NOW)
    elif how == "moved":
        booking_reschedule(booking=upcoming, starts_at=local(WED, 13), by=patient, now=NOW)
    else:
        set_status(upcoming, BookingStatus.NO_SHOW)
    mail.outbox.clear()
    assert deliver(row.pk, now=DAYTIME) == "skipped"
    assert mail.outbox == []
    row = refreshed(row)
    assert row.status == OutboxStatus.SKIPPED and row.last_error


def test_quiet_hours_hold_a_message_to_the_morning(upcoming: Booking) -> None:
    night = datetime(2027, 3, 1, 22, 30, tzinfo=UTC)
    row = guidance(upcoming, due_at=night)
    assert deliver(row.pk, now=night) == "held"
    assert mail.outbox == []
    row = refreshed(row)
    assert row.status == OutboxStatus.HELD
    assert row.due_at == datetime(2027, 3, 2, 8, 0, tzinfo=UTC)
    assert deliver(row.pk, now=datetime(2027, 3, 2, 7, 59, tzinfo=UTC)) == "not-claimed"
    assert deliver(row.pk, now=row.due_at) == "sent"
    assert len(mail.outbox) == 1


def test_urgent_messages_ignore_quiet_hours(upcoming: Booking) -> None:
    night = datetime(2027, 3, 1, 23, 0, tzinfo=UTC)
    row, _ = outbox_put(
        kind=MessageKind.BOOKING_CONFIRMED,
        to_user=upcoming.patient,
        booking=upcoming,
        due_at=night,
        send_now=False,
    )
    mail.outbox.clear()
    assert deliver(row.pk, now=night) == "sent"
    assert [a[0] for a in mail.outbox[0].attachments] == ["visit.ics"]


def _failing(monkeypatch: pytest.MonkeyPatch, exc: Exception) -> list[int]:
    calls: list[int] = []

    def send(to: str, email: object, **kwargs: object) -> None:
        calls.append(1)
        raise exc

    monkeypatch.setattr("followup.outbox.send_email", send)
    return calls


def test_a_transient_failure_retries_with_backoff_then_fails_at_the_limit(
    upcoming: Booking, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _failing(monkeypatch, smtplib.SMTPServerDisconnected("gone"))
    row = guidance(upcoming)
    now = DAYTIME
    delays = []
    with override_settings(FOLLOWUP_MAX_ATTEMPTS=4):
        for _ in range(3):
            assert deliver(row.pk, now=now) == "retry"
            row = refreshed(row)
            assert row.status == OutboxStatus.PENDING and "SMTPServerDisconnected" in row.last_error
            delays.append(row.due_at - now)
            now = row.due_at
        assert deliver(row.pk, now=now) == "failed"
    assert delays == [timedelta(minutes=1), timedelta(minutes=2), timedelta(minutes=4)]
    assert refreshed(row).status == OutboxStatus.FAILED
    assert refreshed(row).attempts == 4 and len(calls) == 4


def test_a_permanent_refusal_fails_at_once(
    upcoming: Booking, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = smtplib.SMTPRecipientsRefused({"patient@example.com": (550, b"no such user")})
    _failing(monkeypatch, refused)
    row = guidance(upcoming)
    assert deliver(row.pk, now=DAYTIME) == "failed"
    row = refreshed(row)
    assert row.status == OutboxStatus.FAILED and row.attempts == 1
    assert "550" in row.last_error


def test_a_temporary_refusal_is_retried(upcoming: Booking, monkeypatch: pytest.MonkeyPatch) -> None:
    _failing(monkeypatch, smtplib.SMTPDataError(451, b"try later"))
    row = guidance(upcoming)
    assert deliver(row.pk, now=DAYTIME) == "retry"


def test_a_claim_left_by_a_dead_worker_is_recovered_after_the_lease(upcoming: Booking) -> None:
    row = guidance(upcoming)
    claimed_at = datetime(2027, 3, 2, 10, 0, tzinfo=UTC)
    OutboxMessage.objects.filter(pk=row.pk).update(
        status=OutboxStatus.SENDING, claimed_at=claimed_at, attempts=1
    )
    assert deliver(row.pk, now=DAYTIME) == "not-claimed"  # someone holds it
    with override_settings(FOLLOWUP_SENDING_LEASE_SECONDS=300):
        assert recover_stale_claims(now=claimed_at + timedelta(minutes=4)) == 0
        assert recover_stale_claims(now=claimed_at + timedelta(minutes=6)) == 1
    assert deliver(row.pk, now=DAYTIME) == "sent"
    assert refreshed(row).attempts == 2
    assert len(mail.outbox) == 1


def test_dispatch_hands_each_due_row_over_once_until_it_looks_lost(
    upcoming: Booking, private: Service, other_patient: User
) -> None:
    due = guidance(upcoming)
    later = guidance(book(other_patient, private, local(WED, 11), now=NOW), DAYTIME + timedelta(1))
    queued: list[int] = []
    with override_settings(FOLLOWUP_REQUEUE_SECONDS=300):
        assert dispatch_due(now=DAYTIME, enqueue=queued.extend) == 1
        assert dispatch_due(now=DAYTIME + timedelta(minutes=1), enqueue=queued.extend) == 0
        # Never picked up (the broker lost it): after the requeue time it is handed over again.
        assert dispatch_due(now=DAYTIME + timedelta(minutes=6), enqueue=queued.extend) == 1
    assert queued == [due.pk, due.pk]
    assert refreshed(later).enqueued_at is None


def test_dispatch_batches_large_backlogs(upcoming: Booking) -> None:
    rows = [
        outbox_put(
            kind=MessageKind.URGENT_ADVICE,
            to_user=upcoming.patient,
            booking=upcoming,
            due_at=DAYTIME,
            dedupe_key=str(i),
            send_now=False,
        )[0]
        for i in range(7)
    ]
    batches: list[list[int]] = []
    assert dispatch_due(now=DAYTIME, enqueue=batches.append, batch=3) == 7
    assert [len(b) for b in batches] == [3, 3, 1]
    assert sorted(pk for b in batches for pk in b) == sorted(r.pk for r in rows)
