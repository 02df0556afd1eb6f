"""Confirmation and cancellation emails, with a calendar file: outbox rows written in the
booking's own transaction, sent once after the commit; ``booking.tasks.send_booking_email`` only
turns a request queued by an older version into the same row."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone
from icalendar import Calendar

from booking.models import Booking, Service
from booking.services import booking_cancel, booking_reschedule
from booking.tasks import send_booking_email
from followup.models import MessageKind, OutboxMessage, OutboxStatus
from followup.outbox import deliver, dispatch_due
from followup.tasks import enqueue_batches
from portal.models import User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import book, local

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def row(booking: Booking, kind: str = MessageKind.BOOKING_CONFIRMED) -> OutboxMessage:
    return OutboxMessage.objects.get(booking=booking, kind=kind)


def calendar_event(message: mail.EmailMessage) -> tuple[Calendar, Any]:
    (attachment,) = [a for a in message.attachments if a[0] == "visit.ics"]
    _name, content, mimetype = attachment
    assert mimetype == "text/calendar"
    cal = Calendar.from_ical(content)
    (event,) = cal.walk("VEVENT")
    return cal, event


def test_confirmation_goes_out_after_the_booking_commits(
    private: Service, patient: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(patient, private, local(WED, 9), now=NOW)
        assert mail.outbox == []  # nothing is sent before the commit
        # ...but the outbox row is already there, in the booking's transaction.
        assert row(booking).status == OutboxStatus.PENDING
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert "Treatment" in message.body
    assert "Wednesday 3 March 2027, 09:00" in message.body
    cal, event = calendar_event(message)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert event.decoded("DTSTART") == datetime(2027, 3, 3, 9, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 3, 3, 10, tzinfo=UTC)
    assert str(event["STATUS"]) == "CONFIRMED"
    assert row(booking).status == OutboxStatus.SENT


def test_a_booking_rolled_back_leaves_no_confirmation(private: Service, patient: User) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        book(patient, private, local(WED, 9), now=NOW)
        raise RuntimeError("the caller's transaction fails after booking")
    assert not Booking.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_a_lost_hand_off_is_sent_by_the_dispatcher(
    private: Service, patient: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # the broker message never arrives
        booking = book(patient, private, local(WED, 9), now=NOW)
    assert mail.outbox == []
    assert dispatch_due(now=timezone.now(), enqueue=enqueue_batches) == 1
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert row(booking).status == OutboxStatus.SENT


def test_calendar_time_is_utc_in_summer_time(
    private: Service, patient: User, django_capture_on_commit_callbacks
) -> None:
    summer = date(2027, 4, 7)  # a Wednesday, clocks an hour ahead
    with django_capture_on_commit_callbacks(execute=True):
        book(patient, private, local(summer, 9), now=NOW)
    (message,) = mail.outbox
    _, event = calendar_event(message)
    assert event.decoded("DTSTART") == datetime(2027, 4, 7, 8, tzinfo=UTC)
    assert event["DTSTART"].to_ical() == b"20270407T080000Z"
    assert "09:00" in message.body  # shown in the clinic's time


def test_an_old_versions_task_and_a_second_delivery_send_one_email(
    private: Service, patient: User
) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)  # its on_commit never runs here
    send_booking_email(booking.pk, "booking_confirmed")
    send_booking_email.delay(booking.pk, "booking_confirmed")
    assert OutboxMessage.objects.count() == 1
    deliver(row(booking).pk)
    deliver(row(booking).pk)
    assert len(mail.outbox) == 1


def test_a_cancelled_visits_queued_confirmation_is_not_sent(
    private: Service, patient: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as queued:
        booking = book(patient, private, local(WED, 9), now=NOW)
    booking_cancel(booking=booking, by=patient, now=NOW)
    for callback in queued:  # the worker gets to the confirmation only now
        callback()
    assert mail.outbox == []
    assert row(booking).status == OutboxStatus.SKIPPED
    deliver(row(booking, MessageKind.BOOKING_CANCELLED).pk)
    (message,) = mail.outbox
    cal, event = calendar_event(message)
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["STATUS"]) == "CANCELLED"


def test_cancellation_email_goes_out_on_commit(
    private: Service, patient: User, django_capture_on_commit_callbacks
) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=booking, by=patient, now=NOW)
    (message,) = mail.outbox
    assert message.to == [patient.email]
    _, event = calendar_event(message)
    assert str(event["UID"]).startswith(f"booking-{booking.pk}-")
    send_booking_email(booking.pk, "booking_cancelled")
    assert len(mail.outbox) == 1


def test_a_moved_visit_emails_the_new_time_only(
    private: Service, patient: User, django_capture_on_commit_callbacks
) -> None:
    old = book(patient, private, local(WED, 9), now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        new = booking_reschedule(booking=old, starts_at=local(WED, 13), by=patient, now=NOW)
    (message,) = mail.outbox
    _, event = calendar_event(message)
    assert event.decoded("DTSTART") == datetime(2027, 3, 3, 13, tzinfo=UTC)
    assert deliver(row(old).pk) == "skipped"  # the old visit's late confirmation
    assert len(mail.outbox) == 1
    assert row(new, MessageKind.BOOKING_MOVED).status == OutboxStatus.SENT


def test_a_failed_send_is_kept_for_a_retry(
    private: Service, patient: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)

    def broken(to: str, email: object, **kwargs: object) -> None:
        raise OSError("SMTP down")

    monkeypatch.setattr("followup.outbox.send_email", broken)
    assert deliver(row(booking).pk) == "retry"  # the outbox keeps it; no exception
    monkeypatch.undo()
    assert deliver(row(booking).pk) == "not-claimed"  # before the retry is due: nothing
    assert mail.outbox == []
    due = row(booking).due_at
    assert due > timezone.now()
    deliver(row(booking).pk, now=due)  # the dispatcher's retry
    assert len(mail.outbox) == 1
    assert row(booking).status == OutboxStatus.SENT


def test_unknown_email_or_booking_puts_nothing(private: Service, patient: User) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    OutboxMessage.objects.all().delete()
    send_booking_email(booking.pk, "something_else")
    send_booking_email(booking.pk + 1000, "booking_confirmed")
    assert not OutboxMessage.objects.exists()
