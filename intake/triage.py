"""Pure rules: answers in, outcomes out. No database, no clock, no I/O.

The intake rules and the check-in (soreness) rules live here side by side,
and both use the one red-flag screen below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The back-pain red-flag screen (DOMAIN.md): any "yes" means urgent care, never reassurance.
RED_FLAGS: tuple[tuple[str, str], ...] = (
    ("saddle_numbness", "Numbness or tingling around your genitals, bottom or inner thighs"),
    ("bladder_bowel", "New trouble controlling your bladder or bowel, or passing urine"),
    ("leg_weakness", "Weakness in one or both legs that is getting worse"),
    ("fever", "A fever or feeling hot and shivery together with your back pain"),
    ("weight_loss", "Weight loss you cannot explain"),
    ("cancer_history", "Cancer now or in the past"),
    ("trauma", "Your pain started after a fall, accident or other significant injury"),
)
RED_FLAG_KEYS = frozenset(key for key, _ in RED_FLAGS)


def red_flags_in(answers: dict[str, object]) -> list[str]:
    """The red-flag keys answered yes, in screen order (unknown keys are ignored)."""
    return [key for key, _ in RED_FLAGS if answers.get(key) is True]


@dataclass(frozen=True)
class Outcome:
    """What the portal does with a set of answers."""

    urgent_advice: bool = False
    # (level, kind, summary) for the practitioner(s).
    alerts: tuple[tuple[str, str, str], ...] = ()
    # Flag kinds to raise on the patient (see intake.models.FlagKind).
    flags: tuple[str, ...] = ()
    pause_booking: bool = False
    reassure: bool = False
    advise_gp: bool = False
    recheck: bool = False
    notes: tuple[str, ...] = field(default=())


# --- Intake rules (intake issue) ----------------------------------------------------------

INTAKE_RED_FLAG = "intake_red_flag"

# What changes treatment, in the order a practitioner must see it: (key, what to say).
# Each is read from the typed answers by ``cautions`` below.
CAUTION_TEXT: dict[str, str] = {
    "anticoagulants": "Takes blood thinners: bleeding and bruising risk",
    "bleeding_disorder": "Bleeding or clotting disorder, or bruises easily",
    "pregnant": "Is or might be pregnant",
    "implant": "Pacemaker or other implanted electrical device: no electro-acupuncture",
    "needle_fear": "Frightened of needles",
    "bad_reaction": "Felt worse for several days after acupuncture before",
    "epilepsy_fainting": "Epilepsy or has fainted before: treat lying down",
    "metal_allergy": "Metal allergy",
    "immune": "Weakened immune system: infection risk",
    "diabetes": "Diabetes: check skin and healing",
    "opioids": "Takes strong painkillers (opioids)",
    "steroids": "Takes steroids",
}


def _ticked(answers: dict[str, object], key: str) -> set[str]:
    value = answers.get(key)
    return {str(v) for v in value} if isinstance(value, list) else set()


def cautions(answers: dict[str, object]) -> list[str]:
    """Keys of CAUTION_TEXT that apply, most treatment-changing first."""
    present = _ticked(answers, "safety") | _ticked(answers, "medication_flags")
    if answers.get("had_acupuncture") is True and answers.get("reaction") == "worse":
        present.add("bad_reaction")
    return [key for key in CAUTION_TEXT if key in present]


def intake_outcome(answers: dict[str, object]) -> Outcome:
    """What a submitted intake leads to.

    Any red flag: urgent advice to the patient, online treatment booking paused and an
    urgent alert to every practitioner; never reassurance. A bad reaction to acupuncture
    before: a standing "treat gently" flag for whoever treats them first.
    """
    flags: list[str] = []
    alerts: list[tuple[str, str, str]] = []
    notes = tuple(CAUTION_TEXT[key] for key in cautions(answers))
    red = red_flags_in(answers)
    if red:
        flags.append("red_flag")
        count = "a red-flag question" if len(red) == 1 else f"{len(red)} red-flag questions"
        # The alert's summary is stored in plain text, so it names no symptom.
        alerts.append(
            ("urgent", INTAKE_RED_FLAG, f"Answered yes to {count} in the intake questionnaire")
        )
    if "bad_reaction" in cautions(answers):
        flags.append("treat_gently")
    return Outcome(
        urgent_advice=bool(red),
        alerts=tuple(alerts),
        flags=tuple(flags),
        pause_booking=bool(red),
        advise_gp=bool(red),
        notes=notes,
    )


# --- Check-in rules (follow-up issue) -----------------------------------------------------

COMPARISONS: tuple[tuple[str, str], ...] = (
    ("much_better", "Much better"),
    ("better", "Better"),
    ("same", "About the same"),
    ("worse", "Worse"),
    ("much_worse", "Much worse"),
)
WORSE = frozenset({"worse", "much_worse"})
NOT_BETTER = frozenset({"same", "worse", "much_worse"})
# Pain at or above this (0-10) that stays within a point for days needs a GP.
HIGH_PAIN = 7
# Early treatments often leave people sorer for two or three days: that is expected.
EARLY_TREATMENTS = 2
# "No improvement across three or more treatments" asks for a review of the course.
REVIEW_AFTER = 3


@dataclass(frozen=True)
class CheckinFacts:
    """A check-in answer with the history the rules need; built by the follow-up service."""

    stage: str  # "checkin" (48 hours after) or "recheck" (around day 5)
    comparison: str  # one of COMPARISONS, against before the visit
    pain_now: int  # 0-10
    treatment_number: int = 1  # 1 = the patient's first treatment
    red_flags: tuple[str, ...] = ()
    wants_call: bool = False
    # 48-hour comparisons after the patient's earlier treatments, oldest first.
    earlier_comparisons: tuple[str, ...] = ()
    # One pain score per earlier day over the last week (diary, check-ins), oldest first.
    earlier_daily_pain: tuple[int, ...] = ()


def _red_flag_rule(facts: CheckinFacts) -> Outcome:
    flags = [key for key in facts.red_flags if key in RED_FLAG_KEYS]
    if not flags:
        return Outcome()
    count = "a red-flag question" if len(flags) == 1 else f"{len(flags)} red-flag questions"
    return Outcome(
        urgent_advice=True,
        pause_booking=True,
        flags=("red_flag",),
        # Alert summaries are stored in plain text, so they name no symptom.
        alerts=(("urgent", "checkin_red_flag", f"Answered yes to {count} in a check-in"),),
        notes=("red_flag",),
    )


def _early_worse_rule(facts: CheckinFacts) -> Outcome:
    early = facts.treatment_number <= EARLY_TREATMENTS
    if facts.stage != "checkin" or facts.comparison not in WORSE or not early:
        return Outcome()
    return Outcome(
        reassure=True,
        recheck=True,
        alerts=(
            (
                "routine",
                "checkin_worse_early",
                f"Worse 48 hours after treatment {facts.treatment_number}; re-check booked",
            ),
        ),
        notes=("early_worse",),
    )


def _persistent_pain(facts: CheckinFacts) -> bool:
    earlier = facts.earlier_daily_pain[-2:]
    return (
        facts.pain_now >= HIGH_PAIN
        and len(earlier) == 2
        and all(p >= HIGH_PAIN and abs(p - facts.pain_now) <= 1 for p in earlier)
    )


def _still_worse_rule(facts: CheckinFacts) -> Outcome:
    if facts.stage == "recheck" and facts.comparison in WORSE:
        summary, kind = "Still worse at the re-check", "recheck_still_worse"
    elif _persistent_pain(facts):
        summary, kind = f"Pain at {facts.pain_now}/10 for several days", "pain_persistent"
    else:
        return Outcome()
    return Outcome(advise_gp=True, alerts=(("urgent", kind, summary),), notes=("advise_gp",))


def _gentler_rule(facts: CheckinFacts) -> Outcome:
    if facts.stage != "checkin" or facts.comparison not in WORSE:
        return Outcome()
    later = facts.treatment_number > EARLY_TREATMENTS
    twice = bool(facts.earlier_comparisons) and facts.earlier_comparisons[-1] in WORSE
    if not (later or twice):
        return Outcome()
    why = "two treatments in a row" if twice else f"treatment {facts.treatment_number}"
    return Outcome(
        flags=("treat_gently",),
        alerts=(("routine", "checkin_worse", f"Worse after {why}: treat more gently"),),
        notes=("treat_gently",),
    )


def _review_rule(facts: CheckinFacts) -> Outcome:
    if facts.stage != "checkin":
        return Outcome()
    recent = (*facts.earlier_comparisons, facts.comparison)[-REVIEW_AFTER:]
    if len(recent) < REVIEW_AFTER or not all(c in NOT_BETTER for c in recent):
        return Outcome()
    return Outcome(flags=("review_course",), notes=("review_course",))


def _call_rule(facts: CheckinFacts) -> Outcome:
    if not facts.wants_call:
        return Outcome()
    urgent = facts.comparison in WORSE or bool(facts.red_flags)
    return Outcome(
        alerts=(
            (
                # A call asked for is returned the same clinic day, never left for the digest.
                "urgent" if urgent else "today",
                "call_requested",
                "Asked for a call" + (" (feeling worse)" if urgent else ""),
            ),
        ),
        notes=("call_requested",),
    )


CHECKIN_RULES = (
    _red_flag_rule,
    _early_worse_rule,
    _still_worse_rule,
    _gentler_rule,
    _review_rule,
    _call_rule,
)


def checkin_outcome(facts: CheckinFacts) -> Outcome:
    """Combine every check-in rule: flags and alerts add up; urgent care overrides reassurance."""
    parts = [rule(facts) for rule in CHECKIN_RULES]
    urgent = any(p.urgent_advice for p in parts)
    advise_gp = any(p.advise_gp for p in parts)
    flags: list[str] = []
    for p in parts:
        flags += [f for f in p.flags if f not in flags]
    return Outcome(
        urgent_advice=urgent,
        alerts=tuple(a for p in parts for a in p.alerts),
        flags=tuple(flags),
        pause_booking=any(p.pause_booking for p in parts),
        # Never reassure someone told to seek urgent care or to see their GP.
        reassure=any(p.reassure for p in parts) and not (urgent or advise_gp),
        advise_gp=advise_gp and not urgent,
        recheck=any(p.recheck for p in parts) and not urgent,
        notes=tuple(n for p in parts for n in p.notes),
    )
