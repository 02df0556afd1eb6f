"""The page cache of open times: the same answer as computing, and never stale after a commit."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from booking.availability import find_open_slots
from booking.availability_cache import cached_open_slots
from booking.models import Booking, MultibedShift, Practitioner, Service, WeeklyHours
from booking.services import booking_cancel
from portal.models import User
from tests.booking.conftest import MON, NOW, TUE, WED
from tests.booking.factories import book, local, time_off

pytestmark = pytest.mark.django_db

SUN = MON + timedelta(days=6)


def times(slots: list, day: date | None = None) -> list[str]:
    return [
        f"{s.starts_at.astimezone(local(MON, 0).tzinfo):%a %H:%M} {s.places_left}"
        for s in slots
        if day is None or s.starts_at.astimezone(local(MON, 0).tzinfo).date() == day
    ]


@pytest.fixture
def commits(django_capture_on_commit_callbacks):
    """Run on-commit work (the cache version bump) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_cached_times_equal_computed_times(private: Service, multibed: Service, shift, patient):
    book(patient, private, local(WED, 9), now=NOW)
    for service in (private, multibed):
        computed = find_open_slots(service, MON, SUN, now=NOW)
        assert computed, "the week must have open times for the comparison to mean anything"
        assert cached_open_slots(service, MON, SUN, now=NOW) == computed  # computed and stored
        assert cached_open_slots(service, MON, SUN, now=NOW) == computed  # read back


def test_a_second_read_asks_the_database_nothing(private: Service, django_assert_num_queries):
    cached_open_slots(private, MON, SUN, now=NOW)
    with django_assert_num_queries(0):
        assert cached_open_slots(private, MON, SUN, now=NOW)


def test_a_longer_range_reuses_the_cached_days_and_computes_the_rest_at_once(
    private: Service, django_assert_max_num_queries
):
    cached_open_slots(private, MON, SUN, now=NOW)
    with django_assert_max_num_queries(7):
        four_weeks = cached_open_slots(private, MON, MON + timedelta(days=27), now=NOW)
    assert four_weeks == find_open_slots(private, MON, MON + timedelta(days=27), now=NOW)


def test_notice_is_applied_on_read_not_baked_into_the_cache(private: Service):
    early = cached_open_slots(private, WED, WED, now=NOW)
    later_now = local(WED, 12)
    later = cached_open_slots(private, WED, WED, now=later_now)
    assert later == find_open_slots(private, WED, WED, now=later_now)
    assert len(later) < len(early)


def test_a_committed_booking_disappears_and_a_cancellation_reappears(
    private: Service, patient: User, front_desk: User, commits
):
    assert "Wed 09:00 None" in times(cached_open_slots(private, MON, SUN, now=NOW))
    with commits():
        booking = book(patient, private, local(WED, 9), now=NOW)
    assert "Wed 09:00 None" not in times(cached_open_slots(private, MON, SUN, now=NOW))
    with commits():
        # booking_cancel writes with a conditional UPDATE, which sends no model signal.
        booking_cancel(booking=booking, by=front_desk, now=NOW)
    assert "Wed 09:00 None" in times(cached_open_slots(private, MON, SUN, now=NOW))


@pytest.mark.parametrize("kind", ["private", "multibed"])
def test_after_a_booking_only_the_bookings_are_read_again(
    request, kind: str, patient: User, commits, django_assert_num_queries
):
    service: Service = request.getfixturevalue(kind)
    if kind == "multibed":
        request.getfixturevalue("shift")
    before = cached_open_slots(service, MON, SUN, now=NOW)
    with commits():
        book(patient, service, before[0].starts_at, now=NOW)
    with django_assert_num_queries(1):  # the diary (hours, shifts, time off) stays cached
        after = cached_open_slots(service, MON, SUN, now=NOW)
    assert after == find_open_slots(service, MON, SUN, now=NOW) != before


def test_a_multibed_place_taken_lowers_the_recliners_shown(
    multibed: Service, shift: MultibedShift, patient: User, commits
):
    before = times(cached_open_slots(multibed, TUE, TUE, now=NOW))
    assert before[0] == "Tue 17:30 2"
    with commits():
        book(patient, multibed, local(TUE, 17, 30), now=NOW)
    after = times(cached_open_slots(multibed, TUE, TUE, now=NOW))
    assert after == times(find_open_slots(multibed, TUE, TUE, now=NOW))
    assert "Tue 17:45 1" in after


def test_schedule_edits_through_save_and_bulk_update_both_invalidate(
    private: Service, mei: Practitioner, commits
):
    assert times(cached_open_slots(private, WED, WED, now=NOW))
    with commits():
        time_off(mei, local(WED, 0), local(WED, 23, 59))
    assert times(cached_open_slots(private, WED, WED, now=NOW)) == []
    thursday = WED + timedelta(days=1)
    assert times(cached_open_slots(private, thursday, thursday, now=NOW))
    with commits():
        WeeklyHours.objects.filter(practitioner=mei, weekday=thursday.weekday()).delete()
    assert times(cached_open_slots(private, thursday, thursday, now=NOW)) == []
    friday = thursday + timedelta(days=1)
    assert times(cached_open_slots(private, friday, friday, now=NOW))[0] == "Fri 09:00 None"
    with commits():
        WeeklyHours.objects.filter(
            practitioner=mei, weekday=friday.weekday(), start_time=time(9)
        ).update(start_time=time(10))
    moved = times(cached_open_slots(private, friday, friday, now=NOW))
    assert moved[0] == "Fri 10:00 None"
    assert moved == times(find_open_slots(private, friday, friday, now=NOW))


def test_arrival_notes_and_price_do_not_throw_the_cache_away(
    private: Service, patient: User, commits, django_assert_num_queries
):
    with commits():
        booking = book(patient, private, local(WED, 9), now=NOW)
    cached_open_slots(private, MON, SUN, now=NOW)
    with commits():
        Booking.objects.filter(pk=booking.pk).update(cancellation_note="Ring the bell")
        Booking.objects.filter(pk=booking.pk).update(arrived_at=NOW, price_minor=0)
    with django_assert_num_queries(0):
        cached_open_slots(private, MON, SUN, now=NOW)


def test_the_service_for_pages_is_read_once_then_kept_until_a_committed_change(
    private: Service, commits, django_assert_num_queries
):
    from django.http import Http404

    from booking.availability_cache import cached_bookable_service

    offering = sorted(p.pk for p in private.practitioners.all())
    first = cached_bookable_service(private.slug)
    assert first.service.pk == private.pk and first.service.clinic.pk == private.clinic_id
    with django_assert_num_queries(0):
        again = cached_bookable_service(private.slug)
        # Its clinic and practitioners came along: the week page asks both.
        assert again.service.clinic.tz and [p.pk for p in again.practitioners] == offering
        assert again.service.name == private.name and not again.service._state.adding

    with commits():
        Service.objects.filter(pk=private.pk).update(name="Follow-up treatment (45 min)")
    assert cached_bookable_service(private.slug).service.name == "Follow-up treatment (45 min)"

    with commits():
        private.is_active = False
        private.save()
    with pytest.raises(Http404):
        cached_bookable_service(private.slug)


def test_entries_are_plain_data_never_model_instances(
    multibed: Service, shift: MultibedShift, monkeypatch
):
    """What goes into the cache (the service, the diary, the days) is builtins, dates and
    times: reading it back needs no model class, whatever a deploy changed."""
    from booking import availability_cache

    stored: list[object] = []
    real = availability_cache.cached_under

    def spy(key, load, **kwargs):
        stored.append(real(key, load, **kwargs))
        return stored[-1]

    monkeypatch.setattr(availability_cache, "cached_under", spy)
    availability_cache.cached_bookable_service(multibed.slug)
    assert cached_open_slots(multibed, MON, SUN, now=NOW) == find_open_slots(
        multibed, MON, SUN, now=NOW
    )
    assert len(stored) >= 2, "the service and the diary went through the cache"
    for value in stored:
        _assert_plain(value)


def _assert_plain(value: object) -> None:
    from datetime import datetime
    from datetime import time as clock

    if isinstance(value, dict):
        for key, item in value.items():
            _assert_plain(key)
            _assert_plain(item)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _assert_plain(item)
    else:
        assert value is None or type(value) in (int, str, bool, date, clock, datetime), value


def test_a_row_stored_by_code_with_other_columns_is_not_misread(shift: MultibedShift) -> None:
    from booking.availability_cache import _from_row, _row

    names, values = _row(shift)
    again = _from_row(MultibedShift, (names, values))
    assert again is not None and (again.pk, again.start_time) == (shift.pk, shift.start_time)
    renamed = tuple("begins_at" if n == "start_time" else n for n in names)
    assert _from_row(MultibedShift, (renamed, values)) is None
