"""intake.triage check-in rules: one test per rule, then properties over every answer."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from intake.checkin_triage import CHECKIN_SIGNS, COMPARISONS, CheckinFacts, checkin_outcome
from intake.models import AlertLevel
from intake.triage import HAZARD_LEVEL, Level

COMPARISON_KEYS = [key for key, _ in COMPARISONS]


def facts(**kwargs: object) -> CheckinFacts:
    base: dict[str, object] = {"stage": "checkin", "comparison": "same", "pain_now": 4}
    base.update(kwargs)
    return CheckinFacts(**base)  # type: ignore[arg-type]


def alert_kinds(outcome: object) -> dict[str, str]:
    return {kind: level for level, kind, _ in outcome.alerts}  # type: ignore[attr-defined]


# --- one test per rule --------------------------------------------------------------------


def test_better_with_nothing_else_needs_nothing() -> None:
    outcome = checkin_outcome(facts(comparison="better", pain_now=3))
    assert outcome.alerts == () and outcome.flags == ()
    assert not (outcome.urgent_advice or outcome.reassure or outcome.recheck or outcome.advise_gp)


def test_a_ticked_emergency_sign_means_urgent_advice_an_emergency_alert_and_a_pause() -> None:
    outcome = checkin_outcome(facts(comparison="better", red_flags=("bladder_bowel",)))
    assert outcome.urgent_advice and outcome.level == Level.EMERGENCY
    assert alert_kinds(outcome) == {"checkin_red_flag": "emergency"}
    assert outcome.flags == ("emergency",)
    assert outcome.pause_booking and outcome.safety_net
    assert not outcome.reassure


def test_breathlessness_after_needling_is_an_emergency() -> None:
    outcome = checkin_outcome(facts(red_flags=("breathless_chest",)))
    assert alert_kinds(outcome) == {"checkin_red_flag": "emergency"}
    written = checkin_outcome(
        facts(note="Since the needles in my upper back I can't catch my breath")
    )
    assert alert_kinds(written)["checkin_red_flag"] == "emergency"
    assert written.reasons == ("breathless_chest",)


def test_a_red_flag_overrides_the_early_soreness_reassurance() -> None:
    outcome = checkin_outcome(facts(comparison="worse", treatment_number=1, red_flags=("fever",)))
    assert outcome.urgent_advice and outcome.level == Level.URGENT
    assert not outcome.reassure and not outcome.recheck


def test_worse_after_the_first_or_second_treatment_reassures_and_schedules_a_recheck() -> None:
    for number in (1, 2):
        outcome = checkin_outcome(facts(comparison="worse", treatment_number=number))
        assert outcome.reassure and outcome.recheck
        assert alert_kinds(outcome) == {"checkin_worse_early": "routine"}
        assert outcome.flags == ()


def test_much_worse_or_pain_8_gets_a_same_day_call_never_reassurance() -> None:
    for answers in (
        {"comparison": "much_worse", "pain_now": 5},
        {"comparison": "worse", "pain_now": 8},
    ):
        outcome = checkin_outcome(facts(treatment_number=1, **answers))
        assert not outcome.reassure and outcome.safety_net
        assert alert_kinds(outcome)["checkin_severe_pain"] == "today"


def test_a_note_nobody_has_read_is_never_reassured() -> None:
    outcome = checkin_outcome(facts(comparison="worse", note="hmm, not sure about this"))
    assert not outcome.reassure and outcome.safety_net
    assert alert_kinds(outcome)["checkin_note"] == "today"
    fine = checkin_outcome(facts(comparison="worse", note="Feeling fine, thanks"))
    assert fine.reassure and "checkin_note" not in alert_kinds(fine)


def test_an_old_cancer_already_known_does_not_raise_again() -> None:
    known = facts(note="my old cancer", known_reasons=("cancer_history",))
    assert "checkin_red_flag" not in alert_kinds(checkin_outcome(known))
    new = checkin_outcome(facts(note="my old cancer"))
    assert alert_kinds(new)["checkin_red_flag"] == "review" and not new.urgent_advice


def test_new_night_pain_with_a_past_cancer_known_from_the_intake_is_urgent() -> None:
    note = "the pain wakes me every night now"
    outcome = checkin_outcome(facts(note=note, known_reasons=("cancer_history",)))
    assert outcome.level == Level.URGENT and outcome.urgent_advice and not outcome.reassure
    assert checkin_outcome(facts(note=note)).level == Level.REVIEW
    # Both already known from the intake (acted on then): nothing raised again.
    again = facts(note=note, known_reasons=("cancer_history", "night_pain"))
    assert checkin_outcome(again).level is None


def test_a_fall_since_the_visit_in_thin_bones_known_from_the_intake_is_urgent() -> None:
    note = "I fell down the stairs yesterday"
    assert checkin_outcome(facts(note=note, known_reasons=("osteoporosis",))).level == Level.URGENT
    assert checkin_outcome(facts(note=note)).level == Level.REVIEW


def test_pain_as_high_at_the_next_check_in_after_a_rise_advises_gp() -> None:
    # Most patients keep no diary: check-ins a week apart are the only scores there are.
    after_rise = {"earlier_comparisons": ("worse",), "earlier_checkin_pain": (7,)}
    outcome = checkin_outcome(facts(comparison="same", pain_now=7, **after_rise))
    assert outcome.advise_gp and not outcome.reassure
    assert alert_kinds(outcome)["pain_persistent"] == "urgent"
    assert not checkin_outcome(facts(comparison="better", pain_now=7, **after_rise)).advise_gp
    assert not checkin_outcome(facts(comparison="same", pain_now=5, **after_rise)).advise_gp
    eased = {"earlier_comparisons": ("worse",), "earlier_checkin_pain": (8,)}
    assert not checkin_outcome(facts(comparison="same", pain_now=7, **eased)).advise_gp
    no_rise = {"earlier_comparisons": ("same",), "earlier_checkin_pain": (7,)}
    assert not checkin_outcome(facts(comparison="same", pain_now=7, **no_rise)).advise_gp


def test_still_worse_at_the_recheck_advises_gp_and_alerts() -> None:
    outcome = checkin_outcome(facts(stage="recheck", comparison="worse", treatment_number=1))
    assert outcome.advise_gp and not outcome.reassure and not outcome.recheck
    assert alert_kinds(outcome) == {"recheck_still_worse": "urgent"}


def test_pain_at_the_same_high_level_for_days_advises_gp() -> None:
    outcome = checkin_outcome(facts(pain_now=8, earlier_daily_pain=(8, 7)))
    assert outcome.advise_gp
    assert alert_kinds(outcome) == {"pain_persistent": "urgent", "checkin_severe_pain": "today"}
    # One earlier day is not "days"; falling pain is not "the same".
    assert not checkin_outcome(facts(pain_now=8, earlier_daily_pain=(8,))).advise_gp
    assert not checkin_outcome(facts(pain_now=7, earlier_daily_pain=(9, 9))).advise_gp


def test_worse_after_a_third_treatment_flags_treat_gently() -> None:
    outcome = checkin_outcome(facts(comparison="worse", treatment_number=3))
    assert outcome.flags == ("treat_gently",)
    assert alert_kinds(outcome) == {"checkin_worse": "routine"}
    assert not outcome.reassure


def test_worse_after_two_treatments_in_a_row_flags_treat_gently() -> None:
    outcome = checkin_outcome(
        facts(comparison="worse", treatment_number=2, earlier_comparisons=("much_worse",))
    )
    assert "treat_gently" in outcome.flags
    assert outcome.reassure and outcome.recheck  # still early: the re-check happens too


def test_no_improvement_over_three_treatments_flags_a_review() -> None:
    outcome = checkin_outcome(
        facts(comparison="same", treatment_number=3, earlier_comparisons=("worse", "same"))
    )
    assert outcome.flags == ("review_course",)
    improving = facts(comparison="same", treatment_number=3, earlier_comparisons=("better", "same"))
    assert checkin_outcome(improving).flags == ()


def test_a_call_request_is_a_same_day_task() -> None:
    assert alert_kinds(checkin_outcome(facts(comparison="better", wants_call=True))) == {
        "call_requested": "today"
    }
    worse = checkin_outcome(facts(comparison="worse", treatment_number=4, wants_call=True))
    assert alert_kinds(worse)["call_requested"] == "today"


def test_unknown_red_flag_keys_are_ignored() -> None:
    assert not checkin_outcome(facts(red_flags=("not_a_flag",))).urgent_advice


# --- properties ----------------------------------------------------------------------------

any_facts = st.builds(
    CheckinFacts,
    stage=st.sampled_from(["checkin", "recheck"]),
    comparison=st.sampled_from(COMPARISON_KEYS),
    pain_now=st.integers(0, 10),
    treatment_number=st.integers(1, 20),
    red_flags=st.lists(st.sampled_from([k for k, _ in CHECKIN_SIGNS]), max_size=3).map(tuple),
    wants_call=st.booleans(),
    earlier_comparisons=st.lists(st.sampled_from(COMPARISON_KEYS), max_size=6).map(tuple),
    earlier_daily_pain=st.lists(st.integers(0, 10), max_size=6).map(tuple),
)


@given(any_facts)
def test_red_flags_always_escalate_and_never_reassure(f: CheckinFacts) -> None:
    outcome = checkin_outcome(f)
    assert outcome.urgent_advice == bool(f.red_flags)  # every check-in sign is urgent or worse
    if f.red_flags:
        assert not outcome.reassure and not outcome.advise_gp
        top = max((HAZARD_LEVEL[k] for k in f.red_flags), key=lambda lv: lv.rank)
        assert outcome.level == top
        assert any(level == top.value for level, _, _ in outcome.alerts)


@given(any_facts)
def test_reassurance_only_for_early_worse_and_never_with_gp_advice(f: CheckinFacts) -> None:
    outcome = checkin_outcome(f)
    if outcome.reassure:
        assert f.comparison in ("worse", "much_worse") and f.treatment_number <= 2
        assert not outcome.advise_gp and not outcome.urgent_advice
    if outcome.recheck:
        assert f.stage == "checkin"


@given(any_facts)
def test_rules_are_pure_and_every_alert_is_well_formed(f: CheckinFacts) -> None:
    first, second = checkin_outcome(f), checkin_outcome(f)
    assert first == second
    kinds = [kind for _, kind, _ in first.alerts]
    assert len(kinds) == len(set(kinds))  # one alert per kind and check-in (the unique key)
    assert all(level in AlertLevel.values for level, _, _ in first.alerts)
    assert len(set(first.flags)) == len(first.flags)


@given(any_facts)
def test_better_without_flags_calls_or_lasting_pain_raises_nothing(f: CheckinFacts) -> None:
    if f.comparison in ("better", "much_better") and not f.red_flags and not f.wants_call:
        outcome = checkin_outcome(f)
        assert outcome.flags == ()
        allowed = {"pain_persistent", "checkin_severe_pain"}
        assert all(kind in allowed for _, kind, _ in outcome.alerts)


def test_much_worse_and_severe_after_a_later_treatment_advises_gp() -> None:
    # Whole patients round 2 (q15): past the expected early reaction, a GP finds out why.
    later = checkin_outcome(facts(comparison="much_worse", pain_now=9, treatment_number=3))
    assert later.advise_gp and not later.reassure
    assert alert_kinds(later)["much_worse_later"] == "urgent"
    early = checkin_outcome(facts(comparison="much_worse", pain_now=9, treatment_number=2))
    assert not early.advise_gp
    assert not checkin_outcome(facts(comparison="worse", pain_now=9, treatment_number=3)).advise_gp
    assert not checkin_outcome(
        facts(comparison="much_worse", pain_now=7, treatment_number=3)
    ).advise_gp


def test_pain_rising_at_three_check_ins_asks_for_gentler_treatment() -> None:
    # Whole patients round 2 (q43): "about the same" each week while the score creeps up.
    rising = checkin_outcome(facts(comparison="same", pain_now=6, earlier_checkin_pain=(4, 5)))
    assert "treat_gently" in rising.flags
    assert alert_kinds(rising)["checkin_rising"] == "routine"
    for flat in ((4, 6), (5, 5), (6,)):
        assert (
            "treat_gently"
            not in checkin_outcome(
                facts(comparison="same", pain_now=6, earlier_checkin_pain=flat)
            ).flags
        )
    better = checkin_outcome(facts(comparison="better", pain_now=6, earlier_checkin_pain=(4, 5)))
    assert "treat_gently" not in better.flags
