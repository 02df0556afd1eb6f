"""Factories and answer sets for the intake tests."""

from __future__ import annotations

from typing import Any

import factory
from django.utils import timezone

from intake.models import DiaryEntry, IntakeResponse, ResponseStatus
from intake.questionnaire import FULL
from intake.triage import SCREEN_QUESTIONS
from portal.models import Clinic
from tests.factories import UserFactory


def full_answers(**changes: Any) -> dict[str, object]:
    """Typed answers to every required question of the full questionnaire (no red flags)."""
    answers: dict[str, object] = {
        "date_of_birth": "1985-06-01",
        "complaint": "Low back pain for three years",
        "areas": ["lower_back"],
        "side": "both",
        "radiates": False,
        "duration": "years",
        "pain_now": 6,
        "pain_worst": 9,
        "pain_best": 4,
        "diagnoses": ["disc_degeneration", "modic"],
        "imaging": ["mri"],
        "had_surgery": False,
        "medication_flags": ["opioids"],
        "safety": ["none"],
        "had_acupuncture": False,
        "phone": "07700 900123",
        "gp_name": "Dr Okonjo",
        "emergency_name": "Sam Morgan",
        "emergency_phone": "07700 900124",
        "consent_treatment": True,
        "consent_data": True,
        **{key: False for key, _, _ in SCREEN_QUESTIONS},
    }
    answers.update(changes)
    return answers


def raw(answers: dict[str, object]) -> dict[str, object]:
    """Typed answers as the form values a browser would post (consent boxes ticked)."""
    out: dict[str, object] = {}
    for key, value in answers.items():
        if value is True:
            out[key] = "on" if key.startswith("consent_") else "yes"
        elif value is False:
            out[key] = "no"
        elif isinstance(value, list):
            out[key] = [str(v) for v in value]
        else:
            out[key] = str(value)
    return out


class IntakeResponseFactory(factory.django.DjangoModelFactory[IntakeResponse]):
    """A submitted full questionnaire unless told otherwise."""

    class Meta:
        model = IntakeResponse

    clinic = factory.LazyFunction(Clinic.objects.current)
    patient = factory.SubFactory(UserFactory)
    kind = FULL
    version = 2
    status = ResponseStatus.SUBMITTED
    answers = factory.LazyFunction(full_answers)
    submitted_at = factory.LazyFunction(timezone.now)


class DiaryEntryFactory(factory.django.DjangoModelFactory[DiaryEntry]):
    class Meta:
        model = DiaryEntry

    clinic = factory.LazyFunction(Clinic.objects.current)
    patient = factory.SubFactory(UserFactory)
    recorded_at = factory.LazyFunction(timezone.now)
    pain = 5
    note = ""
