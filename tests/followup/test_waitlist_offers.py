"""The waiting-list offer email: an outbox row written with the hold (so a lost broker
message loses nothing), rendered without names in the subject, and skipped once the place is
no longer held for the person."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from booking.models import Service
from booking.waitlist.claims import offer_claim
from booking.waitlist.entries import waitlist_join
from booking.waitlist.links import offer_from_token
from booking.waitlist.offers import offer_free_places
from booking.waitlist_models import WaitlistOffer
from followup.messages import Skip, prepare
from followup.models import MessageKind, OutboxMessage
from portal.models import Clinic, User
from tests.booking.conftest import NOW
from tests.booking.factories import time_off

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(private: Service, mei, patient: User, policies: Clinic) -> WaitlistOffer:
    # Mei is away all week but Tuesday 09:00-10:15: the one time the patient asked for.
    time_off(mei, NOW, NOW + timedelta(days=60))
    waitlist_join(patient=patient, service=private, weekdays=[1], day_parts=["morning"], now=NOW)
    from booking.models import TimeOff

    TimeOff.objects.update(starts_at=NOW + timedelta(days=1, hours=2, minutes=15))
    # Not a transaction test: the on-commit hand-off never runs, as if the broker was down.
    [offer_id] = offer_free_places(now=NOW)
    return WaitlistOffer.objects.get(pk=offer_id)


def test_the_offer_email_is_written_with_the_hold_even_when_the_broker_is_down(
    offer: WaitlistOffer,
) -> None:
    # The hand-off to a worker never ran, yet the row is there for the dispatcher's sweep.
    row = OutboxMessage.objects.get(kind=MessageKind.WAITLIST_OFFER)
    assert row.recipient == offer.entry.patient and row.extra == f"offer:{offer.pk}"
    assert row.status == "pending" and row.due_at <= NOW + timedelta(minutes=1)


def test_the_email_names_the_time_not_the_person_and_lapses_with_the_place(
    offer: WaitlistOffer, policies: Clinic, patient: User
) -> None:
    row = OutboxMessage.objects.get()
    prepared = prepare(row, clinic=policies, now=NOW)
    assert not isinstance(prepared, Skip)
    assert prepared.email.subject == "A place has freed: Tue 2 Mar, 09:00"
    assert patient.first_name in prepared.email.text  # the greeting, not the subject
    token = re.search(r"/waiting-list/offer/([^/\s]+)/", prepared.email.text)
    assert token and offer_from_token(token.group(1)) == offer
    assert "We are holding it until 10:00." in prepared.email.text

    assert isinstance(prepare(row, clinic=policies, now=offer.place.expires_at), Skip)
    offer_claim(offer=offer, patient=patient, now=NOW)
    assert isinstance(prepare(row, clinic=policies, now=NOW), Skip)
