from datetime import timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake.forms import (
    RAW_LIMIT,
    DiaryForm,
    display_answer,
    raw_from_post,
    raw_from_typed,
    section_form,
    validate_all,
)
from intake.questionnaire import FULL_V1, FULL_V2, SHORT_V1
from tests.intake.factories import full_answers, raw

PAIN, HISTORY, _MEDICATION, SAFETY = FULL_V1.sections[:4]


def errors(section: Any, values: dict[str, object]) -> dict[str, list[str]]:
    form = section_form(section, raw(values), bound=True)
    form.is_valid()
    return {k: [str(e) for e in v] for k, v in form.errors.items()}


def test_a_complete_questionnaire_validates_to_typed_answers() -> None:
    result = validate_all(FULL_V1, raw(full_answers()))
    assert result.ok
    assert result.answers["pain_now"] == 6
    assert result.answers["had_surgery"] is False
    assert result.answers["areas"] == ["lower_back"]
    assert result.answers["consent_data"] is True


def test_pain_outside_0_to_10_gets_a_clear_message() -> None:
    problems = errors(PAIN, full_answers(pain_now=11))
    assert problems["pain_now"] == ["Choose a number from 0 (no pain) to 10 (the worst)."]
    assert "pain_now" in errors(PAIN, full_answers(pain_now=-1))
    assert "pain_now" in errors(PAIN, full_answers(pain_now="seven"))


def test_missing_required_answers_are_named() -> None:
    answers = full_answers()
    del answers["complaint"], answers["pain_worst"]
    problems = errors(PAIN, answers)
    assert problems["complaint"] == ["Please answer this question."]
    assert problems["pain_worst"] == ["Choose a number from 0 to 10."]


def test_contradictory_pain_scores_are_refused() -> None:
    assert errors(PAIN, full_answers(pain_best=8, pain_worst=5, pain_now=5))["pain_best"] == [
        "Your pain at its best cannot be higher than at its worst."
    ]
    assert "pain_worst" in errors(PAIN, full_answers(pain_now=9, pain_worst=7, pain_best=2))


def test_a_date_of_birth_in_the_future_or_too_long_ago_is_questioned() -> None:
    pain_v2 = FULL_V2.sections[0]
    today = timezone.localdate()
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert errors(pain_v2, full_answers(date_of_birth=tomorrow))["date_of_birth"] == [
        "That date is in the future. Please check it."
    ]
    assert errors(pain_v2, full_answers(date_of_birth="1890-01-01"))["date_of_birth"] == [
        "Please check the year you were born."
    ]
    assert "date_of_birth" not in errors(pain_v2, full_answers(date_of_birth="1985-06-01"))


def test_none_of_these_cannot_be_ticked_with_something_else() -> None:
    problems = errors(SAFETY, full_answers(safety=["none", "pregnant"]))
    assert problems["safety"] == ["'None of these' cannot be ticked together with other answers."]


def test_surgery_details_are_asked_only_after_a_yes() -> None:
    problems = errors(HISTORY, full_answers(had_surgery=True))
    assert set(problems) == {"surgery", "surgery_when", "surgery_helped"}
    form = section_form(
        HISTORY, raw(full_answers(had_surgery=False, surgery=["fusion"])), bound=True
    )
    assert form.is_valid()
    # Details left over from an earlier "yes" are dropped, not kept as a contradiction.
    assert "surgery" not in form.typed_answers()


def test_over_long_text_is_refused_with_its_length_and_kept_in_the_draft() -> None:
    long = "x" * 1600
    problems = errors(PAIN, full_answers(complaint=long))
    assert problems["complaint"] == ["Please shorten this to 1500 characters (it has 1600)."]
    assert raw_from_post(PAIN, {"complaint": long})["complaint"] == long
    assert len(str(raw_from_post(PAIN, {"complaint": "y" * 50_000})["complaint"])) == RAW_LIMIT


def test_raw_values_round_trip_through_typed_answers_except_consent() -> None:
    typed = validate_all(FULL_V1, raw(full_answers())).answers
    again = raw_from_typed(FULL_V1, typed)
    assert "consent_data" not in again  # consent is given afresh on every update
    result = validate_all(FULL_V1, {**again, "consent_treatment": "on", "consent_data": "on"})
    assert result.ok and result.answers == typed


def test_answers_read_back_in_words() -> None:
    areas = FULL_V1.questions_by_key["areas"]
    assert display_answer(areas, ["lower_back", "leg"]) == "Lower back, Leg (thigh, calf or foot)"
    assert display_answer(FULL_V1.questions_by_key["pain_now"], 6) == "6 out of 10"
    assert display_answer(FULL_V1.questions_by_key["radiates"], True) == "Yes"
    assert display_answer(FULL_V1.questions_by_key["consent_data"], True) == "Agreed"
    assert display_answer(None, ["a", "b"]) == "a, b"


def test_diary_form_refuses_a_future_time_and_bad_pain() -> None:
    future = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    form = DiaryForm({"pain": "4", "recorded_at": future})
    assert not form.is_valid() and "recorded_at" in form.errors
    form = DiaryForm({"pain": "12"})
    assert form.errors["pain"] == ["Choose a number from 0 (no pain) to 10 (the worst)."]
    assert DiaryForm({"pain": "0", "tags": ["flare"]}).is_valid()


def test_a_diary_time_typed_as_the_message_shows_it_is_read() -> None:
    # The "invalid" message gives 21/03/2027 09:30 as its example: a browser without a date
    # picker shows a plain box, and that is what the patient then types.
    earlier = timezone.localtime() - timedelta(days=1)
    form = DiaryForm({"pain": "4", "recorded_at": earlier.strftime("%d/%m/%Y %H:%M")})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["recorded_at"].strftime("%d/%m %H:%M") == earlier.strftime(
        "%d/%m %H:%M"
    )


V2_SAFETY = FULL_V2.section("safety")
WEEKS_MESSAGE = "Please enter the number of weeks as a whole number from 1 to 42, for example 12."


@pytest.mark.parametrize(
    "typed", ["500", "43", "0", "-1", "2.5", "12 weeks", "9" * 5000, "1e3", "\u00bd"]
)
def test_pregnancy_weeks_outside_1_to_42_are_refused_kindly(typed: str) -> None:
    assert V2_SAFETY is not None
    problems = errors(V2_SAFETY, {"safety": ["pregnant"], "pregnancy_weeks": typed})
    assert problems == {"pregnancy_weeks": [WEEKS_MESSAGE]}


@pytest.mark.parametrize(
    ("typed", "weeks"), [("1", 1), ("42", 42), (" 30 ", 30), ("\u0663\u0660", 30)]
)
def test_pregnancy_weeks_from_1_to_42_are_kept(typed: str, weeks: int) -> None:
    assert V2_SAFETY is not None
    form = section_form(V2_SAFETY, {"safety": ["pregnant"], "pregnancy_weeks": typed}, bound=True)
    assert form.is_valid(), form.errors
    assert form.typed_answers()["pregnancy_weeks"] == weeks


def test_pregnancy_weeks_may_be_left_empty() -> None:
    assert V2_SAFETY is not None
    form = section_form(V2_SAFETY, {"safety": ["pregnant"], "pregnancy_weeks": ""}, bound=True)
    assert form.is_valid(), form.errors
    assert "pregnancy_weeks" not in form.typed_answers()


VALUE = st.one_of(
    st.text(max_size=30),
    st.lists(st.text(max_size=12), max_size=4),
    st.sampled_from(["yes", "no", "on", "", "0", "10", "11", "-1", "none", "other", "<script>"]),
)


@override_settings(USE_I18N=False)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.dictionaries(
        st.sampled_from([*sorted(FULL_V1.questions_by_key), "junk"]), VALUE, max_size=25
    )
)
def test_random_form_values_never_crash_and_valid_ones_are_typed(data: dict[str, Any]) -> None:
    for questionnaire in (FULL_V1, SHORT_V1):
        result = validate_all(questionnaire, data)
        for form in result.problems:
            assert form.errors  # every problem names at least one field or rule
        for key, value in result.answers.items():
            question = questionnaire.questions_by_key[key]
            if question.widget == "scale":
                assert isinstance(value, int) and 0 <= value <= 10
            elif question.widget in ("yesno", "consent"):
                assert isinstance(value, bool)
            elif question.widget == "multi":
                assert isinstance(value, list)
                assert set(value) <= {c for c, _ in question.choices}
            else:
                assert isinstance(value, str) and len(value) <= question.max_length
