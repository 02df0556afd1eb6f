from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.triage import (
    CAUTION_TEXT,
    HAZARD_LEVEL,
    INTAKE_RED_FLAG,
    INTAKE_SUMMARY,
    REASON_TEXT,
    RED_FLAG_KEYS,
    SCREEN_HAZARD,
    Level,
    cautions,
    highest,
    intake_outcome,
    red_flags_in,
)
from tests.intake.factories import full_answers

TODAY = date(2027, 3, 15)


def test_no_red_flags_no_urgency() -> None:
    outcome = intake_outcome(full_answers(safety=["none"], medication_flags=["none"]))
    assert not outcome.urgent_advice and not outcome.pause_booking
    assert outcome.alerts == () and outcome.flags == ()


@pytest.mark.parametrize("key", sorted(RED_FLAG_KEYS))
def test_each_screen_question_alone_raises_its_level_pauses_booking_and_alerts(
    key: str,
) -> None:
    level = HAZARD_LEVEL[SCREEN_HAZARD[key]]
    outcome = intake_outcome(full_answers(**{key: True}))
    assert outcome.level == level
    assert outcome.pause_booking and outcome.safety_net and not outcome.reassure
    assert outcome.urgent_advice == outcome.advise_gp == (level != Level.REVIEW)
    assert outcome.flags == (level.value,)
    assert outcome.alerts == ((level.value, INTAKE_RED_FLAG, INTAKE_SUMMARY[level]),)
    assert outcome.reasons == (SCREEN_HAZARD[key],)


def test_the_alert_summary_names_no_symptom() -> None:
    outcome = intake_outcome(full_answers(saddle_numbness=True, bladder_bowel=True))
    summary = outcome.alerts[0][2]
    assert summary == "Emergency signs reported in the intake questionnaire"
    assert "bladder" not in summary.lower() and "numb" not in summary.lower()


def test_levels_are_ordered_and_the_highest_wins() -> None:
    assert highest([Level.REVIEW, "urgent", None]) == Level.URGENT
    assert highest([]) is None
    outcome = intake_outcome(full_answers(cancer_history=True, fever=True, leg_weakness=True))
    assert outcome.level == Level.EMERGENCY
    assert outcome.reasons[0] == "leg_weakness_worsening"
    assert set(outcome.reasons) == {"leg_weakness_worsening", "fever", "cancer_history"}
    assert all(REASON_TEXT[r] for r in outcome.reasons)


def test_a_cancer_treated_twenty_years_ago_is_review_never_emergency() -> None:
    outcome = intake_outcome(
        full_answers(cancer_history=True, complaint="Breast cancer treated 20 years ago, all clear")
    )
    assert outcome.level == Level.REVIEW and not outcome.urgent_advice
    assert outcome.flags == ("review",) and outcome.pause_booking


@pytest.mark.parametrize("partner", ["night_pain", "weight_loss"])
def test_a_past_cancer_with_night_pain_or_weight_loss_is_urgent(partner: str) -> None:
    # Possible spinal metastases: a doctor within a day, not only a practitioner's review.
    outcome = intake_outcome(full_answers(cancer_history=True, **{partner: True}))
    assert outcome.level == Level.URGENT and outcome.urgent_advice and outcome.pause_booking
    assert outcome.reasons[:2] == ("cancer_history", partner) or set(outcome.reasons[:2]) == {
        "cancer_history",
        partner,
    }
    assert intake_outcome(full_answers(**{partner: True})).level == Level.REVIEW
    words = full_answers(cancer_history=True, complaint="New back pain that wakes me every night")
    assert intake_outcome(words).level == Level.URGENT


@pytest.mark.parametrize("partner", ["osteoporosis", "steroids_long"])
def test_a_new_injury_in_thin_bones_or_after_long_term_steroids_is_urgent(partner: str) -> None:
    # A possible fracture; an injury whose pain has lasted over three months is not a new one.
    new = intake_outcome(full_answers(trauma=True, duration="weeks", **{partner: True}))
    assert new.level == Level.URGENT and new.urgent_advice
    old = intake_outcome(full_answers(trauma=True, duration="years", **{partner: True}))
    assert old.level == Level.REVIEW and not old.urgent_advice
    assert intake_outcome(full_answers(trauma=True, duration="weeks")).level == Level.REVIEW
    fell = full_answers(osteoporosis=True, duration="weeks", complaint="I fell off a step")
    assert intake_outcome(fell).level == Level.URGENT


def test_an_injury_on_blood_thinners_is_urgent() -> None:
    # Whole patients round 2 (q50): a fall on warfarin can bleed as well as break.
    thinned = {"medication_flags": ["anticoagulants"], "duration": "weeks"}
    fell = intake_outcome(full_answers(trauma=True, **thinned))
    assert fell.level == Level.URGENT and fell.urgent_advice
    assert intake_outcome(full_answers(**thinned)).level is None
    old = {"medication_flags": ["anticoagulants"], "duration": "years"}
    assert intake_outcome(full_answers(trauma=True, **old)).level == Level.REVIEW


def test_cauda_equina_in_everyday_words_is_an_emergency() -> None:
    outcome = intake_outcome(
        full_answers(complaint="Back pain, and since Sunday I can't feel it when I wipe")
    )
    assert outcome.level == Level.EMERGENCY and outcome.reasons == ("cauda_equina",)


@pytest.mark.parametrize(
    ("born", "duration", "review"),
    [
        ("2010-01-01", "weeks", True),  # 17, new pain
        ("1970-01-01", "months", True),  # 57, new pain
        ("1970-01-01", "years", False),  # 57, long-standing
        ("1990-01-01", "weeks", False),  # 37
        ("2007-03-16", "weeks", True),  # 19 the day before the birthday
        ("2007-03-15", "weeks", False),  # 20 today
        ("not a date", "weeks", False),
    ],
)
def test_new_back_pain_under_20_or_over_50_needs_review(
    born: str, duration: str, review: bool
) -> None:
    outcome = intake_outcome(full_answers(date_of_birth=born, duration=duration), today=TODAY)
    assert (outcome.level == Level.REVIEW) == review
    assert ("age" in outcome.reasons) == review


def test_a_weakened_immune_system_is_a_real_rule_not_only_a_note() -> None:
    outcome = intake_outcome(full_answers(safety=["immune"]))
    assert outcome.level == Level.REVIEW and "immune" in outcome.reasons
    assert CAUTION_TEXT["immune"] in outcome.notes


def test_pregnancy_weeks_are_in_the_caution_note() -> None:
    outcome = intake_outcome(full_answers(safety=["pregnant"], pregnancy_weeks=14))
    assert "Is or might be pregnant (14 weeks)" in outcome.notes
    assert outcome.level is None


def test_names_and_phone_numbers_are_not_screened() -> None:
    outcome = intake_outcome(full_answers(gp_name="Dr Fell, Cancer Lane Surgery"))
    assert outcome.level is None


def test_a_bad_reaction_to_acupuncture_before_asks_for_gentle_treatment() -> None:
    outcome = intake_outcome(full_answers(had_acupuncture=True, reaction="worse"))
    assert outcome.flags == ("treat_gently",)
    assert CAUTION_TEXT["bad_reaction"] in outcome.notes
    assert intake_outcome(full_answers(had_acupuncture=True, reaction="fine")).flags == ()
    # A stale reaction without "had acupuncture" is not a reaction.
    assert intake_outcome(full_answers(had_acupuncture=False, reaction="worse")).flags == ()


def test_blood_thinners_come_before_everything_else() -> None:
    answers = full_answers(
        safety=["needle_fear", "pregnant", "implant", "diabetes"],
        medication_flags=["anticoagulants", "opioids"],
    )
    assert cautions(answers) == [
        "anticoagulants",
        "pregnant",
        "implant",
        "needle_fear",
        "diabetes",
        "opioids",
    ]


def test_each_safety_and_medication_flag_is_a_caution() -> None:
    for key in CAUTION_TEXT.keys() - {"bad_reaction"}:
        field = "medication_flags" if key in ("anticoagulants", "opioids", "steroids") else "safety"
        answers = full_answers(**{"safety": ["none"], "medication_flags": ["none"], field: [key]})
        assert cautions(answers) == [key]


answer_values = st.one_of(st.booleans(), st.none(), st.integers(), st.text(max_size=5))


@given(
    flags=st.dictionaries(st.sampled_from(sorted(RED_FLAG_KEYS)), answer_values),
    extra=st.dictionaries(st.text(max_size=10), answer_values, max_size=5),
)
def test_every_yes_raises_at_least_its_level(
    flags: dict[str, object], extra: dict[str, object]
) -> None:
    answers = {**extra, **flags}
    outcome = intake_outcome(answers)
    positive = [k for k, v in flags.items() if v is True]
    levels = {HAZARD_LEVEL[SCREEN_HAZARD[k]] for k in positive}
    if positive:
        assert outcome.level is not None and outcome.level.rank >= max(lv.rank for lv in levels)
        assert outcome.pause_booking and outcome.level.value in outcome.flags
    assert outcome.urgent_advice == (outcome.level in (Level.EMERGENCY, Level.URGENT))
    assert not (outcome.urgent_advice and outcome.reassure)
    assert sorted(red_flags_in(answers)) == sorted(positive)


@given(
    safety=st.lists(st.text(max_size=20), max_size=6),
    medication=st.one_of(st.none(), st.text(max_size=5), st.lists(st.text(max_size=15))),
)
def test_cautions_never_crash_and_stay_in_priority_order(
    safety: list[str], medication: object
) -> None:
    found = cautions({"safety": safety, "medication_flags": medication})
    order = list(CAUTION_TEXT)
    assert found == sorted(found, key=order.index)


def test_a_one_word_answer_is_screened_too() -> None:
    outcome = intake_outcome(full_answers(diagnoses=["other"], diagnoses_other="Osteoporosis"))
    assert outcome.level == Level.REVIEW and outcome.reasons == ("osteoporosis",)
    # Single-choice answers are strings too, and never read as symptoms.
    assert intake_outcome(full_answers(reaction="sore_short", had_acupuncture=True)).level is None
