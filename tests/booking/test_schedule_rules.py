"""Shifts and time off added later never overlap visits already booked (admin validation)."""

from __future__ import annotations

from datetime import time

import pytest
from django.core.exceptions import ValidationError

from booking.models import MultibedShift, Practitioner, Room, Service, TimeOff
from portal.models import User
from tests.booking.conftest import NOW, TUE, WED
from tests.booking.factories import book, local

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def test_time_off_over_a_booked_visit_is_refused(
    mei: Practitioner, private: Service, patient: User
) -> None:
    book(patient, private, local(TUE, 10), now=NOW)
    off = TimeOff(practitioner=mei, starts_at=local(TUE, 9), ends_at=local(TUE, 12))
    with pytest.raises(ValidationError, match="1 booked visit"):
        off.full_clean()


def test_time_off_that_only_touches_the_buffer_is_refused_too(
    mei: Practitioner, private: Service, patient: User
) -> None:
    # The 10:00 visit lasts an hour and blocks 15 minutes' buffer after it.
    book(patient, private, local(TUE, 10), now=NOW)
    off = TimeOff(practitioner=mei, starts_at=local(TUE, 11, 10), ends_at=local(TUE, 12))
    with pytest.raises(ValidationError):
        off.full_clean()


def test_time_off_on_a_free_afternoon_is_accepted(
    mei: Practitioner, private: Service, patient: User
) -> None:
    book(patient, private, local(TUE, 10), now=NOW)
    off = TimeOff(practitioner=mei, starts_at=local(TUE, 13), ends_at=local(TUE, 17))
    off.full_clean()  # raises ValidationError if refused
    off.save()
    assert TimeOff.objects.filter(practitioner=mei).count() == 1


def test_a_dated_shift_over_a_private_visit_is_refused(
    mei: Practitioner, private: Service, multibed: Service, room: Room, patient: User
) -> None:
    book(patient, private, local(WED, 14), now=NOW)
    shift = MultibedShift(
        room=room,
        practitioner=mei,
        service=multibed,
        date=WED,
        start_time=time(13, 30),
        end_time=time(16),
    )
    with pytest.raises(ValidationError, match="private visit"):
        shift.full_clean()


def test_a_weekly_shift_clashing_with_the_same_practitioners_shift_is_refused(
    shift: MultibedShift, multibed: Service, room: Room, mei: Practitioner
) -> None:
    clash = MultibedShift(
        room=room,
        practitioner=mei,
        service=multibed,
        weekday=shift.weekday,
        start_time=shift.start_time,
        end_time=shift.end_time,
    )
    with pytest.raises(ValidationError, match="already runs a shift"):
        clash.full_clean()


def test_a_shift_needs_a_weekday_or_a_date_but_not_both(
    multibed: Service, room: Room, mei: Practitioner
) -> None:
    both = MultibedShift(
        room=room,
        practitioner=mei,
        service=multibed,
        weekday=2,
        date=WED,
        start_time=time(18),
        end_time=time(20),
    )
    with pytest.raises(ValidationError, match="either a weekday"):
        both.full_clean()
