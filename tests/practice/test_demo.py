"""practice.demo: the seeded week's past visits carry treatment records, written through
``treatment_record_save``, and seeding again keeps them as they are."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from booking.demo import seed_booking
from booking.models import Booking, BookingStatus, ServiceKind
from portal.demo import seed_clinic
from portal.models import Clinic
from practice.demo import RECORDS, seed_practice
from practice.models import TreatmentRecord

pytestmark = pytest.mark.django_db

THURSDAY_NOON = datetime(2027, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(clinic: Clinic) -> Clinic:
    seeded, _ = seed_clinic()
    seed_booking(seeded)
    seed_practice(seeded, now=THURSDAY_NOON)
    return seeded


def test_every_attended_treatment_has_its_practitioners_record(demo: Clinic) -> None:
    attended = Booking.objects.filter(status=BookingStatus.ATTENDED).exclude(
        kind=ServiceKind.ASSESSMENT
    )
    assert attended.exists()
    records = {r.booking_id: r for r in TreatmentRecord.objects.select_related("practitioner")}
    assert set(records) == set(attended.values_list("pk", flat=True))
    for booking in attended.select_related("practitioner"):
        record = records[booking.pk]
        assert record.written_by_id == booking.practitioner.user_id
        assert record.practitioner_id == booking.practitioner_id
        assert record.patient_id == booking.patient_id and record.visit_at == booking.starts_at
        assert (record.areas_and_points, record.needles, record.depth, record.stimulation) in [
            tuple(r) for r in RECORDS
        ]


def test_seeding_again_keeps_the_records_as_edited(demo: Clinic) -> None:
    record = TreatmentRecord.objects.order_by("pk").first()
    assert record is not None
    record.reaction = "Edited while trying the demo"
    record.save()
    count = TreatmentRecord.objects.count()
    seed_practice(demo, now=THURSDAY_NOON)
    assert TreatmentRecord.objects.count() == count
    record.refresh_from_db()
    assert record.reaction == "Edited while trying the demo"
