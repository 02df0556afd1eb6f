"""Moving a visit is one visit that moved: the same calendar event (UID) with a higher
SEQUENCE, a "Moved: ... from ... to ..." email instead of "Booked:", and pages that link the
old booking to the new one."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core import mail
from icalendar import Calendar

from booking.ics import calendar_uid
from booking.models import Booking, BookingStatus, Practitioner, Service
from booking.services import booking_cancel, booking_reschedule
from followup.models import MessageKind, OutboxMessage
from portal.models import User
from practice import services as practice_services
from tests.booking.conftest import NOW, WED
from tests.booking.factories import book, local
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]


def calendar_event(message: mail.EmailMessage) -> tuple[Calendar, Any]:
    (attachment,) = [a for a in message.attachments if a[0] == "visit.ics"]
    cal = Calendar.from_ical(attachment[1])
    (event,) = cal.walk("VEVENT")
    return cal, event


def test_a_moved_visit_keeps_its_calendar_event_with_a_higher_sequence(
    private: Service, patient: User, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        first = book(patient, private, local(WED, 9), now=NOW)
    _, booked = calendar_event(mail.outbox[0])
    with django_capture_on_commit_callbacks(execute=True):
        moved = booking_reschedule(booking=first, starts_at=local(WED, 13), by=patient, now=NOW)
    _, event = calendar_event(mail.outbox[1])
    assert str(event["UID"]) == str(booked["UID"]) == calendar_uid(first)
    assert int(booked["SEQUENCE"]) == 0
    assert int(event["SEQUENCE"]) == 1
    assert event.decoded("DTSTART") == datetime(2027, 3, 3, 13, tzinfo=UTC)
    # Moved again: still the same event, one step further on.
    with django_capture_on_commit_callbacks(execute=True):
        again = booking_reschedule(booking=moved, starts_at=local(WED, 15), by=patient, now=NOW)
    _, event = calendar_event(mail.outbox[2])
    assert str(event["UID"]) == str(booked["UID"])
    assert int(event["SEQUENCE"]) == 2
    # Cancelled at last: the same event is removed, with a sequence above the last update.
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=again, by=patient, now=NOW)
    cal, event = calendar_event(mail.outbox[3])
    assert str(cal["METHOD"]) == "CANCEL"
    assert str(event["UID"]) == str(booked["UID"])
    assert int(event["SEQUENCE"]) == 3


def test_the_moved_email_says_moved_from_and_to_not_booked(
    private: Service, patient: User, django_capture_on_commit_callbacks
) -> None:
    old = book(patient, private, local(WED, 9), now=NOW)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        new = booking_reschedule(booking=old, starts_at=local(WED, 13), by=patient, now=NOW)
    (message,) = mail.outbox
    assert message.subject == "Moved: Treatment from Wed 3 Mar, 09:00 to Wed 3 Mar, 13:00"
    assert "Booked" not in message.subject
    assert patient.first_name not in message.subject
    assert "From: Wednesday 3 March 2027, 09:00" in message.body
    assert "To:   Wednesday 3 March 2027, 13:00" in message.body
    assert isinstance(message, mail.EmailMultiAlternatives)
    (html, _mime) = message.alternatives[0]
    assert "has moved" in str(html)
    row = OutboxMessage.objects.get(booking=new)
    assert row.kind == MessageKind.BOOKING_MOVED
    assert not OutboxMessage.objects.filter(booking=new, kind=MessageKind.BOOKING_CONFIRMED)
    assert row.status == "sent"


def test_the_moved_email_is_sent_once(
    private: Service, patient: User, django_capture_on_commit_callbacks
) -> None:
    from followup.outbox import deliver

    old = book(patient, private, local(WED, 9), now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        new = booking_reschedule(booking=old, starts_at=local(WED, 13), by=patient, now=NOW)
    mail.outbox.clear()
    row = OutboxMessage.objects.get(booking=new, kind=MessageKind.BOOKING_MOVED)
    deliver(row.pk)  # a retried or duplicated task finds it sent
    assert mail.outbox == []
    assert OutboxMessage.objects.filter(booking=new).count() == 1


def test_the_old_page_links_to_the_new_and_the_new_says_where_it_came_from(
    private: Service, patient: User, frozen: None
) -> None:
    old = book(patient, private, local(WED, 9), now=NOW)
    new = booking_reschedule(booking=old, starts_at=local(WED, 13), by=patient, now=NOW)
    client = client_for(patient)
    page = client.get(f"/bookings/{old.pk}/").content.decode()
    assert "This visit was moved" in page
    assert f'href="/bookings/{new.pk}/"' in page
    assert "Wednesday 3 March at 13:00" in page
    page = client.get(f"/bookings/{new.pk}/").content.decode()
    assert "Moved from" in page
    assert f'href="/bookings/{old.pk}/"' in page
    assert "Wednesday 3 March at 09:00" in page
    assert "This visit was moved" not in page


def test_a_visit_that_never_moved_shows_no_move_links(
    private: Service, patient: User, frozen: None
) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    page = client_for(patient).get(f"/bookings/{booking.pk}/").content.decode()
    assert "Moved from" not in page and "This visit was moved" not in page


def test_the_practitioner_feed_carries_the_same_uid_and_sequence(
    private: Service, mei: Practitioner, patient: User
) -> None:
    old = book(patient, private, local(WED, 9), now=NOW)
    new = booking_reschedule(booking=old, starts_at=local(WED, 13), by=patient, now=NOW)
    feed = practice_services.feed_enable(practitioner=mei)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.timezone.now", lambda: NOW)
        body = client_for(patient).get(f"/feeds/{feed.token}.ics").content
    (event,) = Calendar.from_ical(body).walk("VEVENT")
    assert str(event["UID"]) == calendar_uid(old) == calendar_uid(new)
    assert event.decoded("SEQUENCE") == 1
    assert Booking.objects.get(pk=old.pk).status == BookingStatus.RESCHEDULED


def test_the_practice_visit_pages_link_the_move_both_ways(
    private: Service, patient: User, practitioner: User, frozen: None
) -> None:
    old = book(patient, private, local(WED, 9), now=NOW)
    new = booking_reschedule(booking=old, starts_at=local(WED, 13), by=patient, now=NOW)
    client = client_for(practitioner)
    page = client.get(f"/practice/bookings/{old.pk}/").content.decode()
    assert "It was moved to" in page and f'href="/practice/bookings/{new.pk}/"' in page
    page = client.get(f"/practice/bookings/{new.pk}/").content.decode()
    assert "Moved from" in page and f'href="/practice/bookings/{old.pk}/"' in page
