"""Shared booking fixtures: a clinic week in March 2027 (GMT, before the clocks change).

"Now" is Monday 1 March 2027, 08:00 UTC. Mei works Monday to Friday 09:00-12:00
and 13:00-17:00; the private treatment is 60 minutes plus 15 minutes' buffer
after, on a 15-minute grid.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
import time_machine

from booking.models import MultibedShift, Practitioner, Room, Service, ServiceKind
from portal.celery import app as celery_app
from portal.models import Clinic, User
from tests.booking.factories import (
    PractitionerFactory,
    RoomFactory,
    ServiceFactory,
    ShiftFactory,
    weekly_hours,
)
from tests.intake.factories import IntakeResponseFactory

NOW = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # a Monday
MON = date(2027, 3, 1)
TUE = date(2027, 3, 2)
WED = date(2027, 3, 3)
DAY_HOURS = ((time(9), time(12)), (time(13), time(17)))


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # Every factory user gets a password; the production hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def patient(patient: User) -> User:
    """The cast's patient has sent the health questionnaire, so intake's gate lets them book as
    in production (``tests/intake/test_gates.py`` is about patients who have not)."""
    IntakeResponseFactory.create(patient=patient)
    return patient


@pytest.fixture
def other_patient(other_patient: User) -> User:
    IntakeResponseFactory.create(patient=other_patient)
    return other_patient


@pytest.fixture
def frozen() -> Iterator[None]:
    """Freeze "now" for code that reads the clock itself (views, the cutoff)."""
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def policies(clinic: Clinic) -> Clinic:
    """The clinic's default policies, except no new-patient limit unless a test sets one."""
    clinic.min_notice_minutes = 120
    clinic.booking_horizon_days = 56
    clinic.cancellation_cutoff_hours = 24
    clinic.new_patient_booking_limit = 0
    clinic.phone = "0117 496 0000"
    clinic.save()
    return clinic


@pytest.fixture
def mei(practitioner: User, policies: Clinic) -> Practitioner:
    p = PractitionerFactory.create(user=practitioner, display_name="Mei Chen")
    weekly_hours(p, *DAY_HOURS)
    return p


@pytest.fixture
def private(mei: Practitioner) -> Service:
    return ServiceFactory.create(
        slug="treatment",
        name="Treatment",
        duration_minutes=60,
        buffer_after_minutes=15,
        price_minor=5000,
        practitioners=[mei],
    )


@pytest.fixture
def assessment(mei: Practitioner) -> Service:
    return ServiceFactory.create(
        slug="assessment",
        name="Free assessment",
        kind=ServiceKind.ASSESSMENT,
        duration_minutes=15,
        price_minor=0,
        practitioners=[mei],
    )


@pytest.fixture
def room(policies: Clinic) -> Room:
    return RoomFactory.create(name="Community room", recliners=2)


@pytest.fixture
def multibed(room: Room, mei: Practitioner) -> Service:
    return ServiceFactory.create(
        slug="community",
        name="Community clinic",
        kind=ServiceKind.MULTIBED,
        duration_minutes=50,
        price_minor=2500,
        practitioners=[mei],
    )


@pytest.fixture
def shift(multibed: Service, room: Room, mei: Practitioner) -> MultibedShift:
    """Tuesdays 17:30-20:30, a start every 15 minutes, one new patient per start."""
    return ShiftFactory.create(room=room, practitioner=mei, service=multibed, weekday=1)


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run tasks in-process: Celery read its config at start-up, so set it on the app."""
    conf = celery_app.conf
    before = (conf.task_always_eager, conf.task_eager_propagates)
    conf.task_always_eager, conf.task_eager_propagates = True, True
    yield
    conf.task_always_eager, conf.task_eager_propagates = before
