import pytest

from intake.access_log import log_health_access
from intake.models import Alert, AlertLevel, FlagKind, HealthAccess
from intake.services import (
    alert_acknowledge,
    alert_raise,
    booking_paused,
    flag_clear,
    flag_raise,
)

pytestmark = pytest.mark.django_db


def test_an_alert_is_raised_once_per_source(patient) -> None:
    first, created = alert_raise(
        patient=patient,
        level=AlertLevel.URGENT,
        kind="intake_red_flag",
        source_key="r1",
        summary="Saddle numbness",
    )
    again, created_again = alert_raise(
        patient=patient,
        level=AlertLevel.URGENT,
        kind="intake_red_flag",
        source_key="r1",
        summary="Saddle numbness",
    )
    assert created and not created_again
    assert again.pk == first.pk
    assert Alert.objects.count() == 1


def test_acknowledging_twice_changes_nothing_the_second_time(patient, practitioner) -> None:
    alert, _ = alert_raise(
        patient=patient, level=AlertLevel.ROUTINE, kind="call", source_key="b1", summary="Call me"
    )
    assert alert_acknowledge(alert=alert, by=practitioner) is True
    assert alert_acknowledge(alert=alert, by=practitioner) is False
    alert.refresh_from_db()
    assert alert.acknowledged_by == practitioner


def test_a_red_flag_pauses_booking_until_cleared_and_can_be_raised_again(
    patient, practitioner
) -> None:
    flag, created = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="Leg weakness")
    _, created_again = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="Leg weakness")
    assert created and not created_again
    assert booking_paused(patient)
    assert flag_clear(flag=flag, by=practitioner, note="Seen by GP, fine") is True
    assert not booking_paused(patient)
    _, reopened = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="Fever")
    assert reopened and booking_paused(patient)


def test_the_patient_reading_their_own_record_is_not_logged(patient, practitioner) -> None:
    log_health_access(viewer=patient, patient=patient, what="intake")
    log_health_access(viewer=practitioner, patient=patient, what="intake summary")
    assert list(HealthAccess.objects.values_list("viewer", "what")) == [
        (practitioner.pk, "intake summary")
    ]
