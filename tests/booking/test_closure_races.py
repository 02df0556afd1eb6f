"""A booking racing a closure's creation on PostgreSQL, with real row locks: it is refused, or
it committed first and is listed with the closure; never booked inside it unseen."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

import pytest
from django.db import connection

from booking.closures import ClosureRequest, closure_add, visits_in_closure
from booking.errors import SlotUnavailable
from booking.models import Booking, ClinicClosure, MultibedShift, Service
from booking.services import BookingRequest, booking_create
from portal.models import Clinic, User
from tests.booking.conftest import NOW, TUE
from tests.booking.factories import book, local
from tests.concurrency import at_once, labelled, while_held
from tests.factories import PatientFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL"),
    pytest.mark.usefixtures("eager_celery"),
]


def _close_tuesday(clinic: Clinic, by: User) -> ClinicClosure:
    return closure_add(
        clinic=clinic, asked=ClosureRequest(TUE, TUE, "Training day"), by=by, today=NOW.date()
    )


def test_a_booking_asked_while_a_closure_is_being_added_waits_and_is_refused(
    private: Service, policies: Clinic, patient: User, front_desk: User
) -> None:
    closing, booking = while_held(
        partial(_close_tuesday, policies, front_desk),
        partial(book, patient, private, local(TUE, 9), now=NOW),
    )

    assert closing.error is None, closing.error
    assert isinstance(booking.error, SlotUnavailable), booking
    assert not Booking.objects.exists()


def test_a_closure_asked_while_a_booking_is_being_made_waits_and_lists_it(
    private: Service, policies: Clinic, patient: User, front_desk: User
) -> None:
    def close_and_list() -> list[Booking]:
        return list(visits_in_closure(_close_tuesday(policies, front_desk)))

    booking, closing = while_held(
        partial(book, patient, private, local(TUE, 9), now=NOW), close_and_list
    )

    assert booking.error is None, booking.error
    assert [b.starts_at for b in closing.value] == [local(TUE, 9)]


def test_many_bookings_racing_a_closure_are_each_refused_or_listed(
    private: Service,
    multibed: Service,
    shift: MultibedShift,
    policies: Clinic,
    front_desk: User,
) -> None:
    patients = [
        PatientFactory.create(email=f"racer{uuid.uuid4().hex[:10]}@example.com") for _ in range(12)
    ]
    times = [local(TUE, 9) + timedelta(minutes=75 * i) for i in range(2)] + [
        local(TUE, 13) + timedelta(minutes=75 * i) for i in range(3)
    ]
    attempts: list[Callable[[], Any]] = []
    attempts += [
        partial(
            booking_create,
            BookingRequest(patient=p, service=private, starts_at=times[i % len(times)]),
            now=NOW,
        )
        for i, p in enumerate(patients[:6])
    ]
    attempts += [
        partial(
            booking_create,
            BookingRequest(
                patient=p,
                service=multibed,
                starts_at=local(TUE, 17, 30) + timedelta(minutes=15 * i),
            ),
            now=NOW,
        )
        for i, p in enumerate(patients[6:])
    ]
    attempts.append(partial(_close_tuesday, policies, front_desk))
    results = labelled(at_once(attempts), ok="done", expected={SlotUnavailable: "refused"})
    assert results[-1][0] == "done"
    closure = ClinicClosure.objects.get()
    booked = set(Booking.objects.filter(status="confirmed").values_list("pk", flat=True))
    assert booked == {b.pk for b in visits_in_closure(closure)}
    # Each booking made was made before the closure was: none is newer than it.
    for b in Booking.objects.all():
        assert b.created_at <= closure.created_at
