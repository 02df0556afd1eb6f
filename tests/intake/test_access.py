"""``intake.access``: the health-read rule is the one policy (``portal.policy``); these check
intake's door to it (the policy's own rules are tested in tests/portal/test_policy.py)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from intake.access import OutsideCare, can_read_health, patient_for_viewer
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


def test_front_desk_reads_no_health_data(patient, front_desk) -> None:
    assert not can_read_health(front_desk, patient)
    with pytest.raises(Http404):
        patient_for_viewer(front_desk, patient.pk)


def test_a_practitioner_needs_a_visit_that_counts(patient, practitioner, mei) -> None:
    assert not can_read_health(practitioner, patient)
    past_visit(patient, mei, status="cancelled")  # a cancelled visit grants nothing
    assert not can_read_health(practitioner, patient)
    past_visit(patient, mei, status="attended")
    assert can_read_health(practitioner, patient)
    practitioner.is_active = False
    assert not can_read_health(practitioner, patient)


def test_an_alert_grants_nothing_by_itself(patient, practitioner, mei) -> None:
    alert_raise(
        patient=patient,
        level=AlertLevel.URGENT,
        kind="k",
        source_key="1",
        summary="s",
        practitioner=mei,
    )
    alert_raise(patient=patient, level=AlertLevel.URGENT, kind="k", source_key="2", summary="s")
    assert not can_read_health(practitioner, patient)


def test_a_practitioner_outside_care_is_offered_see_anyway_others_get_404(
    patient, practitioner, mei, other_patient
) -> None:
    with pytest.raises(OutsideCare) as refused:
        patient_for_viewer(practitioner, patient.pk)
    assert isinstance(refused.value, PermissionDenied)
    assert refused.value.patient == patient
    with pytest.raises(Http404):
        patient_for_viewer(other_patient, patient.pk)


def test_team_members_are_not_patients_whose_records_can_be_read(practitioner, front_desk) -> None:
    assert not can_read_health(front_desk, practitioner)
    colleague = PractitionerFactory.create()
    with pytest.raises(Http404):
        patient_for_viewer(colleague.user, practitioner.pk)
