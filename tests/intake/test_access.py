import pytest
from django.contrib.auth.models import AnonymousUser

from intake.access import can_read_health
from intake.models import AlertLevel
from intake.services import alert_raise
from tests.booking.factories import PractitionerFactory
from tests.intake.conftest import past_visit

pytestmark = pytest.mark.django_db


def test_the_patient_reads_their_own(patient) -> None:
    assert can_read_health(patient, patient)


def test_other_patients_and_anonymous_do_not(patient, other_patient) -> None:
    assert not can_read_health(other_patient, patient)
    assert not can_read_health(AnonymousUser(), patient)


def test_staff_of_the_clinic_do_while_active(patient, front_desk) -> None:
    assert can_read_health(front_desk, patient)
    front_desk.is_active = False
    assert not can_read_health(front_desk, patient)


def test_a_practitioner_needs_a_booking_with_the_patient(patient, practitioner, mei) -> None:
    assert not can_read_health(practitioner, patient)
    past_visit(patient, mei, status="cancelled")  # had a booking, even a cancelled one
    assert can_read_health(practitioner, patient)


def test_a_practitioner_alerted_about_the_patient_may_read(patient, practitioner, mei) -> None:
    colleague = PractitionerFactory.create()
    alert_raise(
        patient=patient,
        level=AlertLevel.URGENT,
        kind="k",
        source_key="1",
        summary="s",
        practitioner=mei,
    )
    assert can_read_health(practitioner, patient)
    assert not can_read_health(colleague.user, patient)
    alert_raise(patient=patient, level=AlertLevel.URGENT, kind="k", source_key="2", summary="s")
    assert can_read_health(colleague.user, patient)  # addressed to every practitioner


def test_team_members_are_not_patients_whose_records_can_be_read(practitioner, front_desk) -> None:
    assert not can_read_health(front_desk, practitioner)
