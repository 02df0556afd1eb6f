"""Never overbooked: real concurrent connections on PostgreSQL race for the last place.

Each thread has its own Django connection (closed at the end), all are released together
by a barrier, and every round checks that exactly one wins and the others are told the
time is gone, with fresh alternatives that do not offer it again.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, time, timedelta
from functools import partial
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from booking.errors import ChangeNotAllowed, NotEligible, SlotUnavailable
from booking.models import Booking, Practitioner, Room, Service, ServiceKind
from booking.services import (
    BookingRequest,
    booking_cancel,
    booking_create,
    booking_reschedule,
)
from portal.models import Clinic, User
from tests.booking.conftest import NOW, TUE, WED
from tests.booking.factories import (
    PractitionerFactory,
    ServiceFactory,
    ShiftFactory,
    book,
    extra_hours,
    local,
    weekly_hours,
)
from tests.concurrency import at_once, labelled
from tests.factories import PatientFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL"),
    pytest.mark.usefixtures("eager_celery"),
]

RACERS = 20
ROUNDS = 3


def race(attempts: list[Callable[[], Booking]]) -> list[tuple[str, Any]]:
    """Run every attempt at once, each on its own connection; return what each got."""
    return labelled(
        at_once(attempts),
        ok="booked",
        expected={SlotUnavailable: "unavailable", NotEligible: "not eligible"},
    )


def assert_one_winner(results: list[tuple[str, Any]], taken_at: Any) -> Booking:
    winners = [r[1] for r in results if r[0] == "booked"]
    losers = [r[1] for r in results if r[0] == "unavailable"]
    assert len(winners) == 1, results
    assert len(losers) == RACERS - 1, results
    for exc in losers:
        offered = [s.starts_at for s in exc.alternatives]
        assert offered, "a loser got no alternatives"
        assert taken_at not in offered
    return winners[0]


def new_patients(n: int) -> list[User]:
    return [
        PatientFactory.create(email=f"racer{uuid.uuid4().hex[:10]}@example.com") for _ in range(n)
    ]


@pytest.fixture
def ravi(policies: Clinic) -> Practitioner:
    """A practitioner with Thursday afternoons, plus one extra hour on each raced Wednesday."""
    p = PractitionerFactory.create(display_name="Ravi")
    weekly_hours(p, (time(13), time(17)), weekdays=[3])
    return p


def raced_days() -> list[date]:
    return [WED + timedelta(days=7 * r) for r in range(ROUNDS)]


def test_the_last_private_slot_goes_to_exactly_one(ravi: Practitioner) -> None:
    service = ServiceFactory.create(duration_minutes=60, practitioners=[ravi])
    for day in raced_days():
        extra_hours(ravi, day, time(9), time(10))  # room for one visit: 09:00
    for day in raced_days():
        mail.outbox.clear()
        at = local(day, 9)
        results = race([partial(book, p, service, at, now=NOW) for p in new_patients(RACERS)])
        winner = assert_one_winner(results, at)
        assert (
            Booking.objects.filter(service=service, starts_at=at, status="confirmed").count() == 1
        )
        assert winner.practitioner_id == ravi.pk
        # Only the winner's confirmation went out.
        assert [m.to for m in mail.outbox] == [[winner.patient.email]]


def test_the_last_recliner_goes_to_exactly_one(policies: Clinic, mei: Practitioner) -> None:
    service = ServiceFactory.create(
        kind=ServiceKind.MULTIBED, duration_minutes=50, price_minor=2500, practitioners=[mei]
    )
    room = Room.objects.create(clinic=policies, name="Community room", recliners=3)
    ShiftFactory.create(
        room=room, practitioner=mei, service=service, weekday=TUE.weekday(), max_new_per_start=6
    )
    for r in range(ROUNDS):
        tuesday = TUE + timedelta(days=7 * r)
        at = local(tuesday, 17, 30)
        book(PatientFactory.create(), service, at, now=NOW)
        book(PatientFactory.create(), service, at, now=NOW)  # one recliner left at 17:30
        results = race([partial(book, p, service, at, now=NOW) for p in new_patients(RACERS)])
        assert_one_winner(results, at)
        in_room = Booking.objects.filter(room=room, starts_at=at, status="confirmed")
        assert in_room.count() == room.recliners


def test_twenty_patients_for_one_assessment(assessment: Service, mei: Practitioner) -> None:
    # The practitioner is free only at 09:00 on each raced day (a closed rest of the day
    # would leave no alternatives, so the rest of the week stays open).
    from booking.models import TimeOff

    for day in raced_days():
        TimeOff.objects.create(
            practitioner=mei, starts_at=local(day, 9, 15), ends_at=local(day, 17)
        )
    for day in raced_days():
        at = local(day, 9)
        results = race([partial(book, p, assessment, at, now=NOW) for p in new_patients(RACERS)])
        assert_one_winner(results, at)
        assert Booking.objects.filter(service=assessment, starts_at=at).count() == 1


def test_one_patient_racing_for_several_assessments_gets_one(
    assessment: Service, patient: User
) -> None:
    # Twenty tabs, twenty different times: the patient still holds one free assessment.
    times = [local(WED, 9) + timedelta(minutes=15 * i) for i in range(12)] + [
        local(WED, 13) + timedelta(minutes=15 * i) for i in range(8)
    ]
    results = race([partial(book, patient, assessment, at, now=NOW) for at in times])
    assert [r[0] for r in results].count("booked") == 1
    assert {r[0] for r in results} == {"booked", "not eligible"}
    assert Booking.objects.filter(patient=patient, kind="assessment").count() == 1


def test_a_double_submitted_form_makes_one_booking(private: Service, patient: User) -> None:
    for r in range(ROUNDS):
        key = str(uuid.uuid4())
        at = local(WED + timedelta(days=7 * r), 9)
        results = race(
            [
                partial(
                    booking_create,
                    BookingRequest(patient=patient, service=private, starts_at=at, request_key=key),
                    now=NOW,
                )
                for _ in range(RACERS)
            ]
        )
        # Every submit is answered with the same booking, and only one row exists.
        assert {r[0] for r in results} == {"booked"}, [(r[0], str(r[1])) for r in results]
        assert len({r[1].pk for r in results}) == 1
        assert Booking.objects.filter(request_key=key).count() == 1
        assert Booking.objects.filter(patient=patient, starts_at=at).count() == 1


def test_one_patient_racing_for_two_overlapping_visits_gets_one(
    private: Service, mei: Practitioner, ravi: Practitioner
) -> None:
    """Two practitioners free at once, and the same patient asks for both from many tabs."""
    with_ravi = ServiceFactory.create(duration_minutes=60, practitioners=[ravi])
    patient = new_patients(1)[0]
    for day in raced_days():
        extra_hours(ravi, day, time(9), time(12))
        attempts: list[Callable[[], Booking]] = [
            partial(book, patient, private, local(day, 9), now=NOW),
            partial(book, patient, with_ravi, local(day, 9, 30), now=NOW),
        ] * 5
        results = race(attempts)
        booked = [r for r in results if r[0] == "booked"]
        refused = [r for r in results if r[0] == "not eligible"]
        assert len(booked) == 1, results
        assert len(refused) + len(booked) + sum(r[0] == "unavailable" for r in results) == 10
        assert refused, results
        assert Booking.objects.filter(patient=patient, starts_at__date=day).count() == 1


def test_one_patient_never_holds_two_recliners_at_one_start(
    policies: Clinic, mei: Practitioner
) -> None:
    service = ServiceFactory.create(
        kind=ServiceKind.MULTIBED, duration_minutes=50, price_minor=2500, practitioners=[mei]
    )
    room = Room.objects.create(clinic=policies, name="Community room", recliners=6)
    ShiftFactory.create(
        room=room, practitioner=mei, service=service, weekday=TUE.weekday(), max_new_per_start=6
    )
    patient = new_patients(1)[0]
    for r in range(ROUNDS):
        at = local(TUE + timedelta(days=7 * r), 17, 30)
        results = race([partial(book, patient, service, at, now=NOW) for _ in range(6)])
        assert [r[0] for r in results].count("booked") == 1, results
        assert Booking.objects.filter(patient=patient, starts_at=at).count() == 1


def test_cancelling_and_moving_one_visit_at_once_never_deadlocks(
    private: Service, mei: Practitioner
) -> None:
    """Two tabs: one cancels a visit while the other moves it. One wins, the other is told
    it was already cancelled or moved; neither gets a deadlock (a 500) from PostgreSQL."""
    patient = new_patients(1)[0]
    for day in raced_days():
        visit = book(patient, private, local(day, 9), now=NOW)

        def cancel(pk: int = visit.pk) -> str:
            booking_cancel(booking=Booking.objects.get(pk=pk), by=patient, now=NOW)
            return "cancelled"

        def move(pk: int = visit.pk, day: date = day) -> str:
            booking_reschedule(
                booking=Booking.objects.get(pk=pk), starts_at=local(day, 14), by=patient, now=NOW
            )
            return "moved"

        outcomes = race_outcomes([cancel, move] * 3)
        assert sorted(o for o in outcomes if o in ("cancelled", "moved")) in (
            ["cancelled"],
            ["moved"],
        ), outcomes
        assert outcomes.count("refused") == 5, outcomes


def race_outcomes(attempts: list[Callable[[], str]]) -> list[str]:
    """Run every attempt at once, each on its own connection: what each returned, "refused"
    for a ``ChangeNotAllowed``, or the repr of any other error."""
    return [
        o.value
        if o.error is None
        else "refused"
        if isinstance(o.error, ChangeNotAllowed)
        else repr(o.error)
        for o in at_once(attempts)
    ]
