"""The visit and patient pages show the patient's phone and their latest check-in in words
(not only in the diary), and the read is logged like any other health read."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from booking.attendance import booking_mark_attendance
from booking.models import Booking, BookingStatus
from followup.models import CheckInStage
from followup.services import checkin_submit
from intake.models import HealthAccess
from portal.models import User
from tests.conftest import client_for
from tests.intake.factories import IntakeResponseFactory, full_answers

pytestmark = pytest.mark.django_db

NOTE = "Sore for a day, then much easier. Slept well."


@pytest.fixture
def answered(visit: Booking, practitioner: User) -> Booking:
    """Alex attended and answered the 48-hour check-in with a note."""
    IntakeResponseFactory.create(patient=visit.patient, answers=full_answers(phone="07700 900201"))
    booking_mark_attendance(
        booking=visit,
        outcome=BookingStatus.ATTENDED,
        by=practitioner,
        now=visit.starts_at + timedelta(minutes=50),
    )
    checkin_submit(
        booking=visit,
        stage=CheckInStage.CHECKIN,
        answers={
            "comparison": "better",
            "pain_now": 3,
            "needle_site_soreness": True,
            "bruising": False,
            "reactions": ["tiredness"],
            "red_flags": [],
            "note": NOTE,
            "wants_call": True,
        },
        now=visit.starts_at + timedelta(hours=49),
    )
    return visit


def _get(user: User, url: str, when: datetime) -> str:
    with time_machine.travel(when, tick=False):
        response = client_for(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_booking_page_shows_the_phone_and_the_latest_check_in(
    answered: Booking, practitioner: User
) -> None:
    when = answered.starts_at + timedelta(days=3)
    page = _get(practitioner, f"/practice/bookings/{answered.pk}/", when)
    assert "07700 900201" in page  # from the questionnaire: the account has no phone
    assert "data-latest-checkin" in page and NOTE in page
    assert "Better" in page and "3 / 10" in page and "Tiredness" in page
    assert "Asked for a call from the clinic" in page
    logged = HealthAccess.objects.get(viewer=practitioner)
    assert "latest check-in" in logged.what


def test_the_patient_page_shows_the_latest_check_in_too(
    answered: Booking, practitioner: User
) -> None:
    when = answered.starts_at + timedelta(days=3)
    page = _get(practitioner, f"/practice/patients/{answered.patient_id}/", when)
    assert NOTE in page and "data-phone>07700 900201" in page
    assert HealthAccess.objects.filter(viewer=practitioner, what__contains="check-in").exists()


def test_the_desk_sees_the_phone_but_never_the_check_in(
    answered: Booking, front_desk: User
) -> None:
    when = answered.starts_at + timedelta(days=3)
    page = _get(front_desk, f"/practice/bookings/{answered.pk}/", when)
    assert "07700 900201" in page
    assert NOTE not in page and "data-latest-checkin" not in page
    assert not HealthAccess.objects.exists()
