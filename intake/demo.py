"""Demo intakes, diaries and past visits for the four sample patients (idempotent), and three
more patients who show the triage levels (emergency, urgent, review; Alex and Jordan show the
caution notes).

Each reads like the person in DOMAIN.md. Past visits are history rows (they
happened before the demo started), so they are written directly rather than
booked through ``booking_create``, which only books future times. The level patients send
their questionnaires through the services, page by page, as a patient would.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from booking.models import Booking, BookingStatus, Practitioner, Service, ServiceKind
from intake.forms import raw_from_typed
from intake.models import DiaryEntry, IntakeResponse, ResponseStatus
from intake.questionnaire import FULL, current
from intake.services import apply_outcome, diary_add, intake_save_draft, intake_start, intake_submit
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

# (days ago, pain, tags, note) for each patient's diary.
DIARIES: dict[str, list[tuple[int, int, list[str], str]]] = {
    "alex@patient.example": [
        (34, 7, [], "Bad night, stiff all morning."),
        (27, 6, [], ""),
        (22, 7, ["after_treatment"], "Sore the evening after, much gentler than last time."),
        (19, 5, [], "Best day in a while."),
        (13, 6, ["medication"], "Took the tramadol only once today."),
        (8, 5, ["after_treatment"], ""),
        (3, 4, [], "Sat through a whole film."),
    ],
    "jordan@patient.example": [
        (30, 6, ["flare"], "Stomach side pain after carrying the shopping."),
        (24, 5, [], ""),
        (17, 6, ["after_treatment"], "A bit achy tonight."),
        (12, 4, [], "No co-codamol today."),
        (5, 4, ["active_day"], "Long library day but OK."),
    ],
    "priya@patient.example": [
        (26, 7, [], "Buttock pain after the drive to Bath."),
        (20, 6, ["after_treatment"], ""),
        (15, 5, [], ""),
        (9, 6, ["flare"], "Stood cooking for two hours."),
        (2, 4, [], "Drove to work without stopping."),
    ],
    "tom@patient.example": [
        (28, 7, [], "Leg pain worse in the mornings."),
        (21, 7, ["after_treatment"], "Leg tingling less after the session."),
        (14, 6, [], ""),
        (7, 6, ["after_treatment", "medication"], ""),
        (1, 5, [], "Got out of the car without the usual jolt."),
    ],
}

# Each patient's past visits: (email, practitioner email, service slug, days ago list).
VISITS = [
    ("alex@patient.example", "mei@clinic.example", "follow-up", [22, 8]),
    ("jordan@patient.example", "david@clinic.example", "community-clinic", [17]),
    ("priya@patient.example", "aisha@clinic.example", "follow-up", [20]),
    ("tom@patient.example", "mei@clinic.example", "follow-up", [21, 7]),
]


def _past_weekday(days_ago: int, at: time, clinic: Clinic) -> datetime:
    day = (timezone.now().astimezone(clinic.tz) - timedelta(days=days_ago)).date()
    while day.weekday() >= 5:  # the clinic is closed at weekends
        day -= timedelta(days=1)
    return datetime.combine(day, at, tzinfo=clinic.tz)


def _seed_visits(clinic: Clinic, patients: dict[str, User]) -> None:
    for email, practitioner_email, slug, days in VISITS:
        patient = patients.get(email)
        practitioner = Practitioner.objects.filter(user__email=practitioner_email).first()
        service = Service.objects.filter(clinic=clinic, slug=slug).first()
        if patient is None or practitioner is None or service is None:
            continue
        if Booking.objects.filter(patient=patient, starts_at__lt=timezone.now()).exists():
            continue
        at = time(18) if service.kind == ServiceKind.MULTIBED else time(10)
        for days_ago in days:
            starts = _past_weekday(days_ago, at, clinic)
            Booking.objects.create(
                clinic=clinic,
                patient=patient,
                service=service,
                kind=service.kind,
                practitioner=practitioner,
                room=service.shifts.first().room if service.is_multibed else None,  # type: ignore[union-attr]
                starts_at=starts,
                ends_at=starts + service.duration,
                blocked_from=starts,
                blocked_until=starts + service.duration + service.buffer_after,
                status=BookingStatus.ATTENDED,
                price_minor=service.price_minor,
                currency=clinic.currency,
                booked_by=patient,
                attendance_marked_at=starts + service.duration,
            )


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
            "complaint": "New low back pain for three weeks, worse in bed.",
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
    """Give the sample patients sent intakes, a few weeks of diary and their past visits."""
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
    _seed_visits(clinic, patients)
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
                recorded_at=_past_weekday(days_ago, time(20, 30), clinic)
                if "after_treatment" in tags
                else timezone.now() - timedelta(days=days_ago, hours=3),
            )
