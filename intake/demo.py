"""Demo intakes and diaries for the four sample patients (idempotent), and three
more patients who show the triage levels (emergency, urgent, review; Alex and Jordan show the
caution notes).

Each reads like the person in DOMAIN.md; their visits are booking.demo's COURSES, and the
diary fills the days between them. The level patients send
their questionnaires through the services, page by page, as a patient would.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from booking.demo import history_key, seed_history
from booking.models import Booking
from intake.diary_entries import diary_add
from intake.forms import raw_from_typed
from intake.models import DiaryEntry, IntakeResponse, ResponseStatus
from intake.questionnaire import FULL, current
from intake.services import apply_outcome, intake_save_draft, intake_start, intake_submit
from intake.triage import SCREEN_QUESTIONS, intake_outcome
from portal.models import Clinic, Role, User
from portal.services import user_set_role

NO_RED_FLAGS = {key: False for key, _, _ in SCREEN_QUESTIONS}
CONSENT = {"consent_treatment": True, "consent_data": True}

INTAKES: dict[str, dict[str, object]] = {
    "alex@patient.example": {
        "date_of_birth": "1986-07-14",
        "complaint": "Low back pain for three years. There is no moment in the day when it "
        "does not hurt, and mornings are the worst.",
        "areas": ["lower_back", "buttock"],
        "side": "both",
        "radiates": False,
        "duration": "years",
        "better": "Lying on my side with a pillow between my knees; a hot shower.",
        "worse": "Sitting for more than half an hour, bending to the dishwasher.",
        "pain_now": 6,
        "pain_worst": 9,
        "pain_best": 4,
        "diagnoses": ["disc_degeneration", "modic"],
        "imaging": ["mri"],
        "had_surgery": False,
        "medication_flags": ["opioids", "painkillers"],
        "medication": "Tramadol 50 mg twice a day, paracetamol. The tramadol makes me foggy "
        "and I would like to take less of it.",
        "safety": ["none"],
        "had_acupuncture": True,
        "reaction": "worse",
        "reaction_details": "Two sessions at another clinic last year. After each one I felt "
        "much worse for about a week: headache and aching all over.",
        "worries": "That it will flare up like last time and I will miss work.",
        "hopes": "To sit through a film with my kids without getting up.",
        "phone": "07700 900201",
        "gp_name": "Dr Okonjo, Redland Surgery",
        "gp_contact": "0117 496 0456",
        "emergency_name": "Sam Morgan (partner)",
        "emergency_phone": "07700 900202",
    },
    "jordan@patient.example": {
        "date_of_birth": "2002-11-02",
        "complaint": "Back pain from my scoliosis that wraps round into my stomach on bad days.",
        "areas": ["mid_back", "lower_back", "abdomen"],
        "side": "right",
        "radiates": False,
        "duration": "years",
        "better": "Walking, stretching in the evening.",
        "worse": "Carrying my daughter, long library days at a desk.",
        "pain_now": 5,
        "pain_worst": 8,
        "pain_best": 3,
        "diagnoses": ["scoliosis"],
        "imaging": ["xray"],
        "had_surgery": False,
        "medication_flags": ["opioids"],
        "medication": "Co-codamol when it is bad. It makes me drowsy and constipated, which is "
        "hard with a toddler and lectures.",
        "safety": ["needle_fear"],
        "safety_details": "I get nervous about needles. Talking me through it helps.",
        "had_acupuncture": False,
        "worries": "The cost. I am a student and a single parent, so I need to know what a "
        "course will cost before I start.",
        "hopes": "To get through a day of lectures and bedtime without painkillers.",
        "phone": "07700 900301",
        "gp_name": "University Health Centre",
        "emergency_name": "Morgan Reid (sister)",
        "emergency_phone": "07700 900302",
    },
    "priya@patient.example": {
        "date_of_birth": "1990-03-21",
        "complaint": "Bad pain on the right side of my back that goes into my right buttock.",
        "areas": ["lower_back", "buttock", "neck", "shoulders"],
        "side": "right",
        "radiates": True,
        "duration": "months",
        "better": "Heat pad, gentle yoga.",
        "worse": "Driving, standing to cook.",
        "pain_now": 7,
        "pain_worst": 8,
        "pain_best": 3,
        "diagnoses": ["none"],
        "imaging": ["none"],
        "had_surgery": False,
        "medication_flags": ["painkillers"],
        "medication": "Ibuprofen 400 mg when needed.",
        "safety": ["none"],
        "had_acupuncture": True,
        "reaction": "fine",
        "reaction_details": "I was treated here before on my neck, shoulders and back and it "
        "helped.",
        "hopes": "To drive to work without stopping to stretch.",
        "phone": "07700 900401",
        "gp_name": "Dr Hughes, Clifton Medical Centre",
        "emergency_name": "Ravi Shah (husband)",
        "emergency_phone": "07700 900402",
    },
    "tom@patient.example": {
        "date_of_birth": "1984-05-09",
        "complaint": "Low back and nerve pain down my left leg since my disc went again.",
        "areas": ["lower_back", "leg"],
        "side": "left",
        "radiates": True,
        "duration": "under_year",
        "worse": "Coughing, getting out of the car, mornings.",
        "pain_now": 6,
        "pain_worst": 9,
        "pain_best": 4,
        "diagnoses": ["herniation", "sciatica"],
        "imaging": ["mri"],
        "had_surgery": True,
        "surgery": ["decompression"],
        "surgery_when": "Last spring, for the L5 nerve root",
        "surgery_helped": "partly",
        "medication_flags": ["painkillers"],
        "medication": "Naproxen and paracetamol. Pregabalin for the nerve pain.",
        "safety": ["none"],
        "had_acupuncture": False,
        "worries": "It re-herniated within three months of the operation. I do not want "
        "another operation.",
        "hopes": "I would like to know whether acupuncture can help with the inflammation.",
        "phone": "07700 900501",
        "gp_name": "Dr Banerjee, Southville Practice",
        "emergency_name": "Jo Ellis (wife)",
        "emergency_phone": "07700 900502",
    },
}

# Each sample patient's diary between visits: (days ago, pain, tags, note). The evenings after
# their visits are in AFTER_VISITS; visits themselves are booking.demo.COURSES.
DIARIES: dict[str, list[tuple[int, int, list[str], str]]] = {
    "alex@patient.example": [
        (38, 7, ["poor_sleep"], "Bad night, stiff all morning."),
        (32, 6, ["medication"], "Back to two tramadol a day."),
        (18, 6, ["poor_sleep"], ""),
        (15, 6, ["flare"], "Too stiff to drive in, so I missed my appointment."),
        (5, 4, ["medication"], "Took the tramadol only once today."),
        (3, 4, [], "Sat through a whole film."),
    ],
    "jordan@patient.example": [
        (35, 6, ["flare"], "Stomach side pain after carrying the shopping."),
        (20, 5, ["active_day"], "Long library day but OK."),
        (16, 6, ["medication"], "Needed co-codamol, drowsy all afternoon."),
        (7, 4, [], "No co-codamol today."),
    ],
    "priya@patient.example": [
        (32, 7, [], "Buttock pain after the drive to Bath."),
        (26, 6, ["flare"], "Stood cooking for two hours."),
        (9, 4, ["active_day"], "Drove to work without stopping."),
        (5, 5, [], ""),
    ],
    "tom@patient.example": [
        (33, 7, [], "Leg pain worse in the mornings."),
        (20, 6, ["medication"], ""),
        (7, 5, [], "Got out of the car without the usual jolt."),
    ],
}
# The evening after a visit: (patient email, the visit's number in its course, pain, note).
AFTER_VISITS: list[tuple[str, int, int, str]] = [
    ("alex@patient.example", 0, 7, "Sore the evening after, and a headache."),
    ("alex@patient.example", 2, 6, "Less sore this time. Asked for gentler needling next time."),
    ("alex@patient.example", 4, 4, "Much gentler treatment. Slept well."),
    ("jordan@patient.example", 1, 5, "A bit achy tonight, but calm."),
    ("jordan@patient.example", 2, 4, "They talked me through every needle, which helped."),
    ("priya@patient.example", 0, 6, ""),
    ("priya@patient.example", 1, 5, "Looser on the right."),
    ("priya@patient.example", 2, 4, ""),
    ("tom@patient.example", 2, 7, "Leg tingling less after the session."),
    ("tom@patient.example", 3, 6, ""),
]


def _past_weekday(days_ago: int, at: time, clinic: Clinic) -> datetime:
    day = (timezone.now().astimezone(clinic.tz) - timedelta(days=days_ago)).date()
    return datetime.combine(day, at, tzinfo=clinic.tz)


# One patient at each triage level, with what they would really write: (email, first name,
# last name, level shown, answers over the typical full questionnaire).
LEVEL_PATIENTS: list[tuple[str, str, str, str, dict[str, object]]] = [
    (
        "rhian@patient.example",
        "Rhian",
        "Evans",
        "emergency",
        {
            "date_of_birth": "1979-04-12",
            "complaint": "Low back pain since I lifted a wardrobe on Saturday. Since yesterday "
            "I can't really feel it when I wipe and I nearly wet myself on the bus.",
            "duration": "weeks",
            "pain_now": 8,
            "pain_worst": 9,
            "pain_best": 6,
        },
    ),
    (
        "marcus@patient.example",
        "Marcus",
        "Webb",
        "urgent",
        {
            "date_of_birth": "1988-09-30",
            "complaint": "Middle of my back has hurt for about ten days. I've felt feverish and "
            "shivery at night too.",
            "duration": "weeks",
            "drug_injection": True,
            "medication": "Methadone, and paracetamol for the back.",
        },
    ),
    (
        "june@patient.example",
        "June",
        "Carter",
        "review",
        {
            "date_of_birth": "1957-02-03",
            # Not "worse in bed": night pain with a past cancer is urgent (possible spread).
            "complaint": "New low back pain for three weeks since digging the garden.",
            "duration": "weeks",
            "cancer_history": True,
            "medication": "Breast cancer treated 20 years ago, all clear since. Blood pressure "
            "tablets.",
            "medication_flags": ["anticoagulants"],
        },
    ),
]
# What every level patient answers unless told otherwise (nothing alarming).
LEVEL_BASE: dict[str, object] = {
    "areas": ["lower_back"],
    "side": "both",
    "radiates": False,
    "pain_now": 6,
    "pain_worst": 8,
    "pain_best": 3,
    "diagnoses": ["none"],
    "imaging": ["none"],
    "had_surgery": False,
    "medication_flags": ["painkillers"],
    "safety": ["none"],
    "had_acupuncture": False,
    "phone": "07700 900601",
    "gp_name": "Dr Okonjo, Redland Surgery",
    "emergency_name": "A friend",
    "emergency_phone": "07700 900602",
    **NO_RED_FLAGS,
    **CONSENT,
}


def _level_patient(clinic: Clinic, email: str, first: str, last: str) -> User:
    from portal.demo import DEMO_PASSWORD

    user, created = User.objects.get_or_create(
        email=email, defaults={"first_name": first, "last_name": last}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    user_set_role(user=user, role=Role.PATIENT, clinic=clinic)
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    return user


def seed_levels(clinic: Clinic) -> None:
    """One patient at each triage level, sent page by page through the intake services."""
    for email, first, last, _level, given in LEVEL_PATIENTS:
        patient = _level_patient(clinic, email, first, last)
        if patient.intake_responses.filter(status=ResponseStatus.SUBMITTED).exists():
            continue
        draft = intake_start(patient=patient, kind=FULL)
        questionnaire = current(FULL)
        values = raw_from_typed(questionnaire, {**LEVEL_BASE, **given})
        values.update({"consent_treatment": "on", "consent_data": "on"})
        for section in questionnaire.sections:
            part = {q.key: values[q.key] for q in section.questions if q.key in values}
            draft = intake_save_draft(response=draft, section=section, raw=part)
        intake_submit(response=draft)


@transaction.atomic
def seed_intake(clinic: Clinic) -> None:
    """Give the sample patients sent intakes and a few weeks of diary around their visits."""
    seed_history(clinic)  # the visits this hangs on (idempotent)
    patients = {u.email: u for u in User.objects.filter(email__in=INTAKES)}
    questionnaire = current(FULL)
    for email, answers in INTAKES.items():
        patient = patients.get(email)
        if patient is None or patient.intake_responses.exists():
            continue
        full = {**NO_RED_FLAGS, **answers, **CONSENT}
        sent_at = timezone.now() - timedelta(days=40)
        response = IntakeResponse.objects.create(
            clinic=clinic,
            patient=patient,
            kind=FULL,
            version=questionnaire.version,
            status=ResponseStatus.SUBMITTED,
            answers=full,
            last_step=questionnaire.sections[-1].slug,
            submitted_at=sent_at,
        )
        # The same follow-through a real submission gets (e.g. "treat gently" for Alex).
        apply_outcome(
            patient=patient, outcome=intake_outcome(full), source_key=f"intake:{response.pk}"
        )
    seed_levels(clinic)
    for email, entries in DIARIES.items():
        patient = patients.get(email)
        if patient is None or DiaryEntry.objects.filter(patient=patient).exists():
            continue
        for days_ago, pain, tags, note in entries:
            diary_add(
                patient=patient,
                pain=pain,
                tags=tags,
                note=note,
                recorded_at=_past_weekday(days_ago, time(21), clinic),
            )
        for owner, number, pain, note in AFTER_VISITS:
            visit = Booking.objects.filter(
                patient=patient, request_key=history_key(owner, number), status="attended"
            ).first()
            if owner == email and visit is not None:
                evening = datetime.combine(
                    visit.starts_at.astimezone(clinic.tz).date(), time(20, 30), tzinfo=clinic.tz
                )
                diary_add(
                    patient=patient,
                    pain=pain,
                    tags=["after_treatment"],
                    note=note,
                    recorded_at=evening,
                )
