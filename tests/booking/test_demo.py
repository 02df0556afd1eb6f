"""booking.demo: the demo clinic's services, hours and room, seeded idempotently."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from booking.availability import find_open_slots
from booking.demo import seed_booking
from booking.models import MultibedShift, Room, Service, WeeklyHours
from portal.models import Clinic, Role
from tests.booking.conftest import NOW
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_bookable(clinic: Clinic) -> None:
    UserFactory.create_batch(2, role=Role.PRACTITIONER)
    seed_booking(clinic)
    counts = (
        Service.objects.count(),
        WeeklyHours.objects.count(),
        Room.objects.count(),
        MultibedShift.objects.count(),
    )
    seed_booking(clinic)
    again = (
        Service.objects.count(),
        WeeklyHours.objects.count(),
        Room.objects.count(),
        MultibedShift.objects.count(),
    )
    assert counts == again == (4, 2 * 5 * 2, 1, 2)
    tuesday = date(2027, 3, 2)
    community = Service.objects.get(slug="community-clinic")
    slots = find_open_slots(community, tuesday, tuesday + timedelta(days=6), now=NOW)
    assert {s.starts_at.date().weekday() for s in slots} == {1, 3}  # Tuesday and Thursday
    # An empty room: every start shows all five recliners free.
    assert all(s.places_left == 5 for s in slots)
    follow_up = Service.objects.get(slug="follow-up")
    assert find_open_slots(follow_up, tuesday, tuesday, now=NOW)


def test_demo_practitioners_have_profiles(clinic: Clinic) -> None:
    from booking.demo import PROFILES
    from booking.models import Practitioner

    for email in PROFILES:
        UserFactory.create(email=email, role=Role.PRACTITIONER)
    seed_booking(clinic)
    mei = Practitioner.objects.get(user__email="mei@clinic.example")
    assert "Japanese-style" in mei.style and "turn the volume down" in mei.bio
    assert all(p.style and p.bio for p in Practitioner.objects.all())
