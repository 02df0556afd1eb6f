"""practice.roomlane: recliners per stay, occupancy per quarter hour, the next arrival."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine

from booking.attendance import booking_mark_arrived
from booking.models import MultibedShift, Room, Service
from portal.models import User
from practice.roomlane import load_room_lane, next_session_day
from tests.booking.conftest import MON, NOW, TUE
from tests.booking.factories import book, local
from tests.conftest import client_for
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_lane_assigns_recliners_and_counts_each_quarter(
    room: Room, shift: MultibedShift, multibed: Service
) -> None:
    # Two recliners; stays of 50 minutes starting 17:30, 17:45 and 18:30.
    stays = [
        book(PatientFactory.create(), multibed, local(TUE, 17, 30) + timedelta(minutes=m), now=NOW)
        for m in (0, 15, 60)
    ]
    lane = load_room_lane(room, TUE, now=NOW)
    assert [s.recliner for s in lane.stays] == [1, 2, 1]  # 18:30 reuses recliner 1 (free 18:20)
    assert lane.recliners == 2
    assert lane.starts_at is not None and lane.starts_at.hour == 17
    busy = {q.starts_at.strftime("%H:%M"): q.busy for q in lane.quarters}
    assert busy["17:30"] == 1 and busy["17:45"] == 2 and busy["18:15"] == 2
    assert busy["18:30"] == 2  # the 17:45 stay until 18:35 and the new arrival
    assert busy["19:30"] == 0
    assert lane.peak == 2
    assert lane.next_arrival is not None and lane.next_arrival.booking == stays[0]


def test_next_arrival_skips_people_already_here(
    room: Room, shift: MultibedShift, multibed: Service, practitioner: object
) -> None:
    first = book(PatientFactory.create(), multibed, local(TUE, 17, 30), now=NOW)
    second = book(PatientFactory.create(), multibed, local(TUE, 17, 45), now=NOW)
    arriving = local(TUE, 17, 25)
    booking_mark_arrived(booking=first, by=first.patient, now=arriving)
    lane = load_room_lane(room, TUE, now=arriving)
    assert lane.next_arrival is not None and lane.next_arrival.booking == second


def test_a_day_without_a_shift_is_empty(
    room: Room, shift: MultibedShift, django_assert_num_queries: Any
) -> None:
    # Two reads: the room's shifts (the day's, and its next session, from one list) and the
    # day's stays.
    with django_assert_num_queries(2):
        lane = load_room_lane(room, MON, now=NOW)
    assert lane.starts_at is None and lane.stays == [] and lane.shifts == []
    assert lane.next_session == TUE


def test_a_day_without_a_shift_offers_the_next_session(
    room: Room, shift: MultibedShift, practitioner: User
) -> None:
    # The shift runs on Tuesdays: Monday's page links Tuesday, not a dead end.
    shifts = list(room.shifts.all())
    assert next_session_day(shifts, MON) == TUE
    assert next_session_day(shifts, TUE) == TUE + timedelta(days=7)
    with time_machine.travel(NOW, tick=False):
        page = client_for(practitioner).get(f"/practice/room/?date={MON}").content.decode()
    assert "not running on Monday" in page
    assert f'href="?date={TUE.isoformat()}&amp;room={room.pk}" data-next-session' in page


def test_a_day_without_a_shift_says_when_the_room_runs_in_words(
    room: Room, shift: MultibedShift, practitioner: User
) -> None:
    """It printed each shift's name, the room's again each time ("It runs Community room
    Tuesday 17:30-20:30"), and dated shifts long past."""
    from tests.booking.factories import ShiftFactory

    ShiftFactory.create(
        room=room,
        practitioner=shift.practitioner,
        service=shift.service,
        weekday=None,
        date=MON - timedelta(days=7),
    )
    ShiftFactory.create(
        room=room,
        practitioner=shift.practitioner,
        service=shift.service,
        weekday=None,
        date=MON + timedelta(days=10),
    )
    with time_machine.travel(NOW, tick=False):
        page = client_for(practitioner).get(f"/practice/room/?date={MON}").content.decode()
    assert (
        "It runs on Tuesdays 17:30\u201320:30 with Mei Chen and Thursday 11 March "
        "17:30\u201320:30 with Mei Chen." in page
    )
    assert room.name + " Tuesday" not in page
