"""The intake questionnaire, defined in code and versioned.

A response stores the ``kind`` and ``version`` it answered, so changing the
questions means adding a new version here: old responses keep rendering
against the definition they were given (and any answer whose question has
gone is still shown, under its key, rather than dropped).

This module only describes the questions. ``intake.forms`` turns a section
into a Django form; ``intake.triage`` turns typed answers into outcomes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from intake.triage import RED_FLAGS, SCREEN_QUESTIONS

Widget = Literal[
    "text",
    "textarea",
    "scale",
    "choice",
    "multi",
    "yesno",
    "consent",
    "email",
    "tel",
    "date",
    "number",
]
FULL = "full"
SHORT = "short"


@dataclass(frozen=True)
class Question:
    """One question: its key in the answers, the words the patient sees, and how it is asked."""

    key: str
    label: str
    widget: Widget
    required: bool = True
    help: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    # Asked only when another answer has this value (a yes/no answer is True/False;
    # for a multi-choice answer, when the value is among the ticked ones).
    show_if: tuple[str, object] | None = None
    max_length: int = 2000
    # Choice values that stand alone ("none of these"), never ticked together with others.
    exclusive: tuple[str, ...] = ()
    # For "number": the smallest and largest answer accepted, and what is counted ("weeks"),
    # for the message that asks for a number in that range.
    min_value: int = 0
    max_value: int = 100
    unit: str = ""

    def is_shown(self, answers: Mapping[str, object]) -> bool:
        """Whether this question applies, given the (typed) answers so far."""
        if self.show_if is None:
            return True
        key, wanted = self.show_if
        given = answers.get(key)
        if isinstance(given, list):
            return wanted in given
        return given == wanted

    @property
    def show_if_value(self) -> str:
        """The controlling answer's form value that shows this question ("yes" for True)."""
        if self.show_if is None:
            return ""
        wanted = self.show_if[1]
        return "yes" if wanted is True else "no" if wanted is False else str(wanted)

    @property
    def is_group(self) -> bool:
        """Asked with several inputs (radios or checkboxes), so labelled by a fieldset."""
        return self.widget in ("scale", "choice", "multi", "yesno")

    def choice_label(self, value: object) -> str:
        return dict(self.choices).get(str(value), str(value))


@dataclass(frozen=True)
class Section:
    slug: str
    title: str
    intro: str
    questions: tuple[Question, ...]


@dataclass(frozen=True)
class Questionnaire:
    kind: str
    version: int
    title: str
    minutes: int
    sections: tuple[Section, ...]
    questions_by_key: dict[str, Question] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_key = {q.key: q for s in self.sections for q in s.questions}
        object.__setattr__(self, "questions_by_key", by_key)

    def section(self, slug: str) -> Section | None:
        return next((s for s in self.sections if s.slug == slug), None)

    def next_section(self, slug: str) -> Section | None:
        slugs = [s.slug for s in self.sections]
        index = slugs.index(slug) + 1 if slug in slugs else len(slugs)
        return self.sections[index] if index < len(slugs) else None

    def previous_section(self, slug: str) -> Section | None:
        slugs = [s.slug for s in self.sections]
        index = slugs.index(slug) - 1 if slug in slugs else -1
        return self.sections[index] if index >= 0 else None


SCALE_HELP = "0 means no pain at all, 10 the worst pain you can imagine."
NONE = "none"

BODY_AREAS = (
    ("neck", "Neck"),
    ("shoulders", "Shoulders"),
    ("upper_back", "Upper back"),
    ("mid_back", "Middle back"),
    ("lower_back", "Lower back"),
    ("buttock", "Buttock"),
    ("hip", "Hip"),
    ("leg", "Leg (thigh, calf or foot)"),
    ("abdomen", "Stomach or side (pain wrapping round to the front)"),
)
SIDES = (("left", "Mostly left"), ("right", "Mostly right"), ("both", "Both sides or the middle"))
DURATIONS = (
    ("weeks", "Less than 6 weeks"),
    ("months", "6 weeks to 3 months"),
    ("under_year", "3 to 12 months"),
    ("years", "More than a year"),
)
DIAGNOSES = (
    ("disc_degeneration", "Disc degeneration"),
    ("herniation", "Disc herniation, bulge or prolapse"),
    ("modic", "Modic (endplate) changes"),
    ("scoliosis", "Scoliosis"),
    ("stenosis", "Spinal stenosis"),
    ("sciatica", "Sciatica or a trapped nerve"),
    ("other", "Something else"),
    (NONE, "None that I know of"),
)
IMAGING = (
    ("mri", "MRI scan"),
    ("xray", "X-ray"),
    ("ct", "CT scan"),
    (NONE, "No scans"),
)
SURGERIES = (
    ("decompression", "Decompression"),
    ("discectomy", "Discectomy"),
    ("fusion", "Spinal fusion"),
    ("laminectomy", "Laminectomy"),
    ("other", "Another operation"),
)
HELPED = (("yes", "Yes"), ("partly", "Partly, or for a while"), ("no", "No"))
MEDICATION_FLAGS = (
    ("painkillers", "Painkillers such as paracetamol or ibuprofen"),
    ("opioids", "Strong painkillers (opioids) such as tramadol, codeine or morphine"),
    ("anticoagulants", "Blood thinners such as warfarin, apixaban, rivaroxaban or daily aspirin"),
    ("steroids", "Steroids (tablets or injections)"),
    (NONE, "None of these"),
)
# Needling safety: each of these changes how (or whether) a practitioner needles.
SAFETY = (
    ("bleeding_disorder", "A bleeding or clotting disorder, or you bruise very easily"),
    ("pregnant", "You are or might be pregnant"),
    ("implant", "A pacemaker or another implanted electrical device"),
    ("metal_allergy", "An allergy to metals such as nickel"),
    ("epilepsy_fainting", "Epilepsy, or you have fainted before (for example at injections)"),
    ("diabetes", "Diabetes"),
    ("immune", "A weakened immune system (from illness or medicine)"),
    ("needle_fear", "You are frightened of needles"),
    (NONE, "None of these"),
)
REACTIONS = (
    ("fine", "Fine, or a little better"),
    ("sore_short", "Sore for a day or two, then fine"),
    ("worse", "Worse for several days or longer"),
    ("unsure", "I am not sure"),
)
YES = "yes"


RED_FLAG_INTRO = (
    "Some symptoms with back pain need a doctor quickly rather than acupuncture. "
    "Please answer each one honestly. Answering yes does not stop you being treated "
    "here later; it means we will make sure you get the right help first."
)


def _red_flag_section(slug: str = "red-flags") -> Section:
    return Section(
        slug=slug,
        title="Important symptoms",
        intro=RED_FLAG_INTRO,
        questions=tuple(Question(key, f"{text}?", "yesno") for key, text in RED_FLAGS),
    )


def _red_flag_section_v2() -> Section:
    """Version 2: the levels' questions, including what version 1 never asked."""
    return Section(
        slug="red-flags",
        title="Important symptoms",
        intro=RED_FLAG_INTRO,
        questions=tuple(
            Question(key, text if text.endswith("?") else f"{text}?", "yesno")
            for key, text, _ in SCREEN_QUESTIONS
        ),
    )


def _date_of_birth() -> Question:
    return Question(
        "date_of_birth",
        "Your date of birth",
        "date",
        help="New back pain needs a closer look at some ages, so we ask everyone.",
        max_length=10,
    )


# The version of the consent wording (and of the privacy notice it points to) that a submitted
# response records. tests/intake/test_consent_version.py holds the fingerprint of each
# version's words, so changing a word without a new version fails there.
CONSENT_VERSION = "2026-12-05"


def consent_section() -> Section:
    """The consent step, the same in every questionnaire."""
    return Section(
        slug="consent",
        title="Your consent",
        intro=(
            "We keep your answers encrypted. Only you and the practitioners and staff of this "
            "clinic can read them, and you can see who has looked at your record."
        ),
        questions=(
            Question(
                "consent_treatment",
                "I agree to be assessed and, if it suits me, treated with acupuncture. I know I "
                "can ask questions and stop at any time.",
                "consent",
            ),
            Question(
                "consent_data",
                "I agree that the clinic may keep and use my health information to look after "
                "me. It is never shared without my permission, except in an emergency.",
                "consent",
            ),
        ),
    )


def _contact_question_set() -> tuple[Question, ...]:
    return (
        Question(
            "phone",
            "A phone number we can reach you on",
            "tel",
            help="So your practitioner can call you if something in your answers needs it.",
            max_length=40,
        ),
    )


FULL_V1 = Questionnaire(
    kind=FULL,
    version=1,
    title="Health questionnaire",
    minutes=10,
    sections=(
        Section(
            slug="pain",
            title="Your pain",
            intro="Tell us about the pain that brings you to us, in your own words.",
            questions=(
                Question(
                    "complaint",
                    "What is the main problem you would like help with?",
                    "textarea",
                    help="For example: low back pain that goes into my left leg.",
                    max_length=1500,
                ),
                Question("areas", "Where do you feel it?", "multi", choices=BODY_AREAS),
                Question("side", "Which side?", "choice", choices=SIDES),
                Question(
                    "radiates",
                    "Does the pain spread into your buttock or down your leg?",
                    "yesno",
                ),
                Question("duration", "How long have you had it?", "choice", choices=DURATIONS),
                Question(
                    "better",
                    "What makes it better?",
                    "textarea",
                    required=False,
                    help="Movement, rest, heat, a position, medicine...",
                    max_length=1000,
                ),
                Question(
                    "worse",
                    "What makes it worse?",
                    "textarea",
                    required=False,
                    help="Sitting, bending, mornings, stress...",
                    max_length=1000,
                ),
                Question("pain_now", "How bad is the pain right now?", "scale", help=SCALE_HELP),
                Question("pain_worst", "How bad is it at its worst?", "scale", help=SCALE_HELP),
                Question("pain_best", "How bad is it at its best?", "scale", help=SCALE_HELP),
            ),
        ),
        Section(
            slug="history",
            title="Diagnoses, scans and surgery",
            intro="What doctors have told you so far. Leave out anything you are not sure about.",
            questions=(
                Question(
                    "diagnoses",
                    "Has a doctor told you that you have any of these?",
                    "multi",
                    choices=DIAGNOSES,
                    exclusive=(NONE,),
                ),
                Question(
                    "diagnoses_other",
                    "What else were you told?",
                    "text",
                    show_if=("diagnoses", "other"),
                    max_length=300,
                ),
                Question(
                    "imaging",
                    "Have you had any scans of your back?",
                    "multi",
                    choices=IMAGING,
                    exclusive=(NONE,),
                ),
                Question("had_surgery", "Have you had an operation on your back?", "yesno"),
                Question(
                    "surgery",
                    "Which operation?",
                    "multi",
                    choices=SURGERIES,
                    show_if=("had_surgery", True),
                ),
                Question(
                    "surgery_when",
                    "When was it?",
                    "text",
                    help="A year is enough, for example 2023, or 'March last year'.",
                    show_if=("had_surgery", True),
                    max_length=100,
                ),
                Question(
                    "surgery_helped",
                    "Did it help?",
                    "choice",
                    choices=HELPED,
                    show_if=("had_surgery", True),
                ),
            ),
        ),
        Section(
            slug="medication",
            title="Medication",
            intro="Some medicines change how we treat you, so we ask about them on their own.",
            questions=(
                Question(
                    "medication_flags",
                    "Do you take any of these?",
                    "multi",
                    choices=MEDICATION_FLAGS,
                    exclusive=(NONE,),
                ),
                Question(
                    "medication",
                    "Which medicines do you take, and how often?",
                    "textarea",
                    required=False,
                    help="Include anything bought without a prescription. Side effects too, "
                    "for example drowsiness or constipation.",
                    max_length=1500,
                ),
            ),
        ),
        Section(
            slug="safety",
            title="Needling safety",
            intro="These help your practitioner choose needles, depth and positions safely.",
            questions=(
                Question(
                    "safety",
                    "Do any of these apply to you?",
                    "multi",
                    choices=SAFETY,
                    exclusive=(NONE,),
                ),
                Question(
                    "safety_details",
                    "Anything you would like us to know about these?",
                    "textarea",
                    required=False,
                    help="For example how many weeks pregnant, or what usually helps with "
                    "needle nerves.",
                    max_length=1000,
                ),
            ),
        ),
        _red_flag_section(),
        Section(
            slug="acupuncture",
            title="Acupuncture before",
            intro="It helps to know how your body has reacted to treatment in the past.",
            questions=(
                Question("had_acupuncture", "Have you had acupuncture before?", "yesno"),
                Question(
                    "reaction",
                    "How did you feel in the days afterwards?",
                    "choice",
                    choices=REACTIONS,
                    show_if=("had_acupuncture", True),
                ),
                Question(
                    "reaction_details",
                    "Tell us more about how you reacted",
                    "textarea",
                    required=False,
                    show_if=("had_acupuncture", True),
                    max_length=1000,
                ),
            ),
        ),
        Section(
            slug="hopes",
            title="Worries and hopes",
            intro="There are no wrong answers here.",
            questions=(
                Question(
                    "worries",
                    "Is there anything you are worried about?",
                    "textarea",
                    required=False,
                    help="For example that treatment will make the pain worse, or the cost.",
                    max_length=1500,
                ),
                Question(
                    "hopes",
                    "What would you most like to be able to do again?",
                    "textarea",
                    required=False,
                    max_length=1500,
                ),
            ),
        ),
        Section(
            slug="contacts",
            title="Your GP and an emergency contact",
            intro="We only contact them if you ask us to, or in an emergency.",
            questions=(
                *_contact_question_set(),
                Question("gp_name", "Your GP (family doctor) or practice", "text", max_length=200),
                Question(
                    "gp_contact",
                    "The practice's address or phone number",
                    "text",
                    required=False,
                    max_length=300,
                ),
                Question("emergency_name", "Emergency contact's name", "text", max_length=200),
                Question("emergency_phone", "Emergency contact's phone", "tel", max_length=40),
            ),
        ),
        consent_section(),
    ),
)

SAFETY_V2 = (
    *SAFETY[:-1],
    ("skin", "A skin problem where needles may go (eczema, psoriasis, broken or infected skin)"),
    SAFETY[-1],
)


def _v2_sections() -> tuple[Section, ...]:
    """Version 2 of the full questionnaire: version 1 plus date of birth, pregnancy weeks, a
    skin question and the triage levels' screen."""
    sections: list[Section] = []
    for section in FULL_V1.sections:
        if section.slug == "pain":
            section = Section(
                section.slug,
                section.title,
                section.intro,
                (_date_of_birth(), *section.questions),
            )
        elif section.slug == "safety":
            choices, details = section.questions
            section = Section(
                section.slug,
                section.title,
                section.intro,
                (
                    Question(
                        choices.key,
                        choices.label,
                        "multi",
                        choices=SAFETY_V2,
                        exclusive=(NONE,),
                    ),
                    Question(
                        "pregnancy_weeks",
                        "How many weeks pregnant are you?",
                        "number",
                        help="Your best guess is fine. Some points are not needled in pregnancy.",
                        required=False,
                        show_if=("safety", "pregnant"),
                        # A full-term pregnancy is 37-42 weeks; past 42 it is a typing slip.
                        min_value=1,
                        max_value=42,
                        unit="weeks",
                    ),
                    details,
                ),
            )
        elif section.slug == "red-flags":
            section = _red_flag_section_v2()
        sections.append(section)
    return tuple(sections)


FULL_V2 = Questionnaire(
    kind=FULL,
    version=2,
    title="Health questionnaire",
    minutes=12,
    sections=_v2_sections(),
)

SHORT_V1 = Questionnaire(
    kind=SHORT,
    version=1,
    title="Short questionnaire for the free assessment",
    minutes=3,
    sections=(
        Section(
            slug="about",
            title="About you and your pain",
            intro="Just enough for a useful first conversation.",
            questions=(
                *_contact_question_set(),
                Question(
                    "complaint",
                    "What is the main problem you would like help with?",
                    "textarea",
                    help="For example: low back pain that goes into my left leg.",
                    max_length=1500,
                ),
                Question("pain_now", "How bad is the pain right now?", "scale", help=SCALE_HELP),
            ),
        ),
        _red_flag_section(),
        consent_section(),
    ),
)

SHORT_V2 = Questionnaire(
    kind=SHORT,
    version=2,
    title="Short questionnaire for the free assessment",
    minutes=4,
    sections=(
        Section(
            slug="about",
            title="About you and your pain",
            intro="Just enough for a useful first conversation.",
            questions=(
                *_contact_question_set(),
                _date_of_birth(),
                Question(
                    "complaint",
                    "What is the main problem you would like help with?",
                    "textarea",
                    help="For example: low back pain that goes into my left leg.",
                    max_length=1500,
                ),
                Question("duration", "How long have you had it?", "choice", choices=DURATIONS),
                Question("pain_now", "How bad is the pain right now?", "scale", help=SCALE_HELP),
            ),
        ),
        _red_flag_section_v2(),
        consent_section(),
    ),
)

# Every version ever published stays here, so every stored response can be shown.
QUESTIONNAIRES: dict[tuple[str, int], Questionnaire] = {
    (q.kind, q.version): q for q in (FULL_V1, SHORT_V1, FULL_V2, SHORT_V2)
}
CURRENT: dict[str, Questionnaire] = {FULL: FULL_V2, SHORT: SHORT_V2}
KINDS = {FULL: "Full questionnaire", SHORT: "Short questionnaire"}


def current(kind: str) -> Questionnaire:
    """The questionnaire new responses of ``kind`` answer."""
    return CURRENT[kind]


def definition(kind: str, version: int) -> Questionnaire | None:
    """The questionnaire a stored response answered (None for a version this code lacks)."""
    return QUESTIONNAIRES.get((kind, version))
