"""The waiting-list offer race on PostgreSQL: twenty people offered one freed recliner all
confirm at once, each on their own connection. Exactly one gets a booking, the nineteen
others are told politely that the place has gone and stay on the list, and the room never
holds more people than it has recliners.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from functools import partial
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.db import connection

from booking.models import Booking, BookingStatus, PaymentMode, Room, ServiceKind
from booking.services import booking_cancel
from booking.waitlist.claims import offer_claim
from booking.waitlist.entries import waitlist_join
from booking.waitlist.errors import PlaceGone
from booking.waitlist_models import (
    EntryStatus,
    OfferStatus,
    PlaceStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistPlace,
)
from followup.models import MessageKind, OutboxMessage
from portal.models import Clinic, User
from tests.booking.conftest import NOW, TUE
from tests.booking.factories import ServiceFactory, ShiftFactory, book, local
from tests.concurrency import at_once, labelled
from tests.factories import PatientFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL"),
    pytest.mark.usefixtures("eager_celery"),
]

RACERS = 20


def race(attempts: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run every attempt at once, each on its own connection; return what each got."""
    return labelled(at_once(attempts, timeout=90), ok="claimed", expected={PlaceGone: "gone"})


def test_twenty_confirm_one_freed_recliner_and_exactly_one_books_it(
    policies: Clinic, mei: Any, front_desk: User
) -> None:
    policies.waitlist_offers_per_place = RACERS
    policies.save()
    service = ServiceFactory.create(
        kind=ServiceKind.MULTIBED,
        duration_minutes=50,
        price_minor=2500,
        payment_mode=PaymentMode.AT_CLINIC,
        practitioners=[mei],
    )
    room = Room.objects.create(clinic=policies, name="Community room", recliners=3)
    ShiftFactory.create(
        room=room,
        practitioner=mei,
        service=service,
        weekday=None,
        date=TUE,
        start_time=time(17, 30),
        end_time=time(18, 20),
        max_new_per_start=6,
    )
    at = local(TUE, 17, 30)
    with time_machine.travel(NOW, tick=False):
        taken = [book(PatientFactory.create(), service, at, now=NOW) for _ in range(3)]
        people = [PatientFactory.create(email=f"waiting{i}@example.com") for i in range(RACERS)]
        for person in people:
            waitlist_join(
                patient=person, service=service, weekdays=[1], day_parts=["evening"], now=NOW
            )
        assert not WaitlistOffer.objects.exists()  # the room is full
        mail.outbox.clear()

        # A cancellation frees one recliner; on commit the list is offered it (eager Celery).
        booking_cancel(booking=taken[0], by=front_desk, now=NOW)

        offers = list(WaitlistOffer.objects.select_related("entry__patient"))
        assert len(offers) == RACERS
        assert WaitlistPlace.objects.get().status == PlaceStatus.OPEN
        # Each of the twenty was emailed through the outbox.
        assert (
            OutboxMessage.objects.filter(kind=MessageKind.WAITLIST_OFFER, status="sent").count()
            == RACERS
        )
        mail.outbox.clear()

        results = race(
            [
                partial(offer_claim, offer=offer, patient=offer.entry.patient, now=NOW)
                for offer in offers
            ]
        )

    outcomes = [r[0] for r in results]
    assert outcomes.count("claimed") == 1, results
    assert outcomes.count("gone") == RACERS - 1, results
    assert all("this place has gone" in str(r[1]) for r in results if r[0] == "gone")
    [winner] = [r[1].booking for r in results if r[0] == "claimed"]
    assert winner is not None and winner.status == BookingStatus.CONFIRMED

    in_room = Booking.objects.filter(room=room, starts_at=at, status__in=["confirmed", "held"])
    assert in_room.count() == room.recliners
    assert WaitlistPlace.objects.get().status == PlaceStatus.TAKEN
    assert WaitlistOffer.objects.filter(status=OfferStatus.BOOKED).count() == 1
    assert WaitlistOffer.objects.filter(status=OfferStatus.GONE).count() == RACERS - 1
    assert WaitlistEntry.objects.filter(status=EntryStatus.WAITING).count() == RACERS - 1
    assert WaitlistEntry.objects.get(status=EntryStatus.BOOKED).patient_id == winner.patient_id
    # Only the winner's confirmation went out.
    assert [m.to for m in mail.outbox] == [[winner.patient.email]]
