"""Whole-clinic closures: no open time on a closed day for any service, cached or computed,
online or at the desk; visits booked before stay booked and are listed; the rules of the form."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from booking.availability import find_open_slots
from booking.availability_cache import cached_closures, cached_open_slots
from booking.closures import (
    ClosureError,
    ClosureRequest,
    closure_add,
    closure_remove,
    upcoming_closures,
    visits_in_closure,
)
from booking.errors import SlotUnavailable
from booking.models import Booking, ClinicClosure, MultibedShift, Practitioner, Service
from booking.services import booking_cancel
from booking.waitlist.entries import waitlist_join
from booking.waitlist.offers import offer_free_places
from portal.models import Clinic, User
from tests.booking.conftest import MON, NOW, TUE, WED
from tests.booking.factories import book, extra_hours, local

pytestmark = pytest.mark.django_db

SUN = MON + timedelta(days=6)
TODAY = NOW.date()


def desk_of(clinic: Clinic) -> User:
    by = User.objects.filter(is_staff=True).first() or User.objects.first()
    assert by is not None
    return by


def close(clinic: Clinic, first: date, last: date | None = None, reason: str = "") -> ClinicClosure:
    return closure_add(
        clinic=clinic,
        asked=ClosureRequest(first, last or first, reason),
        by=desk_of(clinic),
        today=TODAY,
    )


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def days_of(slots: list, service: Service) -> set[date]:
    tz = service.clinic.tz
    return {s.starts_at.astimezone(tz).date() for s in slots}


def test_a_closed_day_has_no_open_time_for_any_service_cached_or_computed(
    private: Service, multibed: Service, shift: MultibedShift, policies: Clinic, front_desk: User
) -> None:
    extra_hours(private.practitioners.get(), TUE, time(18), time(21))  # dated hours close too
    close(policies, TUE, reason="Training day")
    for service in (private, multibed):
        computed = find_open_slots(service, MON, SUN + timedelta(days=7), now=NOW)
        assert TUE not in days_of(computed, service)
        assert TUE + timedelta(days=7) in days_of(computed, service)  # the next Tuesday opens
        assert cached_open_slots(service, MON, SUN + timedelta(days=7), now=NOW) == computed
        assert cached_open_slots(service, MON, SUN + timedelta(days=7), now=NOW) == computed
    assert WED in days_of(find_open_slots(private, MON, SUN, now=NOW), private)
    assert cached_closures(private, MON, SUN) == {TUE: "Training day"}


def test_a_closure_written_after_a_cached_read_closes_the_cached_days(
    private: Service, multibed: Service, shift: MultibedShift, policies: Clinic, commits
) -> None:
    for service in (private, multibed):
        assert TUE in days_of(cached_open_slots(service, MON, SUN, now=NOW), service)
    with commits():
        closure = close(policies, TUE)
    for service in (private, multibed):
        cached = cached_open_slots(service, MON, SUN, now=NOW)
        assert TUE not in days_of(cached, service)
        assert cached == find_open_slots(service, MON, SUN, now=NOW)
    with commits():
        closure_remove(clinic=policies, closure_id=closure.pk, by=desk_of(policies))
    assert TUE in days_of(cached_open_slots(private, MON, SUN, now=NOW), private)


def test_nobody_books_a_closed_day_online_or_at_the_desk(
    private: Service,
    multibed: Service,
    shift: MultibedShift,
    policies: Clinic,
    patient: User,
    front_desk: User,
) -> None:
    close(policies, TUE, WED)
    with pytest.raises(SlotUnavailable):
        book(patient, private, local(WED, 9), now=NOW)
    with pytest.raises(SlotUnavailable):
        book(patient, private, local(TUE, 13), now=NOW, booked_by=front_desk)
    with pytest.raises(SlotUnavailable) as refused:
        book(patient, multibed, local(TUE, 17, 30), now=NOW, booked_by=front_desk)
    # The alternatives offered are on open days.
    assert refused.value.alternatives
    assert not {TUE, WED} & days_of(refused.value.alternatives, multibed)


def test_visits_booked_before_stay_booked_and_are_listed_to_move(
    private: Service,
    multibed: Service,
    shift: MultibedShift,
    policies: Clinic,
    patient: User,
    other_patient: User,
) -> None:
    on_tuesday = book(patient, private, local(TUE, 9), now=NOW)
    in_the_room = book(other_patient, multibed, local(TUE, 17, 30), now=NOW)
    on_wednesday = book(patient, private, local(WED, 16), now=NOW)
    closure = close(policies, TUE, reason="Closed for the holidays")
    assert list(visits_in_closure(closure)) == [on_tuesday, in_the_room]
    assert set(Booking.objects.values_list("status", flat=True)) == {"confirmed"}
    assert upcoming_closures(policies, today=TODAY) == [(closure, 2)]
    booking_cancel(booking=on_tuesday, by=patient, now=NOW)
    assert list(visits_in_closure(closure)) == [in_the_room]
    assert on_wednesday not in visits_in_closure(closure)


def test_the_closures_list_counts_each_closures_visits_in_one_query(
    private: Service,
    policies: Clinic,
    patient: User,
    other_patient: User,
    django_assert_num_queries,
) -> None:
    book(patient, private, local(TUE, 9), now=NOW)
    book(other_patient, private, local(TUE, 10, 15), now=NOW)
    book(patient, private, local(WED, 16), now=NOW)
    book(other_patient, private, local(MON + timedelta(days=8), 9), now=NOW)  # left open
    tuesday = close(policies, TUE)
    wednesday = close(policies, WED)
    empty = close(policies, WED + timedelta(days=7))

    with django_assert_num_queries(2):  # the closures, then every count
        listed = upcoming_closures(policies, today=TODAY)

    assert listed == [(tuesday, 2), (wednesday, 1), (empty, 0)]


def test_a_freed_place_on_a_closed_day_is_offered_to_nobody(
    private: Service,
    mei: Practitioner,
    policies: Clinic,
    patient: User,
    other_patient: User,
    front_desk: User,
) -> None:
    from booking.models import TimeOff

    # Only Tuesday 09:00 is free in the horizon, and it is booked; then the clinic closes.
    TimeOff.objects.create(practitioner=mei, starts_at=NOW, ends_at=local(TUE, 9))
    TimeOff.objects.create(
        practitioner=mei, starts_at=local(TUE, 10, 15), ends_at=NOW + timedelta(days=60)
    )
    taken = book(other_patient, private, local(TUE, 9), now=NOW)
    waitlist_join(patient=patient, service=private, weekdays=[1], day_parts=["morning"], now=NOW)
    close(policies, TUE)
    booking_cancel(booking=taken, by=front_desk, now=NOW)
    assert offer_free_places(now=NOW) == []


@pytest.mark.parametrize(
    ("first", "last", "field", "words"),
    [
        (WED, TUE, "last_day", "on or after the first"),
        (MON - timedelta(days=1), TUE, "first_day", "has passed"),
        (TUE, TUE + timedelta(days=400), "last_day", "at most 366 days"),
        (MON + timedelta(days=10), MON + timedelta(days=20), "first_day", "already closed"),
    ],
)
def test_a_closure_that_makes_no_sense_is_refused_with_its_field(
    policies: Clinic, front_desk: User, first: date, last: date, field: str, words: str
) -> None:
    close(policies, MON + timedelta(days=14), MON + timedelta(days=15))
    with pytest.raises(ClosureError) as refused:
        close(policies, first, last)
    assert refused.value.field == field and words in refused.value.message
    assert ClinicClosure.objects.count() == 1


def test_today_can_be_closed_and_days_next_to_a_closure_too(
    policies: Clinic, front_desk: User
) -> None:
    close(policies, TODAY, reason="Burst pipe")
    close(policies, TODAY + timedelta(days=1), TODAY + timedelta(days=2))
    assert ClinicClosure.objects.count() == 2
