"""booking.availability: open start times from hours, exceptions, time off, shifts and bookings."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from booking.availability import Policy, find_open_slots, load_schedule, open_slots
from booking.models import (
    LONGEST_BLOCK,
    MAX_BUFFER_MINUTES,
    MAX_VISIT_MINUTES,
    MultibedShift,
    Practitioner,
    Room,
    Service,
    ServiceKind,
)
from portal.models import Clinic, User
from tests.booking.conftest import MON, NOW, TUE, WED
from tests.booking.factories import (
    LONDON,
    ServiceFactory,
    ShiftFactory,
    book,
    closed_day,
    extra_hours,
    local,
    time_off,
    weekly_hours,
)
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

ANY_TIME = Policy(min_notice=timedelta(0), horizon=timedelta(days=800))


def starts(service: Service, day: date, *, now: datetime = NOW, last: date | None = None) -> list:
    """Local wall-clock start times (HH:MM) of the open slots."""
    slots = find_open_slots(service, day, last or day, now=now)
    return [s.starts_at.astimezone(LONDON).strftime("%H:%M") for s in slots]


def grid(first: str, last: str, step: int = 15) -> list[str]:
    at = datetime.strptime(first, "%H:%M")
    end = datetime.strptime(last, "%H:%M")
    out = []
    while at <= end:
        out.append(at.strftime("%H:%M"))
        at += timedelta(minutes=step)
    return out


# --- Private visits: hours, exceptions, time off, buffers -----------------------------


def test_several_ranges_a_day_on_the_service_grid(private: Service) -> None:
    # 60-minute visits: the last start of each range still ends inside it.
    assert starts(private, WED) == grid("09:00", "11:00") + grid("13:00", "16:00")


def test_no_hours_no_slots(private: Service) -> None:
    assert starts(private, date(2027, 3, 6)) == []  # a Saturday


def test_extra_hours_open_a_day_and_closed_day_shuts_one(private: Service, mei: Practitioner):
    saturday = date(2027, 3, 6)
    extra_hours(mei, saturday, time(10), time(12))
    closed_day(mei, WED)
    assert starts(private, saturday) == grid("10:00", "11:00")
    assert starts(private, WED) == []
    assert starts(private, date(2027, 3, 4)) != []  # Thursday untouched


def test_extra_hours_overlapping_weekly_hours_give_each_start_once(
    private: Service, mei: Practitioner
) -> None:
    extra_hours(mei, WED, time(11), time(14))
    assert starts(private, WED) == grid("09:00", "16:00")


def test_time_off_blocks_every_start_whose_visit_or_buffer_meets_it(
    private: Service, mei: Practitioner
) -> None:
    time_off(mei, local(WED, 10), local(WED, 10, 30))
    # 09:00 would run to 10:00 plus 15 minutes' buffer: it meets the time off.
    assert starts(private, WED)[:3] == ["10:30", "10:45", "11:00"]
    assert "09:45" not in starts(private, WED)


def test_buffers_before_and_after_block_the_practitioner(
    private: Service, mei: Practitioner, patient: User
) -> None:
    book(patient, private, local(WED, 9), now=NOW)  # blocks 09:00-10:15
    assert starts(private, WED)[0] == "10:15"
    careful = ServiceFactory.create(
        duration_minutes=30, buffer_before_minutes=15, buffer_after_minutes=0, practitioners=[mei]
    )
    # Its 15 minutes before the visit may not overlap the 10:15 end of the blocked time.
    morning = [s for s in starts(careful, WED) if s < "12:00"]
    assert morning == grid("10:30", "11:30")


@pytest.mark.parametrize(
    "too_long",
    [
        {"duration_minutes": MAX_VISIT_MINUTES + 1},
        {"buffer_before_minutes": MAX_BUFFER_MINUTES + 1},
        {"buffer_after_minutes": MAX_BUFFER_MINUTES + 1},
    ],
    ids=["visit", "buffer-before", "buffer-after"],
)
def test_a_service_cannot_keep_more_time_than_the_reads_look_back_for(
    mei: Practitioner, too_long: dict[str, int]
) -> None:
    """The open-time reads find a visit by its start, within LONGEST_BLOCK of the window."""
    longest = ServiceFactory.create(
        duration_minutes=MAX_VISIT_MINUTES,
        buffer_before_minutes=MAX_BUFFER_MINUTES,
        buffer_after_minutes=MAX_BUFFER_MINUTES,
    )
    assert longest.duration + longest.buffer_before + longest.buffer_after == LONGEST_BLOCK
    for field, minutes in too_long.items():
        setattr(longest, field, minutes)
    # The form and the admin say so plainly...
    with pytest.raises(ValidationError) as refused:
        longest.full_clean()
    assert set(refused.value.message_dict) == set(too_long)
    # ...and the database refuses it from anywhere else.
    with pytest.raises(IntegrityError), transaction.atomic():
        longest.save()


def test_a_cancelled_booking_frees_its_time(
    private: Service, patient: User, front_desk: User
) -> None:
    from booking.services import booking_cancel

    booking = book(patient, private, local(WED, 9), now=NOW)
    assert "09:00" not in starts(private, WED)
    booking_cancel(booking=booking, by=front_desk, now=NOW)
    assert starts(private, WED)[0] == "09:00"


def test_multibed_shift_blocks_the_practitioners_private_time(
    private: Service, multibed: Service, room: Room, mei: Practitioner
) -> None:
    ShiftFactory.create(
        room=room,
        practitioner=mei,
        service=multibed,
        weekday=TUE.weekday(),
        start_time=time(11),
        end_time=time(12),
    )
    ShiftFactory.create(
        room=room,
        practitioner=mei,
        service=multibed,
        weekday=None,
        date=WED,
        start_time=time(13),
        end_time=time(15),
    )
    assert [s for s in starts(private, TUE) if s < "12:00"] == grid("09:00", "09:45")
    assert [s for s in starts(private, WED) if s > "12:00"] == grid("15:00", "16:00")
    assert starts(private, date(2027, 3, 10))[-1] == "16:00"  # the dated shift is one day only


def test_only_practitioners_offering_the_service_and_bookable(
    private: Service, policies: Clinic
) -> None:
    from tests.booking.factories import PractitionerFactory

    away = PractitionerFactory.create(is_bookable=False)
    weekly_hours(away, (time(7), time(8)))
    other = PractitionerFactory.create()  # bookable, but does not offer the service
    weekly_hours(other, (time(7), time(8)))
    private.practitioners.add(away)
    assert starts(private, WED)[0] == "09:00"


def test_policy_minimum_notice_and_horizon(private: Service) -> None:
    wednesday_morning = local(WED, 8, 30)
    assert starts(private, WED, now=wednesday_morning)[0] == "10:30"  # 120 minutes' notice
    # 56 days ahead is Monday 26 April, 08:00 UTC = 09:00 BST: the day's first start only.
    horizon_day = (NOW + timedelta(days=56)).date()
    assert starts(private, horizon_day) == ["09:00"]
    assert starts(private, horizon_day + timedelta(days=1)) == []


def test_open_slots_is_pure(private: Service, django_assert_num_queries) -> None:
    schedule = load_schedule(private, MON, MON + timedelta(days=27))
    with django_assert_num_queries(0):
        slots = open_slots(schedule, MON, MON + timedelta(days=27), now=NOW, policy=ANY_TIME)
    assert len(slots) == 4 * 5 * 22


# --- Multibed ---------------------------------------------------------------------------


def multibed_starts(service: Service, day: date) -> dict[str, int | None]:
    return {
        s.starts_at.astimezone(LONDON).strftime("%H:%M"): s.places_left
        for s in find_open_slots(service, day, day, now=NOW)
    }


def test_multibed_starts_every_interval_until_the_last_stay_fits(
    multibed: Service, shift: MultibedShift
) -> None:
    # 50-minute stays in a room open 17:30-20:30: the last start is 19:30; both recliners free.
    assert multibed_starts(multibed, TUE) == dict.fromkeys(grid("17:30", "19:30"), 2)
    assert multibed_starts(multibed, WED) == {}


def test_multibed_places_left_counts_recliners_and_new_patients_per_start(
    multibed: Service, shift: MultibedShift
) -> None:
    shift.max_new_per_start = 2
    shift.save()
    assert multibed_starts(multibed, TUE)["17:30"] == 2
    book(PatientFactory.create(), multibed, local(TUE, 17, 30), now=NOW)
    left = multibed_starts(multibed, TUE)
    # 17:30 has one recliner left; every start whose stay overlaps 17:30-18:20 too.
    assert left["17:30"] == 1
    assert left["18:15"] == 1
    assert left["18:30"] == 2


def test_a_multibed_start_needs_a_recliner_for_every_minute_of_the_stay(
    multibed: Service, shift: MultibedShift
) -> None:
    # Two recliners. Patients start at 18:00 and 18:15: both in the room 18:15-18:50.
    book(PatientFactory.create(), multibed, local(TUE, 18), now=NOW)
    book(PatientFactory.create(), multibed, local(TUE, 18, 15), now=NOW)
    left = multibed_starts(multibed, TUE)
    # 17:30 is empty when it starts, but at 18:15 its stay (to 18:20) would be the third.
    assert "17:30" not in left
    assert "17:15" not in left
    # The same for every start whose stay reaches 18:15-18:50.
    for blocked in grid("17:30", "18:45"):
        assert blocked not in left, blocked
    # 17:15 is not a shift time; 18:50 frees one recliner, 19:05 both.
    assert left["19:00"] == 1
    assert left["19:15"] == 2


def test_multibed_full_and_staggered(multibed: Service, shift: MultibedShift) -> None:
    # 17:30 and 17:45 take both recliners until 18:20 and 18:35.
    book(PatientFactory.create(), multibed, local(TUE, 17, 30), now=NOW)
    book(PatientFactory.create(), multibed, local(TUE, 17, 45), now=NOW)
    left = multibed_starts(multibed, TUE)
    assert not {"17:30", "17:45", "18:00", "18:15"} & set(left)
    assert left["18:30"] == 1  # one recliner free from 18:20, the other from 18:35


def test_multibed_shift_cancelled_by_time_off_and_closed_day(
    multibed: Service, shift: MultibedShift, mei: Practitioner
) -> None:
    time_off(mei, local(TUE, 18), local(TUE, 19))
    left = multibed_starts(multibed, TUE)
    assert "17:30" not in left  # its stay runs into the time off
    assert set(left) == set(grid("19:00", "19:30"))
    closed_day(mei, TUE + timedelta(days=7))
    assert multibed_starts(multibed, TUE + timedelta(days=7)) == {}


def test_private_bookings_do_not_use_recliners(
    multibed: Service, shift: MultibedShift, private: Service, patient: User
) -> None:
    book(patient, private, local(TUE, 9), now=NOW)
    assert len(multibed_starts(multibed, TUE)) == 9


# --- Daylight saving (Europe/London: 28 March and 31 October 2027) ----------------------


def test_the_clock_change_days_are_last_sundays() -> None:
    for day in (date(2027, 3, 28), date(2027, 10, 31)):
        assert day.weekday() == 6 and (day + timedelta(days=7)).month != day.month
        before = datetime.combine(day, time(0, 30), tzinfo=LONDON).utcoffset()
        after = datetime.combine(day, time(3, 30), tzinfo=LONDON).utcoffset()
        assert before != after


@pytest.fixture
def sunday_service(mei: Practitioner) -> Service:
    return ServiceFactory.create(duration_minutes=15, slot_step_minutes=15, practitioners=[mei])


def utc_starts(service: Service, day: date) -> list[datetime]:
    schedule = load_schedule(service, day, day)
    return [s.starts_at for s in open_slots(schedule, day, day, now=NOW, policy=ANY_TIME)]


@pytest.mark.parametrize("day", [date(2027, 3, 28), date(2027, 10, 31)])
def test_clock_change_day_keeps_the_local_times(
    sunday_service: Service, mei: Practitioner, day: date
) -> None:
    weekly_hours(mei, (time(9), time(12)), weekdays=[6])
    normal = day - timedelta(days=7)
    local_times = [s.astimezone(LONDON).time() for s in utc_starts(sunday_service, day)]
    assert local_times == [s.astimezone(LONDON).time() for s in utc_starts(sunday_service, normal)]
    assert len(local_times) == 12
    # Same wall clock, an hour apart in UTC.
    shift = utc_starts(sunday_service, normal)[0].hour - utc_starts(sunday_service, day)[0].hour
    assert abs(shift) == 1


def test_spring_forward_has_only_the_real_two_hours(
    sunday_service: Service, mei: Practitioner
) -> None:
    weekly_hours(mei, (time(0), time(3)), weekdays=[6])
    real = utc_starts(sunday_service, date(2027, 3, 28))
    # 00:00 GMT (= 00:00 UTC) to 03:00 BST (= 02:00 UTC): two hours of 15-minute starts.
    expected = [datetime(2027, 3, 28, 0, tzinfo=UTC) + timedelta(minutes=15 * i) for i in range(8)]
    assert real == expected
    shown = [s.astimezone(LONDON).strftime("%H:%M") for s in real]
    assert shown == grid("00:00", "00:45") + grid("02:00", "02:45")


def test_fall_back_has_the_real_four_hours(sunday_service: Service, mei: Practitioner) -> None:
    weekly_hours(mei, (time(0), time(3)), weekdays=[6])
    real = utc_starts(sunday_service, date(2027, 10, 31))
    # 00:00 BST (= 23:00 UTC the day before) to 03:00 GMT (= 03:00 UTC): four hours.
    first = datetime(2027, 10, 30, 23, tzinfo=UTC)
    assert real == [first + timedelta(minutes=15 * i) for i in range(16)]
    shown = [s.astimezone(LONDON).strftime("%H:%M") for s in real]
    # 01:00-01:45 happens twice, once in BST and once in GMT.
    assert shown == grid("00:00", "01:45") + grid("01:00", "02:45")


def test_multibed_shift_across_the_spring_change(
    multibed: Service, room: Room, mei: Practitioner
) -> None:
    ShiftFactory.create(
        room=room,
        practitioner=mei,
        service=multibed,
        weekday=None,
        date=date(2027, 3, 28),
        start_time=time(0),
        end_time=time(3),
    )
    real = utc_starts(multibed, date(2027, 3, 28))
    # Two real hours, 50-minute stays: 00:00 to 01:00 UTC.
    first = datetime(2027, 3, 28, 0, tzinfo=UTC)
    assert real == [first + timedelta(minutes=15 * i) for i in range(5)]


# --- A fixed number of queries --------------------------------------------------------


@pytest.fixture
def busy_clinic(
    private: Service, multibed: Service, shift: MultibedShift, mei: Practitioner, policies: Clinic
) -> None:
    """Eight weeks of hours with bookings, time off, exceptions and shifts in them."""
    policies.booking_horizon_days = 90
    policies.save()
    for week in range(8):
        tuesday = TUE + timedelta(days=7 * week)
        book(PatientFactory.create(), private, local(tuesday, 9), now=NOW)
        book(PatientFactory.create(), multibed, local(tuesday, 17, 30), now=NOW)
        time_off(mei, local(tuesday + timedelta(days=1), 9), local(tuesday + timedelta(days=1), 10))
        closed_day(mei, tuesday + timedelta(days=2))
        extra_hours(mei, tuesday + timedelta(days=4), time(10), time(12))


@pytest.mark.parametrize("kind", [ServiceKind.PRIVATE, ServiceKind.MULTIBED])
def test_availability_queries_do_not_grow_with_the_range(
    busy_clinic: None, kind: str, django_assert_max_num_queries
) -> None:
    bound = 7  # the service's clinic, then load_schedule's six reads
    counts = {}
    for days in (1, 56):
        service = Service.objects.get(kind=kind)  # fresh: nothing cached on it
        with django_assert_max_num_queries(bound) as captured:
            slots = find_open_slots(service, TUE, TUE + timedelta(days=days - 1), now=NOW)
        counts[days] = len(captured.captured_queries)
        assert slots
    assert counts[1] == counts[56]
    # The 8-week answer really covers 8 weeks, with the bookings taken out.
    assert slots[-1].starts_at.date() >= TUE + timedelta(days=49)
    assert local(TUE + timedelta(days=7), 9) not in {s.starts_at for s in slots}
