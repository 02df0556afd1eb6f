import pytest

from booking.demo import seed_booking
from intake.demo import INTAKES, LEVEL_PATIENTS, seed_intake
from intake.forms import raw_from_typed, validate_all
from intake.models import Alert, DiaryEntry, IntakeResponse, PatientFlag
from intake.questionnaire import FULL_V2
from portal.demo import seed_clinic

pytestmark = pytest.mark.django_db


def test_the_sample_patients_get_valid_intakes_diaries_and_visits_once() -> None:
    clinic, _ = seed_clinic()
    seed_booking(clinic)
    seed_intake(clinic)
    seed_intake(clinic)  # idempotent
    responses = IntakeResponse.objects.select_related("patient").filter(patient__email__in=INTAKES)
    assert {r.patient.email for r in responses} == set(INTAKES)
    for response in responses:
        again = validate_all(
            FULL_V2,
            {
                **raw_from_typed(FULL_V2, response.answers),
                "consent_treatment": "on",
                "consent_data": "on",
            },
        )
        assert again.ok, (response.patient, [f.errors for f in again.problems])
        assert response.patient.diary_entries.count() >= 5
        assert response.patient.bookings.filter(status="attended").exists()
    assert DiaryEntry.objects.count() == 27  # DIARIES and AFTER_VISITS
    # Alex felt much worse after acupuncture before: whoever treats them is asked to go gently.
    gentle = PatientFlag.objects.get(patient__email__in=INTAKES)
    assert (gentle.patient.email, gentle.kind) == ("alex@patient.example", "treat_gently")


def test_the_demo_shows_one_patient_at_each_level() -> None:
    clinic, _ = seed_clinic()
    seed_booking(clinic)
    seed_intake(clinic)
    seed_intake(clinic)  # idempotent
    for email, _first, _last, level, _answers in LEVEL_PATIENTS:
        sent = IntakeResponse.objects.filter(patient__email=email, status="submitted")
        assert sent.count() == 1
        assert list(
            PatientFlag.objects.filter(patient__email=email).values_list("kind", flat=True)
        ) == [level]
        assert Alert.objects.get(patient__email=email).level == level
    # The caution level: Alex's and Jordan's notes, with no level.
    assert not PatientFlag.objects.filter(patient__email="jordan@patient.example").exists()
