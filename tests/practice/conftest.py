"""Practice fixtures: the booking app's clinic week (Monday 1 March 2027) plus a second
practitioner, and a visit of Alex with Mei that tests can mark, record and cancel."""

from __future__ import annotations

from datetime import time

import pytest

from booking.models import Booking, Practitioner, Service
from portal.models import Clinic, Role, User
from tests.booking.conftest import (  # noqa: F401 - fixtures shared with the booking tests
    NOW,
    WED,
    _fast_passwords,
    eager_celery,
    frozen,
    mei,
    multibed,
    other_patient,
    patient,
    policies,
    private,
    room,
    shift,
)
from tests.booking.factories import PractitionerFactory, book, local, weekly_hours
from tests.factories import UserFactory


@pytest.fixture
def david_user(clinic: Clinic) -> User:
    return UserFactory.create(email="david@example.com", first_name="David", role=Role.PRACTITIONER)


@pytest.fixture
def david(david_user: User, policies: Clinic) -> Practitioner:  # noqa: F811
    """Another practitioner of the same clinic: none of Mei's patients are his."""
    p = PractitionerFactory.create(user=david_user, display_name="David Rhys")
    weekly_hours(p, (time(9), time(17)))
    return p


@pytest.fixture
def visit(private: Service, patient: User) -> Booking:  # noqa: F811
    """Alex's private treatment with Mei on Wednesday 3 March at 09:00."""
    return book(patient, private, local(WED, 9), now=NOW)
