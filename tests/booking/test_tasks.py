"""booking.tasks: confirmation and cancellation emails, with a calendar file, sent once
(through the follow-up outbox, which registers itself as their sender)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from icalendar import Calendar

from booking.models import Booking, Service
from booking.services import booking_cancel, booking_reschedule
from booking.tasks import send_booking_email
from followup.models import OutboxMessage
from followup.outbox import deliver
from portal.models import User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import book, local

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


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
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert "Treatment" in message.body
    assert "Wednesday 3 March 2027, 09:00" in message.body
    cal, event = calendar_event(message)
    assert str(cal["METHOD"]) == "PUBLISH"
    assert event.decoded("DTSTART") == datetime(2027, 3, 3, 9, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 3, 3, 10, tzinfo=UTC)
    assert str(event["STATUS"]) == "CONFIRMED"
    booking.refresh_from_db()
    assert booking.confirmation_sent_at is not None


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


def test_running_the_task_twice_sends_one_email(private: Service, patient: User) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)  # its on_commit never runs here
    send_booking_email(booking.pk, "booking_confirmed")
    send_booking_email(booking.pk, "booking_confirmed")
    send_booking_email.delay(booking.pk, "booking_confirmed")
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
    booking.refresh_from_db()
    assert booking.confirmation_sent_at is None
    send_booking_email(booking.pk, "booking_cancelled")
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


def test_a_moved_visit_confirms_the_new_time_only(
    private: Service, patient: User, django_capture_on_commit_callbacks
) -> None:
    old = book(patient, private, local(WED, 9), now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        new = booking_reschedule(booking=old, starts_at=local(WED, 13), by=patient, now=NOW)
    (message,) = mail.outbox
    _, event = calendar_event(message)
    assert event.decoded("DTSTART") == datetime(2027, 3, 3, 13, tzinfo=UTC)
    send_booking_email(old.pk, "booking_confirmed")  # the old visit's late confirmation
    assert len(mail.outbox) == 1
    assert Booking.objects.get(pk=new.pk).confirmation_sent_at is not None


def test_a_failed_send_is_kept_for_a_retry(
    private: Service, patient: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)

    def broken(to: str, email: object) -> None:
        raise OSError("SMTP down")

    monkeypatch.setattr("followup.outbox.send_email", broken)
    send_booking_email(booking.pk, "booking_confirmed")  # the outbox keeps it; no exception
    booking.refresh_from_db()
    assert booking.confirmation_sent_at is None
    monkeypatch.undo()
    send_booking_email(booking.pk, "booking_confirmed")  # before the retry is due: nothing
    assert mail.outbox == []
    row = OutboxMessage.objects.get(booking=booking)
    assert row.due_at > timezone.now()
    deliver(row.pk, now=row.due_at)  # the dispatcher's retry
    assert len(mail.outbox) == 1
    booking.refresh_from_db()
    assert booking.confirmation_sent_at is not None


def test_unknown_email_or_booking_sends_nothing(private: Service, patient: User) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    send_booking_email(booking.pk, "something_else")
    send_booking_email(booking.pk + 1000, "booking_confirmed")
    assert mail.outbox == []
