"""'We have emailed you' is said once, just after booking, moving or cancelling, and only when
the email is really on its way (its outbox row exists for someone with an address): never on a
later look at the visit, never for a caller the desk added without an email address."""

from __future__ import annotations

import html
from typing import Any

import pytest

from booking.models import Booking, Service
from followup.models import OutboxMessage, OutboxStatus
from portal.messaging import GOING_STATUSES, MessageKind, email_on_its_way
from portal.models import NO_EMAIL_DOMAIN, User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import book, local
from tests.booking.test_views import post_confirm
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

EMAILED = "We have emailed"


def _page(client: Any, response: Any) -> str:
    """The page a POST redirected to, as its text reads."""
    assert response.status_code == 302, response.content.decode()[:500]
    return _get(client, response["Location"])


def _get(client: Any, url: str) -> str:
    return html.unescape(client.get(url).content.decode())


@pytest.fixture
def caller(clinic: Any) -> User:
    """A caller the desk added without an email address."""
    return UserFactory.create(
        email=f"caller-1@{NO_EMAIL_DOMAIN}", first_name="Mair", last_name="Owen"
    )


def test_booking_says_emailed_once_and_the_visit_page_never_again(
    private: Service, patient: User
) -> None:
    client = client_for(patient)
    response = post_confirm(client, private, local(WED, 9))
    first = _page(client, response)
    assert "You're booked in. We have emailed you the details with a calendar file." in first
    later = _get(client, response["Location"])
    assert "Wednesday 3 March 2027, 09:00" in later
    assert EMAILED not in later and "booked in" not in later


def test_moving_says_emailed_once(private: Service, patient: User) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    client = client_for(patient)
    response = post_confirm(client, private, local(WED, 13), query={"reschedule": booking.pk})
    first = _page(client, response)
    assert "Your visit has moved. We have emailed you the new time" in first
    later = _get(client, response["Location"])
    assert "Moved from" in later and EMAILED not in later


def test_cancelling_says_emailed(private: Service, patient: User) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    client = client_for(patient)
    page = _page(client, client.post(f"/bookings/{booking.pk}/cancel/"))
    assert "Your visit is cancelled. We have emailed you to confirm." in page


def test_a_caller_without_email_is_never_said_to_be_emailed(
    private: Service, caller: User, front_desk: User
) -> None:
    desk = client_for(front_desk)
    response = post_confirm(desk, private, local(WED, 9), data={"for": str(caller.pk)})
    page = _page(desk, response)
    assert "Mair Owen is booked in. They have no email address: tell them on the phone." in page
    assert EMAILED not in page
    booking = Booking.objects.get()
    # The row is there (the outbox skips it at send time); the page asks whether it will go.
    assert OutboxMessage.objects.filter(booking=booking).exists()
    assert not email_on_its_way(kind=MessageKind.BOOKING_CONFIRMED, booking=booking)

    moved = _page(
        desk,
        post_confirm(
            desk,
            private,
            local(WED, 13),
            data={"for": str(caller.pk)},
            query={"reschedule": booking.pk, "for": caller.pk},
        ),
    )
    assert "visit has moved. They have no email address" in moved and EMAILED not in moved
    new = Booking.objects.get(rescheduled_from=booking)
    cancelled = _page(desk, desk.post(f"/bookings/{new.pk}/cancel/"))
    assert "The visit is cancelled. They have no email address" in cancelled
    assert EMAILED not in cancelled


def test_the_team_booking_for_a_patient_with_an_address_is_told_they_were_emailed(
    private: Service, patient: User, front_desk: User
) -> None:
    desk = client_for(front_desk)
    response = post_confirm(desk, private, local(WED, 9), data={"for": str(patient.pk)})
    page = _page(desk, response)
    assert "is booked in. We have emailed them the details with a calendar file." in page


@pytest.mark.parametrize("status", [OutboxStatus.SKIPPED, OutboxStatus.FAILED])
def test_no_email_is_promised_once_the_outbox_gave_up(
    private: Service, patient: User, status: OutboxStatus
) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    assert email_on_its_way(kind=MessageKind.BOOKING_CONFIRMED, booking=booking)
    OutboxMessage.objects.filter(booking=booking).update(status=status)
    assert not email_on_its_way(kind=MessageKind.BOOKING_CONFIRMED, booking=booking)
    assert not email_on_its_way(kind=MessageKind.BOOKING_MOVED, booking=booking)


def test_the_statuses_that_still_send_are_the_outboxs_own() -> None:
    # portal cannot import followup: the names are repeated there, and must stay the same.
    going = {OutboxStatus.PENDING, OutboxStatus.HELD, OutboxStatus.SENDING, OutboxStatus.SENT}
    assert set(GOING_STATUSES) == {s.value for s in going}
