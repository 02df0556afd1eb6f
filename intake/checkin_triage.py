"""The 48-hour check-in's rules: answers about a treatment in, an ``Outcome`` out.

Pure like ``intake.triage``, whose levels, hazard keys and free-text screen they share, so a
sign at check-in means the same level and plain-words reason as at intake.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from intake.triage import (
    CALL_REQUESTED,
    HAZARD_LEVEL,
    Level,
    Outcome,
    highest,
    ordered_reasons,
    raised_together,
    rank,
    screen_text,
)

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
# Pain scores rising at this many check-ins in a row, never reported better, ask for gentler
# treatment even when each week is "about the same".
RISING_CHECKINS = 3


# Acupuncture's own adverse events and the back-pain red flags, asked at every check-in
# (acute signs only: history such as a past cancer is intake-level and never re-asked).
CHECKIN_SIGNS: tuple[tuple[str, str], ...] = (
    ("breathless_chest", "Short of breath, chest pain, or pain when you breathe in"),
    (
        "cauda_equina",
        "Numbness around your genitals or bottom, or new trouble passing urine or controlling "
        "your bladder or bowel",
    ),
    ("leg_weakness_worsening", "Weakness in your legs that is getting worse"),
    (
        "stroke_signs",
        "Double vision, slurred speech, a drooping face, sudden falls or bad dizziness",
    ),
    ("fainted", "Fainted or blacked out"),
    ("head_injury", "Hit your head when you fainted or fell"),
    ("needle_site_infection", "A needle spot that is hot, red, swollen, spreading or weeping"),
    ("fever", "A fever, or feeling hot and shivery or generally unwell"),
    ("new_numbness", "New numbness, tingling or weakness in an arm or leg"),
    ("cord_signs", "Clumsy hands, dropping things, or feeling unsteady when you walk"),
)
# Check-in answers stored before the levels, under the version 1 red-flag keys.
LEGACY_SIGNS = {
    "saddle_numbness": "cauda_equina",
    "bladder_bowel": "cauda_equina",
    "leg_weakness": "leg_weakness_worsening",
    "fever": "fever",
    "weight_loss": "weight_loss",
    "cancer_history": "cancer_history",
    "trauma": "trauma",
}
# Pain at or above this (0-10) after a visit, or "much worse", gets a call the same day.
SEVERE_PAIN = 8
CHECKIN_SUMMARY = {
    Level.EMERGENCY: "Emergency signs reported in a check-in",
    Level.URGENT: "Signs needing same-day care reported in a check-in",
    Level.REVIEW: "A check-in needs a practitioner's review before more treatment",
}


@dataclass(frozen=True)
class CheckinFacts:
    """A check-in answer with the history the rules need; built by the follow-up service."""

    stage: str  # "checkin" (48 hours after) or "recheck" (around day 5)
    comparison: str  # one of COMPARISONS, against before the visit
    pain_now: int  # 0-10
    treatment_number: int = 1  # 1 = the patient's first treatment
    # Signs ticked: CHECKIN_SIGNS keys (or the version 1 red-flag keys of older answers).
    red_flags: tuple[str, ...] = ()
    wants_call: bool = False
    # 48-hour comparisons after the patient's earlier treatments, oldest first.
    earlier_comparisons: tuple[str, ...] = ()
    # One pain score per earlier day over the last week (diary, check-ins), oldest first.
    earlier_daily_pain: tuple[int, ...] = ()
    # The pain score of each earlier 48-hour check-in, oldest first (with earlier_comparisons).
    earlier_checkin_pain: tuple[int, ...] = ()
    # What the patient wrote in the check-in's note.
    note: str = ""
    # Review-level reasons the team already knows of (from the intake): not raised again.
    known_reasons: tuple[str, ...] = ()
    # An urgent or emergency flag is still open (a diary note, an earlier answer): the patient
    # was told to get care, so a sore needle spot is not called "common, usually settles".
    open_red_flag: bool = False


def checkin_hazards(facts: CheckinFacts) -> dict[str, Level]:
    """Each hazard in a check-in (ticked or written) and its level."""
    found: dict[str, Level] = {}
    for key in facts.red_flags:
        hazard = LEGACY_SIGNS.get(key, key)
        if hazard in HAZARD_LEVEL:
            level = HAZARD_LEVEL[hazard]
            found[hazard] = max(found.get(hazard, level), level, key=rank)
    for hazard, level in screen_text(facts.note).found:
        found[hazard] = max(found.get(hazard, level), level, key=rank)
    # New night pain with a past cancer the intake told us of, or a fall in thin bones.
    found = raised_together(found, known=facts.known_reasons)
    # A history the team already has (an old cancer) does not raise anything again.
    return {
        h: lv for h, lv in found.items() if not (lv == Level.REVIEW and h in facts.known_reasons)
    }


def _level_rule(facts: CheckinFacts) -> Outcome:
    found = checkin_hazards(facts)
    level = highest(found.values())
    if level is None:
        return Outcome()
    urgent = level in (Level.EMERGENCY, Level.URGENT)
    return Outcome(
        urgent_advice=urgent,
        pause_booking=True,
        flags=(level.value,),
        # Alert summaries are stored in plain text, so they name no symptom.
        alerts=((level.value, "checkin_red_flag", CHECKIN_SUMMARY[level]),),
        notes=("red_flag",) if urgent else ("review",),
        level=level,
        reasons=ordered_reasons(found, found),
        safety_net=True,
    )


def _severity_rule(facts: CheckinFacts) -> Outcome:
    if facts.pain_now < SEVERE_PAIN and facts.comparison != "much_worse":
        return Outcome()
    return Outcome(
        alerts=(
            (
                "today",
                "checkin_severe_pain",
                "Pain 8 or more out of 10, or much worse, after a visit: call today",
            ),
        ),
        notes=("severe_pain",),
        safety_net=True,
    )


def _note_rule(facts: CheckinFacts) -> Outcome:
    # Words nobody has read are never answered with reassurance: a person reads them today.
    if not facts.note.strip() or screen_text(facts.note).cleared:
        return Outcome()
    return Outcome(
        alerts=(("today", "checkin_note", "A check-in note to read today"),),
        notes=("note_unread",),
        safety_net=True,
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


def _high_since_last_checkin(facts: CheckinFacts) -> bool:
    # Most patients keep no diary: a rise at the last check-in that is no lower at this one
    # (neither better) is pain at the same pitch for a week. Easing back towards the usual
    # level (8 then 7 for someone whose pain is always 7) is not.
    if facts.stage != "checkin" or not facts.earlier_checkin_pain or not facts.earlier_comparisons:
        return False
    last = facts.earlier_checkin_pain[-1]
    return (
        facts.comparison in NOT_BETTER
        and facts.earlier_comparisons[-1] in WORSE
        and last >= HIGH_PAIN
        and facts.pain_now >= last
    )


def _much_worse_later(facts: CheckinFacts) -> bool:
    # Whole patients round 2: much worse and severe after a later treatment is no longer the
    # expected early reaction; a GP finds out what is happening (the needles or not).
    return (
        facts.stage == "checkin"
        and facts.comparison == "much_worse"
        and facts.treatment_number > EARLY_TREATMENTS
        and facts.pain_now >= SEVERE_PAIN
    )


def _still_worse_rule(facts: CheckinFacts) -> Outcome:
    if facts.stage == "recheck" and facts.comparison in WORSE:
        summary, kind = "Still worse at the re-check", "recheck_still_worse"
    elif _much_worse_later(facts):
        summary = f"Much worse, {facts.pain_now}/10, after treatment {facts.treatment_number}"
        kind = "much_worse_later"
    elif _persistent_pain(facts):
        summary, kind = f"Pain at {facts.pain_now}/10 for several days", "pain_persistent"
    elif _high_since_last_checkin(facts):
        summary, kind = f"Pain at {facts.pain_now}/10 since the last check-in", "pain_persistent"
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


def _rising_rule(facts: CheckinFacts) -> Outcome:
    # Whole patients round 2: "about the same" each week (against the morning of the visit)
    # while the score creeps up at every check-in (4, 5, 6) is a worsening course.
    scores = (*facts.earlier_checkin_pain[-(RISING_CHECKINS - 1) :], facts.pain_now)
    if (
        facts.stage != "checkin"
        or facts.comparison not in NOT_BETTER
        or len(scores) < RISING_CHECKINS
        or not all(a < b for a, b in pairwise(scores))
    ):
        return Outcome()
    return Outcome(
        flags=("treat_gently",),
        alerts=(
            (
                "routine",
                "checkin_rising",
                f"Pain higher at {RISING_CHECKINS} check-ins in a row: treat more gently",
            ),
        ),
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
    worse = facts.comparison in WORSE or bool(facts.red_flags)
    # A call asked for is a same-day task, never tomorrow's digest.
    return Outcome(
        alerts=(
            (
                "today",
                CALL_REQUESTED,
                "Asked for a call" + (" (feeling worse)" if worse else ""),
            ),
        ),
        notes=(CALL_REQUESTED,),
    )


CHECKIN_RULES = (
    _level_rule,
    _severity_rule,
    _note_rule,
    _early_worse_rule,
    _still_worse_rule,
    _gentler_rule,
    _rising_rule,
    _review_rule,
    _call_rule,
)


def checkin_outcome(facts: CheckinFacts) -> Outcome:
    """Combine every check-in rule: flags and alerts add up; urgent care overrides reassurance,
    and so does anything that puts up the safety net (a level, severe pain, an unread note) or
    an urgent or emergency flag still open."""
    parts = [rule(facts) for rule in CHECKIN_RULES]
    urgent = any(p.urgent_advice for p in parts)
    advise_gp = any(p.advise_gp for p in parts)
    safety_net = any(p.safety_net for p in parts)
    no_reassurance = urgent or advise_gp or safety_net or facts.open_red_flag
    flags: list[str] = []
    for p in parts:
        flags += [f for f in p.flags if f not in flags]
    return Outcome(
        urgent_advice=urgent,
        alerts=tuple(a for p in parts for a in p.alerts),
        flags=tuple(flags),
        pause_booking=any(p.pause_booking for p in parts),
        # Never reassure someone told to seek urgent care (now or still open), to see their GP,
        # or whose words (or pain) nobody has looked at yet.
        reassure=any(p.reassure for p in parts) and not no_reassurance,
        advise_gp=advise_gp and not urgent,
        recheck=any(p.recheck for p in parts) and not urgent,
        notes=tuple(n for p in parts for n in p.notes),
        level=highest(p.level for p in parts),
        reasons=tuple(r for p in parts for r in p.reasons),
        safety_net=safety_net,
    )
