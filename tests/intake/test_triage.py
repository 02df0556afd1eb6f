import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.triage import (
    CAUTION_TEXT,
    INTAKE_RED_FLAG,
    RED_FLAG_KEYS,
    RED_FLAGS,
    cautions,
    intake_outcome,
    red_flags_in,
)
from tests.intake.factories import full_answers


def test_no_red_flags_no_urgency() -> None:
    outcome = intake_outcome(full_answers(safety=["none"], medication_flags=["none"]))
    assert not outcome.urgent_advice and not outcome.pause_booking
    assert outcome.alerts == () and outcome.flags == ()


@pytest.mark.parametrize("key", [key for key, _ in RED_FLAGS])
def test_each_red_flag_alone_means_urgent_advice_paused_booking_and_an_urgent_alert(
    key: str,
) -> None:
    outcome = intake_outcome(full_answers(**{key: True}))
    assert outcome.urgent_advice and outcome.pause_booking and outcome.advise_gp
    assert not outcome.reassure
    assert outcome.flags == ("red_flag",)
    assert outcome.alerts == (
        (
            "urgent",
            INTAKE_RED_FLAG,
            "Answered yes to a red-flag question in the intake questionnaire",
        ),
    )


def test_the_alert_summary_counts_flags_but_names_no_symptom() -> None:
    outcome = intake_outcome(full_answers(saddle_numbness=True, bladder_bowel=True))
    summary = outcome.alerts[0][2]
    assert "2 red-flag questions" in summary
    assert "bladder" not in summary.lower() and "numb" not in summary.lower()


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
def test_urgent_exactly_when_a_red_flag_is_answered_yes(
    flags: dict[str, object], extra: dict[str, object]
) -> None:
    answers = {**extra, **flags}
    outcome = intake_outcome(answers)
    positive = [k for k, v in flags.items() if v is True]
    assert outcome.urgent_advice == bool(positive) == outcome.pause_booking
    assert ("red_flag" in outcome.flags) == bool(positive)
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
