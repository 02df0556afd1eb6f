"""The waiting list: who is offered a freed place, the hold, the first to confirm, expiry.

The community room has one start (Tuesday 2 March, 17:30, a dated shift) and two recliners,
both booked, unless a test frees one. "Now" is Monday 1 March 2027, 08:00 UTC.
"""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking.availability import find_open_slots
from booking.errors import NotEligible, SlotUnavailable
from booking.models import Booking, BookingStatus, MultibedShift, PriceRule, Room, Service
from booking.services import booking_cancel
from booking.waitlist.board import chosen_time, waitlist_board
from booking.waitlist.claims import offer_claim
from booking.waitlist.entries import waitlist_join, waitlist_leave
from booking.waitlist.errors import PlaceGone, WaitlistError
from booking.waitlist.links import offer_from_token, offer_token
from booking.waitlist.offers import offer_by_hand, offer_free_places
from booking.waitlist.places import open_starts
from booking.waitlist.wishes import wishes_text
from booking.waitlist_models import (
    EntryStatus,
    OfferStatus,
    PlaceStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistPlace,
)
from portal.models import Clinic, User
from tests.booking.conftest import NOW, TUE
from tests.booking.factories import ShiftFactory, book, local
from tests.factories import PatientFactory

START = local(TUE, 17, 30)
TUESDAY_EVENINGS = {"weekdays": [1], "day_parts": ["evening"]}


@pytest.fixture
def one_start(multibed: Service, room: Room, mei) -> MultibedShift:
    return ShiftFactory.create(
        room=room,
        practitioner=mei,
        service=multibed,
        weekday=None,
        date=TUE,
        start_time=time(17, 30),
        end_time=time(18, 20),
        max_new_per_start=2,
    )


@pytest.fixture
def full(multibed: Service, one_start: MultibedShift) -> list[Booking]:
    return [book(PatientFactory.create(), multibed, START, now=NOW) for _ in range(2)]


def join(patient: User, service: Service, *, minutes: int = 0, **wishes) -> WaitlistEntry:
    return waitlist_join(
        patient=patient,
        service=service,
        **(wishes or TUESDAY_EVENINGS),
        now=NOW + timedelta(minutes=minutes),
    )


def queue(service: Service, n: int) -> list[WaitlistEntry]:
    return [join(PatientFactory.create(), service, minutes=i) for i in range(n)]


def free_one(full: list[Booking], front_desk: User) -> None:
    booking_cancel(booking=full[0], by=front_desk, now=NOW)


def test_joining_twice_changes_the_wishes_and_keeps_the_place_in_the_queue(
    multibed: Service, patient: User
) -> None:
    first = join(patient, multibed)
    again = waitlist_join(
        patient=patient,
        service=multibed,
        weekdays=[1, 3],
        day_parts=["morning", "evening"],
        now=NOW + timedelta(days=1),
    )
    assert again.pk == first.pk
    assert again.joined_at == NOW
    assert wishes_text(again) == "Tuesday or Thursday, mornings or evenings"


@pytest.mark.parametrize(
    ("wishes", "message"),
    [
        ({"weekdays": [], "day_parts": ["evening"]}, "Please choose at least one day."),
        ({"weekdays": [1], "day_parts": ["teatime"]}, "Please choose at least one time of day."),
    ],
)
def test_joining_needs_a_day_and_a_time(multibed: Service, patient: User, wishes, message) -> None:
    with pytest.raises(WaitlistError, match=message):
        waitlist_join(patient=patient, service=multibed, **wishes, now=NOW)
    assert not WaitlistEntry.objects.exists()


def test_joining_is_for_a_chosen_number_of_weeks(multibed: Service, patient: User) -> None:
    entry = join(patient, multibed)
    assert entry.until == NOW.date() + timedelta(weeks=8)  # the usual length
    again = waitlist_join(
        patient=patient, service=multibed, weekdays=[1], day_parts=["evening"], weeks=2, now=NOW
    )
    assert again.pk == entry.pk and again.until == NOW.date() + timedelta(weeks=2)
    with pytest.raises(WaitlistError, match="how long to stay on the list"):
        waitlist_join(
            patient=patient,
            service=multibed,
            weekdays=[1],
            day_parts=["evening"],
            weeks=52,
            now=NOW,
        )
    entry.refresh_from_db()
    assert entry.until == NOW.date() + timedelta(weeks=2)  # the refused change changed nothing


@pytest.mark.usefixtures("frozen")
def test_nobody_is_offered_a_place_after_their_chosen_date_and_lapsed_entries_end(
    multibed: Service, full: list[Booking], front_desk: User
) -> None:
    def joined(days_ago: int) -> WaitlistEntry:
        return waitlist_join(
            patient=PatientFactory.create(),
            service=multibed,
            weekdays=[1],
            day_parts=["evening"],
            weeks=2,
            now=NOW - timedelta(days=days_ago),
        )

    lapsed = joined(15)  # until Sunday 28 February: over
    until_today = joined(14)  # until Monday 1 March: still waiting, but not for Tuesday
    until_tuesday = joined(13)  # until Tuesday 2 March: the freed place is theirs to take
    free_one(full, front_desk)
    offered = offer_free_places(now=NOW)
    assert list(WaitlistOffer.objects.filter(pk__in=offered).values_list("entry", flat=True)) == [
        until_tuesday.pk
    ]
    for entry in (lapsed, until_today, until_tuesday):
        entry.refresh_from_db()
    assert lapsed.status == EntryStatus.ENDED and lapsed.ended_at == NOW
    assert until_today.status == EntryStatus.WAITING == until_tuesday.status


@pytest.mark.usefixtures("frozen")
def test_a_freed_recliner_is_offered_to_the_first_matching_people_and_held(
    multibed: Service, full: list[Booking], front_desk: User, policies: Clinic
) -> None:
    mondays = join(PatientFactory.create(), multibed, weekdays=[0], day_parts=["evening"])
    mornings = join(PatientFactory.create(), multibed, weekdays=[1], day_parts=["morning"])
    entries = queue(multibed, 5)
    assert offer_free_places(now=NOW) == []  # nothing free yet
    free_one(full, front_desk)

    offered = offer_free_places(now=NOW)

    offers = WaitlistOffer.objects.filter(pk__in=offered).select_related("place")
    assert [o.entry_id for o in offers] == [e.pk for e in entries[:3]]  # offers per place: 3
    assert {o.entry_id for o in offers}.isdisjoint({mondays.pk, mornings.pk})
    place = offers[0].place
    assert place.starts_at == START and place.status == PlaceStatus.OPEN
    assert place.expires_at == NOW + timedelta(minutes=policies.waitlist_hold_minutes)
    # Held: nobody else can book it, and the page shows no open recliner.
    assert find_open_slots(multibed, TUE, TUE, now=NOW) == []
    with pytest.raises(SlotUnavailable):
        book(PatientFactory.create(), multibed, START, now=NOW)
    # Idempotent: a second scan offers nothing more.
    assert offer_free_places(now=NOW) == []
    assert WaitlistPlace.objects.count() == 1


@pytest.mark.usefixtures("frozen")
def test_the_first_to_confirm_books_it_and_the_others_are_told_it_has_gone(
    multibed: Service, full: list[Booking], front_desk: User
) -> None:
    entries = queue(multibed, 3)
    free_one(full, front_desk)
    offers = WaitlistOffer.objects.filter(pk__in=offer_free_places(now=NOW))
    second, first, third = offers[1], offers[0], offers[2]

    claimed = offer_claim(offer=second, patient=entries[1].patient, now=NOW)

    assert claimed.booking is not None
    assert claimed.booking.status == BookingStatus.CONFIRMED
    assert claimed.booking.starts_at == START
    with pytest.raises(PlaceGone, match="this place has gone"):
        offer_claim(offer=first, patient=entries[0].patient, now=NOW)
    states = dict(WaitlistOffer.objects.values_list("pk", "status"))
    assert states == {
        first.pk: OfferStatus.GONE,
        second.pk: OfferStatus.BOOKED,
        third.pk: OfferStatus.GONE,
    }
    entries_now = dict(WaitlistEntry.objects.values_list("pk", "status"))
    assert entries_now[entries[1].pk] == EntryStatus.BOOKED
    assert entries_now[entries[0].pk] == entries_now[entries[2].pk] == EntryStatus.WAITING
    place = WaitlistPlace.objects.get()
    assert place.status == PlaceStatus.TAKEN and place.booking == claimed.booking
    assert Booking.objects.filter(starts_at=START, status="confirmed").count() == 2


def test_an_unanswered_place_lapses_and_passes_to_the_next_people(
    multibed: Service, full: list[Booking], front_desk: User, policies: Clinic
) -> None:
    policies.waitlist_offers_per_place = 2
    policies.save()
    entries = queue(multibed, 5)
    free_one(full, front_desk)
    with time_machine.travel(NOW, tick=False):
        first_round = WaitlistOffer.objects.filter(pk__in=offer_free_places())
    assert [o.entry_id for o in first_round] == [entries[0].pk, entries[1].pk]

    hold = timedelta(minutes=policies.waitlist_hold_minutes)
    with time_machine.travel(NOW + hold - timedelta(seconds=1), tick=False):
        assert offer_free_places() == []  # still held

    with time_machine.travel(NOW + hold, tick=False):
        second_round = WaitlistOffer.objects.filter(pk__in=offer_free_places())
        assert offer_free_places() == []  # idempotent
        with pytest.raises(PlaceGone):
            offer_claim(offer=first_round[0], patient=entries[0].patient)
    assert [o.entry_id for o in second_round] == [entries[2].pk, entries[3].pk]
    assert set(
        WaitlistOffer.objects.filter(pk__in=first_round).values_list("status", flat=True)
    ) == {OfferStatus.EXPIRED}
    assert WaitlistPlace.objects.filter(status=PlaceStatus.EXPIRED).count() == 1
    # The first two stay on the list for the next place.
    assert WaitlistEntry.objects.filter(status=EntryStatus.WAITING).count() == 5


@pytest.mark.usefixtures("frozen")
def test_a_refused_booking_leaves_the_place_to_the_others(
    multibed: Service, full: list[Booking], front_desk: User, policies: Clinic, private: Service
) -> None:
    entries = queue(multibed, 2)
    # The first already holds a visit and new patients may hold one at a time.
    policies.new_patient_booking_limit = 1
    policies.save()
    book(entries[0].patient, private, local(TUE, 9), now=NOW)
    free_one(full, front_desk)
    offers = WaitlistOffer.objects.filter(pk__in=offer_free_places(now=NOW))

    with pytest.raises(NotEligible):
        offer_claim(offer=offers[0], patient=entries[0].patient, now=NOW)
    assert WaitlistPlace.objects.get().status == PlaceStatus.OPEN
    assert offers[1].status == OfferStatus.SENT

    assert offer_claim(offer=offers[1], patient=entries[1].patient, now=NOW).booking


@pytest.mark.usefixtures("frozen")
def test_a_sliding_scale_place_is_claimed_then_booked_from_the_confirm_page(
    multibed: Service, full: list[Booking], front_desk: User
) -> None:
    multibed.price_rule = PriceRule.SLIDING
    multibed.price_min_minor, multibed.price_max_minor = 1500, 3500
    multibed.save()
    entries = queue(multibed, 2)
    free_one(full, front_desk)
    offers = WaitlistOffer.objects.filter(pk__in=offer_free_places(now=NOW))

    claimed = offer_claim(offer=offers[0], patient=entries[0].patient, now=NOW)
    assert claimed.booking is None and claimed.place.status == PlaceStatus.CLAIMED
    # Still held for the claimant: nobody else, not even the others offered it.
    with pytest.raises(SlotUnavailable):
        book(entries[1].patient, multibed, START, now=NOW)
    with pytest.raises(PlaceGone):
        offer_claim(offer=offers[1], patient=entries[1].patient, now=NOW)

    booking = book(entries[0].patient, multibed, START, now=NOW)
    assert booking.status == BookingStatus.CONFIRMED
    assert WaitlistPlace.objects.get().status == PlaceStatus.TAKEN
    assert WaitlistEntry.objects.get(pk=entries[0].pk).status == EntryStatus.BOOKED


@pytest.mark.usefixtures("frozen")
def test_leaving_withdraws_the_offer_and_the_place_goes_to_the_next(
    multibed: Service, full: list[Booking], front_desk: User, policies: Clinic
) -> None:
    policies.waitlist_offers_per_place = 1
    policies.save()
    entries = queue(multibed, 2)
    free_one(full, front_desk)
    [offer] = WaitlistOffer.objects.filter(pk__in=offer_free_places(now=NOW))
    assert offer.entry_id == entries[0].pk

    assert waitlist_leave(entry=entries[0], by=entries[0].patient, now=NOW)
    assert not waitlist_leave(entry=entries[0], by=entries[0].patient, now=NOW)

    [nxt] = WaitlistOffer.objects.filter(pk__in=offer_free_places(now=NOW))
    assert nxt.entry_id == entries[1].pk
    assert WaitlistEntry.objects.get(pk=entries[0].pk).status == EntryStatus.LEFT


@pytest.mark.usefixtures("frozen")
def test_a_private_time_freed_goes_to_those_who_asked_for_that_practitioner_or_anyone(
    private: Service, mei, patient: User, front_desk: User
) -> None:
    # Every Tuesday morning time of the horizon is taken but one, which is then cancelled.
    from booking.models import TimeOff

    TimeOff.objects.create(practitioner=mei, starts_at=NOW, ends_at=NOW + timedelta(days=60))
    entry = join(patient, private, weekdays=[1], day_parts=["morning"])
    assert offer_free_places(now=NOW) == []
    TimeOff.objects.all().update(starts_at=local(TUE, 10, 15))  # Tuesday 09:00 opens
    [offer] = WaitlistOffer.objects.filter(pk__in=offer_free_places(now=NOW))
    assert offer.entry_id == entry.pk
    assert offer.place.starts_at == local(TUE, 9) and offer.place.room_id is None
    assert local(TUE, 9) not in {s.starts_at for s in find_open_slots(private, TUE, TUE, now=NOW)}
    booking = offer_claim(offer=offer, patient=patient, now=NOW).booking
    assert booking is not None and booking.practitioner_id == mei.pk


@pytest.mark.usefixtures("frozen")
def test_the_team_offers_an_open_time_by_hand(
    multibed: Service, full: list[Booking], front_desk: User, patient: User
) -> None:
    entry = join(patient, multibed, weekdays=[4], day_parts=["morning"])
    with pytest.raises(WaitlistError, match="no longer open"):
        offer_by_hand(entry=entry, starts_at=START, by=front_desk, now=NOW)
    free_one(full, front_desk)
    offer = offer_by_hand(entry=entry, starts_at=START, by=front_desk, now=NOW)
    assert offer.place.offered_by == front_desk
    with pytest.raises(WaitlistError, match="already has a place offered"):
        offer_by_hand(entry=entry, starts_at=START, by=front_desk, now=NOW)
    assert offer_claim(offer=offer, patient=patient, now=NOW).booking


def test_offer_links_are_signed(multibed: Service, full, front_desk: User) -> None:
    queue(multibed, 1)
    free_one(full, front_desk)
    with time_machine.travel(NOW, tick=False):
        [offer] = WaitlistOffer.objects.filter(pk__in=offer_free_places())
    token = offer_token(offer)
    assert offer_from_token(token) == offer
    assert offer_from_token(token[:-2] + "xx") is None
    assert offer_from_token("not-a-token") is None


@pytest.mark.usefixtures("frozen")
def test_the_team_board_groups_entries_per_service_with_the_places_in_flight(
    multibed: Service, private: Service, full: list[Booking], front_desk: User, patient: User
) -> None:
    # The community clinic's only person leaves after its place was offered: the place is
    # still held until the next scan, so the service shows with a place and nobody waiting.
    gone = join(PatientFactory.create(), multibed)
    free_one(full, front_desk)
    [community_offer] = WaitlistOffer.objects.filter(
        pk__in=offer_free_places(service_id=multibed.pk, now=NOW)
    )
    waitlist_leave(entry=gone, by=gone.patient, now=NOW)
    first = join(patient, private, weekdays=[1], day_parts=["morning"])
    second = join(PatientFactory.create(), private, minutes=1, weekdays=[1], day_parts=["morning"])
    by_hand = offer_by_hand(
        entry=first, starts_at=open_starts(private, NOW)[0].starts_at, by=front_desk, now=NOW
    )

    with CaptureQueriesContext(connection) as two_waiting:
        board = waitlist_board(front_desk, now=NOW)

    # Services with people waiting first, then those with only places in flight.
    assert [g.service for g in board] == [private, multibed]
    treatment, community = board
    assert [(r.entry, r.offer) for r in treatment.rows] == [(first, by_hand), (second, None)]
    assert treatment.rows[1].wishes == "Tuesday, mornings"
    assert treatment.places == [by_hand.place]
    assert community.rows == [] and community.places == [community_offer.place]
    open_now = {s.starts_at for s in open_starts(private, NOW)}
    offerable = [chosen_time(value) for value, _ in treatment.rows[1].times]
    assert offerable and all(
        at in open_now and pk == by_hand.place.practitioner_id for at, pk in offerable
    )

    queue(private, 3)
    with CaptureQueriesContext(connection) as five_waiting:
        assert len(waitlist_board(front_desk, now=NOW)[0].rows) == 5
    # The open times and names are read once per service, not once per person waiting.
    assert len(five_waiting) == len(two_waiting)
