from intake.questionnaire import (
    CURRENT,
    FULL,
    FULL_V1,
    FULL_V2,
    QUESTIONNAIRES,
    SHORT,
    SHORT_V1,
    SHORT_V2,
    Question,
    current,
    definition,
)
from intake.triage import RED_FLAGS, SCREEN_QUESTIONS


def test_every_published_version_is_registered_and_current_points_at_one() -> None:
    assert current(FULL) is FULL_V2 and current(SHORT) is SHORT_V2
    # Old versions stay, so responses sent under them still render.
    assert definition(FULL, 1) is FULL_V1 and definition(SHORT, 1) is SHORT_V1
    for kind, questionnaire in CURRENT.items():
        assert definition(kind, questionnaire.version) is questionnaire
    assert definition(FULL, 999) is None


def test_keys_are_unique_and_conditions_refer_to_earlier_questions_of_the_same_section() -> None:
    for questionnaire in QUESTIONNAIRES.values():
        keys = [q.key for s in questionnaire.sections for q in s.questions]
        assert len(keys) == len(set(keys)), questionnaire
        for section in questionnaire.sections:
            before: set[str] = set()
            for question in section.questions:
                if question.show_if is not None:
                    assert question.show_if[0] in before, question.key
                before.add(question.key)


def test_both_versions_screen_every_red_flag_and_ask_for_both_consents() -> None:
    for questionnaire, screen in (
        (FULL_V1, {k for k, _ in RED_FLAGS}),
        (SHORT_V1, {k for k, _ in RED_FLAGS}),
        (FULL_V2, {k for k, _, _ in SCREEN_QUESTIONS}),
        (SHORT_V2, {k for k, _, _ in SCREEN_QUESTIONS}),
    ):
        keys = set(questionnaire.questions_by_key)
        assert keys >= screen
        assert {"consent_treatment", "consent_data", "complaint", "phone"} <= keys


def test_version_2_asks_what_version_1_never_did() -> None:
    for questionnaire in (FULL_V2, SHORT_V2):
        keys = set(questionnaire.questions_by_key)
        assert {
            "date_of_birth",
            "night_pain",
            "steroids_long",
            "drug_injection",
            "osteoporosis",
            "neck_manipulation_signs",
            "cord_signs",
            "new_numbness",
        } <= keys
    assert FULL_V2.questions_by_key["pregnancy_weeks"].show_if == ("safety", "pregnant")
    assert "immune" in dict(FULL_V2.questions_by_key["safety"].choices)


def test_the_short_version_is_short() -> None:
    assert len(SHORT_V1.questions_by_key) < len(FULL_V1.questions_by_key) / 2
    assert [s.slug for s in SHORT_V1.sections] == ["about", "red-flags", "consent"]


def test_conditions_follow_yes_no_and_ticked_answers() -> None:
    surgery = FULL_V1.questions_by_key["surgery"]
    assert surgery.is_shown({"had_surgery": True})
    assert not surgery.is_shown({"had_surgery": False})
    assert not surgery.is_shown({})
    assert surgery.show_if_value == "yes"
    other = FULL_V1.questions_by_key["diagnoses_other"]
    assert other.is_shown({"diagnoses": ["herniation", "other"]})
    assert not other.is_shown({"diagnoses": ["herniation"]})
    assert Question("x", "X", "text").is_shown({})


def test_section_navigation() -> None:
    first, second = FULL_V1.sections[0], FULL_V1.sections[1]
    assert FULL_V1.next_section(first.slug) is second
    assert FULL_V1.previous_section(second.slug) is first
    assert FULL_V1.previous_section(first.slug) is None
    assert FULL_V1.next_section(FULL_V1.sections[-1].slug) is None
    assert FULL_V1.section("nope") is None
