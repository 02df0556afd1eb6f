import pytest

from booking.demo import seed_booking
from intake.demo import INTAKES, seed_intake
from intake.forms import raw_from_typed, validate_all
from intake.models import DiaryEntry, IntakeResponse, PatientFlag
from intake.questionnaire import FULL_V1
from portal.demo import seed_clinic

pytestmark = pytest.mark.django_db


def test_the_sample_patients_get_valid_intakes_diaries_and_visits_once() -> None:
    clinic, _ = seed_clinic()
    seed_booking(clinic)
    seed_intake(clinic)
    seed_intake(clinic)  # idempotent
    responses = IntakeResponse.objects.select_related("patient")
    assert {r.patient.email for r in responses} == set(INTAKES)
    for response in responses:
        again = validate_all(
            FULL_V1,
            {
                **raw_from_typed(FULL_V1, response.answers),
                "consent_treatment": "on",
                "consent_data": "on",
            },
        )
        assert again.ok, (response.patient, [f.errors for f in again.problems])
        assert response.patient.diary_entries.count() >= 5
        assert response.patient.bookings.filter(status="attended").exists()
    assert DiaryEntry.objects.count() == 22
    # Alex felt much worse after acupuncture before: whoever treats them is asked to go gently.
    assert PatientFlag.objects.get().patient.email == "alex@patient.example"
