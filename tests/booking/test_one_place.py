"""One patient, one place at a time: no visit may overlap another the patient holds, whatever
the service or practitioner (a second recliner at the same start, two practitioners at once).
The race on PostgreSQL is in ``test_races.py``."""

from __future__ import annotations

from datetime import time

import pytest

from booking.errors import PatientBusy
from booking.models import Booking, BookingStatus, Practitioner, Room, Service, ServiceKind
from booking.services import booking_reschedule
from portal.models import Clinic, User
from tests.booking.conftest import NOW, TUE, WED
from tests.booking.factories import (
    PractitionerFactory,
    ServiceFactory,
    ShiftFactory,
    book,
    local,
    weekly_hours,
)
from tests.booking.test_views import post_confirm
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def ravi(policies: Clinic) -> Practitioner:
    p = PractitionerFactory.create(display_name="Ravi Shah")
    weekly_hours(p, (time(9), time(17)))
    return p


@pytest.fixture
def with_ravi(ravi: Practitioner) -> Service:
    return ServiceFactory.create(
        slug="ravi-treatment", name="Treatment with Ravi", practitioners=[ravi]
    )


@pytest.fixture
def busy_multibed(room: Room, mei: Practitioner) -> Service:
    service = ServiceFactory.create(
        slug="community",
        name="Community clinic",
        kind=ServiceKind.MULTIBED,
        duration_minutes=50,
        price_minor=2500,
        practitioners=[mei],
    )
    ShiftFactory.create(
        room=room, practitioner=mei, service=service, weekday=TUE.weekday(), max_new_per_start=6
    )
    return service


def test_a_second_recliner_at_the_same_start_is_refused(
    busy_multibed: Service, patient: User
) -> None:
    book(patient, busy_multibed, local(TUE, 17, 30), now=NOW)
    with pytest.raises(PatientBusy) as refused:
        book(patient, busy_multibed, local(TUE, 17, 30), now=NOW)
    assert "You already have a visit at that time" in refused.value.message
    assert "Community clinic on Tuesday 2 March at 17:30" in refused.value.message
    assert Booking.objects.filter(patient=patient).count() == 1


def test_two_practitioners_at_the_same_moment_are_refused(
    private: Service, with_ravi: Service, patient: User
) -> None:
    book(patient, private, local(WED, 9), now=NOW)
    with pytest.raises(PatientBusy):
        book(patient, with_ravi, local(WED, 9, 30), now=NOW)  # overlaps 09:00-10:00
    assert Booking.objects.filter(patient=patient).count() == 1


def test_back_to_back_visits_are_fine(private: Service, with_ravi: Service, patient: User) -> None:
    book(patient, private, local(WED, 9), now=NOW)
    book(patient, with_ravi, local(WED, 10), now=NOW)  # starts as the first ends
    assert Booking.objects.filter(patient=patient, status=BookingStatus.CONFIRMED).count() == 2


def test_a_cancelled_visit_does_not_count(
    private: Service, with_ravi: Service, patient: User
) -> None:
    from booking.services import booking_cancel

    first = book(patient, private, local(WED, 9), now=NOW)
    booking_cancel(booking=first, by=patient, now=NOW)
    second = book(patient, with_ravi, local(WED, 9), now=NOW)
    assert second.status == BookingStatus.CONFIRMED
    assert second.starts_at == first.starts_at and second.pk != first.pk


def test_another_patient_is_not_affected(
    busy_multibed: Service, patient: User, other_patient: User
) -> None:
    mine = book(patient, busy_multibed, local(TUE, 17, 30), now=NOW)
    theirs = book(other_patient, busy_multibed, local(TUE, 17, 30), now=NOW)
    assert mine.status == theirs.status == BookingStatus.CONFIRMED
    assert mine.starts_at == theirs.starts_at


def test_moving_a_visit_onto_part_of_its_own_time_is_fine(private: Service, patient: User) -> None:
    old = book(patient, private, local(WED, 9), now=NOW)
    new = booking_reschedule(booking=old, starts_at=local(WED, 9, 30), by=patient, now=NOW)
    assert new.status == BookingStatus.CONFIRMED


def test_moving_onto_another_visit_is_refused_and_changes_nothing(
    private: Service, with_ravi: Service, patient: User
) -> None:
    book(patient, with_ravi, local(WED, 13), now=NOW)
    old = book(patient, private, local(WED, 9), now=NOW)
    with pytest.raises(PatientBusy):
        booking_reschedule(booking=old, starts_at=local(WED, 13, 30), by=patient, now=NOW)
    assert Booking.objects.get(pk=old.pk).status == BookingStatus.CONFIRMED


def test_the_desk_is_told_the_patient_already_has_a_visit(
    private: Service, with_ravi: Service, patient: User, front_desk: User
) -> None:
    book(patient, private, local(WED, 9), now=NOW)
    with pytest.raises(PatientBusy) as refused:
        book(patient, with_ravi, local(WED, 9), now=NOW, booked_by=front_desk)
    assert refused.value.message.startswith("This patient already has a visit at that time")


def test_the_confirm_page_says_so_and_books_nothing(
    private: Service, with_ravi: Service, patient: User, frozen: None
) -> None:
    book(patient, private, local(WED, 9), now=NOW)
    response = post_confirm(client_for(patient), with_ravi, local(WED, 9, 30))
    assert response.status_code == 200
    assert "You already have a visit at that time" in response.content.decode()
    assert Booking.objects.filter(patient=patient).count() == 1
