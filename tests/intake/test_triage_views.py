"""Issue 12 through the real intake views: every red flag, ticked or written in the patient's own
words, gets its level's page, flag and alert; nothing a patient types is lost."""

from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from intake.models import Alert, FlagKind, IntakeResponse, PatientFlag
from intake.questionnaire import FULL, FULL_V1, FULL_V2, SHORT, SHORT_V2
from intake.services import booking_paused, intake_start
from intake.summary import intake_summary
from tests.conftest import client_for
from tests.intake.factories import IntakeResponseFactory, full_answers, raw

pytestmark = pytest.mark.django_db

EMERGENCY_TITLE = b"Please get emergency help now"
URGENT_TITLE = b"Please get medical advice today"
REVIEW_TITLE = b"A practitioner will look at your answers before any treatment"
THANKS_TITLE = b"Thank you, your answers are with the clinic"


def send_through_the_pages(client: Client, patient, answers: dict[str, object], kind=FULL):
    """Start the questionnaire and post every step as a browser would, then send it."""
    questionnaire = FULL_V2 if kind == FULL else SHORT_V2
    client.post(reverse("intake:start"), {"kind": kind})
    draft = IntakeResponse.objects.get(patient=patient, kind=kind, status="draft")
    values = raw(answers)
    for section in questionnaire.sections:
        data = {q.key: values[q.key] for q in section.questions if q.key in values}
        step = client.post(
            reverse("intake:step", args=[draft.pk, section.slug]),
            {"version": str(questionnaire.version), **data},
        )
        assert step.status_code == 302, (section.slug, step.content[:3000])
    return client.post(reverse("intake:review", args=[draft.pk]), follow=True)


def level_of(patient) -> tuple[set[str], set[str]]:
    flags = set(PatientFlag.objects.filter(patient=patient).values_list("kind", flat=True))
    alerts = set(Alert.objects.filter(patient=patient).values_list("level", flat=True))
    return flags, alerts


def test_cauda_equina_in_everyday_words_in_the_complaint_box_is_an_emergency(patient) -> None:
    answers = full_answers(
        complaint="Low back pain since Friday. I can't feel it when I wipe and I wet myself "
        "last night without noticing."
    )
    page = send_through_the_pages(client_for(patient), patient, answers)
    assert EMERGENCY_TITLE in page.content
    assert b"Numbness around your genitals or bottom" in page.content
    assert b"Book a visit" not in page.content and b"Continue booking" not in page.content
    assert level_of(patient) == ({FlagKind.EMERGENCY}, {"emergency"})
    alert = Alert.objects.get(patient=patient)
    assert "wipe" not in alert.summary and "wet" not in alert.summary
    assert booking_paused(patient)


@pytest.mark.parametrize(
    ("change", "title", "level"),
    [
        ({"night_pain": True}, REVIEW_TITLE, "review"),
        ({"steroids_long": True}, REVIEW_TITLE, "review"),
        ({"drug_injection": True}, REVIEW_TITLE, "review"),
        ({"osteoporosis": True}, REVIEW_TITLE, "review"),
        ({"safety": ["immune"]}, REVIEW_TITLE, "review"),
        ({"cancer_history": True}, REVIEW_TITLE, "review"),
        ({"cord_signs": True}, URGENT_TITLE, "urgent"),
        ({"new_numbness": True}, URGENT_TITLE, "urgent"),
        ({"neck_manipulation_signs": True}, EMERGENCY_TITLE, "emergency"),
        # Injecting drug use with a fever: the fever makes it same-day.
        ({"drug_injection": True, "fever": True}, URGENT_TITLE, "urgent"),
    ],
    ids=lambda v: ",".join(v) if isinstance(v, dict) else None,
)
def test_each_question_the_old_questionnaire_never_asked(patient, change, title, level) -> None:
    page = send_through_the_pages(client_for(patient), patient, full_answers(**change))
    assert title in page.content
    assert level_of(patient) == ({level}, {level})
    assert booking_paused(patient)
    assert b"Book a visit" not in page.content


@pytest.mark.parametrize(
    ("born", "duration", "review"),
    [
        ("2010-05-01", "weeks", True),  # 16 with new back pain
        ("1968-05-01", "months", True),  # 58 with new back pain
        ("1968-05-01", "years", False),  # 58, but pain for years
        ("1990-05-01", "weeks", False),
    ],
)
@time_machine.travel("2027-03-15 10:00 +00:00", tick=False)
def test_new_back_pain_under_20_or_over_50_by_date_of_birth(patient, born, duration, review):
    page = send_through_the_pages(
        client_for(patient), patient, full_answers(date_of_birth=born, duration=duration)
    )
    assert (REVIEW_TITLE in page.content) == review
    assert (THANKS_TITLE in page.content) == (not review)


def test_long_term_steroids_and_sudden_pain_after_a_minor_strain(patient) -> None:
    answers = full_answers(
        steroids_long=True,
        complaint="Sudden bad pain after lifting a shopping bag. On prednisolone for years.",
    )
    page = send_through_the_pages(client_for(patient), patient, answers)
    assert REVIEW_TITLE in page.content
    assert b"Taking steroid medicine for a long time" in page.content


def test_stroke_signs_after_a_neck_manipulation_written_in_words(patient) -> None:
    answers = full_answers(
        worries="Since the chiropractor cracked my neck on Monday I've been dizzy and seeing "
        "double."
    )
    page = send_through_the_pages(client_for(patient), patient, answers)
    assert EMERGENCY_TITLE in page.content
    assert level_of(patient) == ({FlagKind.EMERGENCY}, {"emergency"})


def test_spinal_cord_signs_with_neck_pain_in_words(patient) -> None:
    answers = full_answers(
        areas=["neck"], complaint="Neck pain, and my hands are clumsy, I keep dropping cups."
    )
    page = send_through_the_pages(client_for(patient), patient, answers)
    assert URGENT_TITLE in page.content


def test_a_cancer_treated_twenty_years_ago_is_a_review_not_a_trip_to_ae(patient) -> None:
    answers = full_answers(
        cancer_history=True, medication="Breast cancer treated 20 years ago, all clear since."
    )
    page = send_through_the_pages(client_for(patient), patient, answers)
    assert REVIEW_TITLE in page.content and EMERGENCY_TITLE not in page.content
    assert URGENT_TITLE not in page.content
    assert level_of(patient) == ({FlagKind.REVIEW}, {"review"})


def test_no_red_flags_gets_the_thank_you_page_and_the_booking_button(patient) -> None:
    answers = full_answers(complaint="Stiff low back, no numbness and no problems with my bladder")
    page = send_through_the_pages(client_for(patient), patient, answers)
    assert THANKS_TITLE in page.content and b"Book a visit" in page.content
    assert level_of(patient) == (set(), set())
    assert not booking_paused(patient)


def test_the_short_questionnaire_screens_its_words_too(patient) -> None:
    answers = {
        "phone": "07700 900123",
        "date_of_birth": "1985-01-01",
        "complaint": "Back pain and I have lost control of my bladder",
        "duration": "weeks",
        "pain_now": 6,
        **{k: v for k, v in full_answers().items() if k in SHORT_V2.questions_by_key},
    }
    answers["complaint"] = "Back pain and I have lost control of my bladder"
    page = send_through_the_pages(client_for(patient), patient, answers, kind=SHORT)
    assert EMERGENCY_TITLE in page.content


def test_pregnancy_weeks_are_asked_and_shown_before_needling(patient) -> None:
    send_through_the_pages(
        client_for(patient), patient, full_answers(safety=["pregnant"], pregnancy_weeks=14)
    )
    sent = IntakeResponse.objects.get(patient=patient, status="submitted")
    assert sent.answers["pregnancy_weeks"] == 14
    assert "Is or might be pregnant (14 weeks)" in intake_summary(sent).cautions


def test_the_short_questionnaire_summary_never_claims_no_cautions(patient) -> None:
    short = IntakeResponseFactory.create(
        patient=patient, kind=SHORT, version=2, answers={"complaint": "Back pain", "pain_now": 4}
    )
    summary = intake_summary(short)
    assert summary.cautions == [] and not summary.asked_safety
    full = intake_summary(IntakeResponseFactory.create(patient=patient))
    assert full.asked_safety


@pytest.mark.parametrize(
    "complaint",
    [
        "😣😣 back 🔥",
        "Me duele mucho la espalda y no siento bien las piernas",
        "Болит спина уже три недели",
    ],
)
def test_emoji_and_other_languages_are_sent_kept_and_never_cleared_unread(
    patient, complaint
) -> None:
    page = send_through_the_pages(client_for(patient), patient, full_answers(complaint=complaint))
    assert page.status_code == 200
    sent = IntakeResponse.objects.get(patient=patient, status="submitted")
    assert sent.answers["complaint"] == complaint
    if complaint.startswith("😣"):
        assert THANKS_TITLE in page.content
    else:
        # Words the screen cannot read go to a practitioner before any treatment.
        assert REVIEW_TITLE in page.content


def test_a_ten_thousand_character_answer_gets_a_clear_error_and_is_kept(patient) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    long = "My back hurts. " * 667  # 10,005 characters
    response = client_for(patient).post(
        reverse("intake:step", args=[draft.pk, "pain"]), {"version": "2", "complaint": long}
    )
    assert response.status_code == 200
    assert b"Please shorten this to 1500 characters" in response.content
    assert IntakeResponse.objects.get(pk=draft.pk).answers["complaint"] == long


def test_an_empty_complaint_is_asked_for_again(patient) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    response = client_for(patient).post(
        reverse("intake:step", args=[draft.pk, "pain"]), {"version": "2", "complaint": "   "}
    )
    assert response.status_code == 200 and b"Please answer this question." in response.content


def test_a_bad_date_of_birth_gets_a_clear_error(patient) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    client = client_for(patient)
    url = reverse("intake:step", args=[draft.pk, "pain"])
    for typed, message in (
        ("31/02/1980", b"Enter a real date"),
        (f"{date.today().year + 1}-01-01", b"That date is in the future"),
    ):
        response = client.post(url, {"version": "2", "date_of_birth": typed})
        assert message in response.content
        assert IntakeResponse.objects.get(pk=draft.pk).answers["date_of_birth"] == typed


def test_a_version_1_response_still_renders_and_keeps_its_level(patient) -> None:
    old = IntakeResponseFactory.create(
        patient=patient, version=1, answers={**full_answers(), "trauma": True}
    )
    client = client_for(patient)
    assert FULL_V1.version == 1
    page = client.get(reverse("intake:response", args=[old.pk]))
    assert page.status_code == 200 and b"significant injury" in page.content
    sent = client.get(reverse("intake:sent", args=[old.pk]))
    assert REVIEW_TITLE in sent.content


def test_the_practitioner_summary_shows_the_level_and_where_it_came_from(
    patient, practitioner, mei
) -> None:
    from tests.intake.conftest import past_visit

    past_visit(patient, mei)
    send_through_the_pages(
        client_for(patient),
        patient,
        full_answers(
            fever=True,
            worries="I've been short of breath since last week",
            safety=["none"],
            medication_flags=["none"],
        ),
    )
    body = (
        client_for(practitioner)
        .get(reverse("intake:practice_intake", args=[patient.pk]))
        .content.decode()
    )
    assert 'data-level="emergency"' in body
    assert "Emergency: told to call an ambulance or go to A&amp;E now." in body
    assert "A fever, or feeling hot and shivery or unwell, with your back pain" in body
    assert "In their own words: feeling short of breath" in body
    assert "None reported" in body


def test_a_red_flag_that_is_one_clause_of_a_long_complaint_is_an_emergency(patient) -> None:
    answers = full_answers(
        complaint="Work has been really stressful and the commute doesn't help, I sit all day "
        "at a desk and the chair is awful. The pain goes down my leg to my foot and lately my "
        "foot has started to drop so I trip on kerbs. I'd like to know if acupuncture can help."
    )
    page = send_through_the_pages(client_for(patient), patient, answers)
    assert EMERGENCY_TITLE in page.content
    assert b"Weakness in your legs that is getting worse" in page.content
    assert level_of(patient) == ({FlagKind.EMERGENCY}, {"emergency"})
    assert booking_paused(patient)


@pytest.mark.parametrize(
    ("field", "words", "title", "level", "reason"),
    [
        # Round 8 held-out texts the screen missed or under-levelled before its fixes.
        (
            "worries",
            "my wife says ive been going to the toilet and not realising ive finished",
            EMERGENCY_TITLE,
            "emergency",
            b"Numbness around your genitals or bottom",
        ),
        (
            "complaint",
            "Low back ache for a fortnight, worse on the left, and a loss of sensation between "
            "my legs since Sunday. I work in a warehouse.",
            EMERGENCY_TITLE,
            "emergency",
            b"Numbness around your genitals or bottom",
        ),
        (
            "worries",
            "my handwriting has gone to pot and my neck is sore",
            URGENT_TITLE,
            "urgent",
            b"Clumsy hands, dropping things, or feeling unsteady when you walk",
        ),
        # Round 9 held-out texts the screen missed or under-levelled before its fixes.
        (
            "complaint",
            "My wife has soiled herself twice since her back went on Sunday and she didn't know "
            "it was happening",
            EMERGENCY_TITLE,
            "emergency",
            b"Numbness around your genitals or bottom",
        ),
        (
            "complaint",
            "Embarrassing but my manhood hasn't worked since the disc went on friday",
            EMERGENCY_TITLE,
            "emergency",
            b"Numbness around your genitals or bottom",
        ),
        (
            "worries",
            "My mum went down in a heap in the garden and wasn't responding for a bit",
            EMERGENCY_TITLE,
            "emergency",
            b"Collapsing",
        ),
        (
            "complaint",
            "Walking feels like being on a boat, I'm holding onto the walls",
            URGENT_TITLE,
            "urgent",
            b"Clumsy hands, dropping things, or feeling unsteady when you walk",
        ),
        (
            "worries",
            "Doc says my bones are like a bird's",
            REVIEW_TITLE,
            "review",
            b"Osteoporosis (thin or brittle bones)",
        ),
        # Round 10 held-out texts the screen missed or under-levelled before its fixes.
        (
            "complaint",
            "From sunday the pee is not coming good, I push and push and only little come",
            EMERGENCY_TITLE,
            "emergency",
            b"Numbness around your genitals or bottom",
        ),
        (
            "worries",
            "No numbness. Well, actually, there is a bit down below, around my back passage, "
            "since yesterday.",
            EMERGENCY_TITLE,
            "emergency",
            b"Numbness around your genitals or bottom",
        ),
        (
            "complaint",
            "I can barely get up out of my chair now, the legs are going a bit more every day.",
            EMERGENCY_TITLE,
            "emergency",
            b"Weakness in your legs that is getting worse",
        ),
        (
            "worries",
            "Sudden occipital headache + L facial droop after cervical HVLA 2 days ago",
            EMERGENCY_TITLE,
            "emergency",
            b"Dizziness, double vision, slurred speech",
        ),
        (
            "worries",
            "I've become ever so butter-fingered lately, and I walk like I've had a few.",
            URGENT_TITLE,
            "urgent",
            b"Clumsy hands, dropping things, or feeling unsteady when you walk",
        ),
        (
            "worries",
            "Non-mechanical nocturnal pain, unremitting, not relieved by analgesia or position.",
            REVIEW_TITLE,
            "review",
            b"Pain at night, or pain that nothing eases",
        ),
        # Round 11 held-out texts the screen missed or under-levelled before its fixes.
        (
            "complaint",
            "legs a tad wobbly and a bit worse than yesterday, and yesterday worse than the day "
            "before, no bother",
            EMERGENCY_TITLE,
            "emergency",
            b"Weakness in your legs that is getting worse",
        ),
        (
            "worries",
            "had a little lump removed, turned out to be the bad kind, done and dusted",
            REVIEW_TITLE,
            "review",
            b"Cancer now or in the past",
        ),
        (
            "complaint",
            "got into a fender bender and my back's been wrecked since",
            REVIEW_TITLE,
            "review",
            b"Pain that started after a fall, accident or other injury",
        ),
        (
            "worries",
            "down a stone since summer, no idea why",
            REVIEW_TITLE,
            "review",
            b"Losing weight without trying",
        ),
    ],
    ids=[
        "third-party-retention",
        "between-my-legs-in-a-long-complaint",
        "handwriting",
        "soiled-herself",
        "manhood-not-working",
        "down-in-a-heap",
        "walking-on-a-boat",
        "bones-like-a-birds",
        "pee-not-coming-good",
        "no-numbness-well-actually",
        "legs-going-more-every-day",
        "facial-droop-after-hvla",
        "butter-fingered",
        "nocturnal-unremitting",
        "legs-worse-than-yesterday-no-bother",
        "the-bad-kind",
        "fender-bender",
        "down-a-stone",
    ],
)
def test_held_out_words_at_intake_get_their_level_page_flag_and_alert(
    patient, field, words, title, level, reason
) -> None:
    page = send_through_the_pages(client_for(patient), patient, full_answers(**{field: words}))
    assert title in page.content and reason in page.content
    assert b"Book a visit" not in page.content and b"Continue booking" not in page.content
    assert level_of(patient) == ({level}, {level})
    assert booking_paused(patient)


@pytest.mark.parametrize(
    "words",
    [
        "no chest pain or shortness of breath",
        "no double vision or slurred speech",
        # Round 11: a form's answers, each question answered no.
        "- numbness: no\n- bladder problems: no\n- fever: no",
        "- fainted: no\n- chest pain: no\n- breathless: no",
    ],
)
def test_a_negated_list_at_intake_gets_the_thank_you_page(patient, words) -> None:
    page = send_through_the_pages(client_for(patient), patient, full_answers(worries=words))
    assert THANKS_TITLE in page.content
    assert level_of(patient) == (set(), set())
    assert not booking_paused(patient)


@pytest.mark.parametrize(
    "complaint",
    ["Bardzo boli mnie plecy i nie czuję nóg od wczoraj", "میری کمر میں بہت درد ہے"],
    ids=["polish", "urdu"],
)
def test_polish_and_urdu_complaints_are_kept_and_read_by_a_practitioner(patient, complaint):
    page = send_through_the_pages(client_for(patient), patient, full_answers(complaint=complaint))
    assert page.status_code == 200
    sent = IntakeResponse.objects.get(patient=patient, status="submitted")
    assert sent.answers["complaint"] == complaint
    assert REVIEW_TITLE in page.content
    assert booking_paused(patient)


@pytest.mark.parametrize(
    "words",
    [
        "I nearly collapsed laughing at the physio's jokes",
        "my knees buckled when I saw the bill",
        "I'm knackered, dead on my feet after the night shift",
    ],
    ids=["collapsed-laughing", "knees-buckled-at-the-bill", "dead-on-my-feet"],
)
def test_round_9_idioms_at_intake_get_the_thank_you_page(patient, words) -> None:
    page = send_through_the_pages(client_for(patient), patient, full_answers(worries=words))
    assert THANKS_TITLE in page.content
    assert level_of(patient) == (set(), set())
    assert not booking_paused(patient)


@time_machine.travel("2027-03-06 20:00 +00:00", tick=False)  # a Saturday evening
def test_an_urgent_questionnaire_out_of_hours_is_not_promised_a_call_today(patient) -> None:
    page = send_through_the_pages(client_for(patient), patient, full_answers(new_numbness=True))
    assert URGENT_TITLE in page.content
    assert b"One of them will call you back on Monday." in page.content
    assert b"call you back today" not in page.content


@pytest.mark.parametrize(
    "words",
    [
        "Stress incontinence since childbirth 25 years ago, the odd leak when I sneeze, "
        "nothing new.",
        "Diabetic for 20 years, my feet have been numb for years with the neuropathy, no change.",
        "Had a temperature - no, sorry, that was my grandson, I'm fine.",
    ],
    ids=["stress-incontinence", "diabetic-numb-feet", "retracted-temperature"],
)
def test_round_10_known_conditions_at_intake_go_to_a_practitioner_not_ae(patient, words) -> None:
    page = send_through_the_pages(client_for(patient), patient, full_answers(worries=words))
    assert EMERGENCY_TITLE not in page.content and URGENT_TITLE not in page.content
    assert level_of(patient)[1] <= {"review"}


@pytest.mark.parametrize(
    "words",
    [
        "it was 38 degrees in Spain last week, lovely holiday",
        "I wet myself laughing at my brother's joke",
        "had a fever last month but fully recovered now",
        "my vision is blurry without my glasses, always has been",
    ],
    ids=["holiday-38-degrees", "wet-myself-laughing", "fever-recovered", "blurry-without-glasses"],
)
def test_round_11_near_misses_at_intake_send_nobody_to_111_or_ae(patient, words) -> None:
    page = send_through_the_pages(client_for(patient), patient, full_answers(worries=words))
    assert EMERGENCY_TITLE not in page.content and URGENT_TITLE not in page.content
    assert level_of(patient)[1] <= {"review"}
