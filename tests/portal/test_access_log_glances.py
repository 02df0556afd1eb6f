"""Health facts a dashboard shows on every refresh (alerts, holds, check-in notes and flags)
are reads too: each patient's access log says who saw them, once a clinic day rather than
once a refresh (``intake.access_log.log_health_glance``)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from booking.models import Practitioner, Service
from intake.models import AlertLevel, FlagKind, HealthAccess
from intake.services import alert_raise, flag_raise
from portal.models import User
from tests.booking.conftest import (  # noqa: F401 - fixtures shared with the booking tests
    NOW,
    WED,
    _fast_passwords,
    frozen,
    mei,
    policies,
    private,
)
from tests.booking.factories import book, local
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.intake.factories import IntakeResponseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]

DASHBOARD = "alerts and flags on the team's dashboard"


def reads(viewer: User, patient: User) -> list[str]:
    return list(
        HealthAccess.objects.filter(viewer=viewer, patient=patient)
        .order_by("at", "pk")
        .values_list("what", flat=True)
    )


@pytest.fixture
def treated(patient: User, private: Service, mei: Practitioner) -> User:  # noqa: F811
    IntakeResponseFactory.create(patient=patient)
    book(patient, private, local(WED, 9), now=NOW)
    return patient


def test_the_practitioner_dashboard_logs_each_patient_it_names_once_a_day(
    treated: User, practitioner: User
) -> None:
    stranger = UserFactory.create(first_name="Robin")
    flag_raise(patient=treated, kind=FlagKind.TREAT_GENTLY, reason="Sore for three days")
    alert_raise(
        patient=treated,
        level=AlertLevel.ROUTINE,
        kind="checkin_worse",
        source_key="1",
        summary="A bit worse",
    )
    # Not in Mei's care, but on hold: the team's box names him (and says nothing more).
    flag_raise(patient=stranger, kind=FlagKind.RED_FLAG, reason="Saddle numbness")
    calm = UserFactory.create(first_name="Calm")
    client = client_for(practitioner)

    for _ in range(3):
        assert client.get("/practice/").status_code == 200

    assert reads(practitioner, treated) == [DASHBOARD]
    assert reads(practitioner, stranger) == [DASHBOARD]
    assert reads(practitioner, calm) == []
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        # Signed in afresh: yesterday's session has long timed out.
        assert client_for(practitioner).get("/practice/").status_code == 200
    assert reads(practitioner, treated) == [DASHBOARD, DASHBOARD]


def test_the_desk_dashboard_logs_the_patients_with_an_alert(
    patient: User, front_desk: User
) -> None:
    alert_raise(
        patient=patient, level=AlertLevel.URGENT, kind="k", source_key="1", summary="Saddle numb"
    )

    page = client_for(front_desk).get("/desk/")

    assert page.status_code == 200 and patient.get_full_name() in page.content.decode()
    assert reads(front_desk, patient) == [DASHBOARD]


def test_the_patient_sees_the_dashboard_read_in_their_access_log(
    treated: User, practitioner: User
) -> None:
    flag_raise(patient=treated, kind=FlagKind.TREAT_GENTLY, reason="Sore for three days")
    client_for(practitioner).get("/practice/")

    page = client_for(treated).get("/me/privacy/").content.decode()

    assert "Alerts and flags on the team&#x27;s dashboard" in page
    assert practitioner.get_full_name() in page
