"""Pure rules: answers in, outcomes out. No database, no clock, no I/O (the phrase table is
data read once from ``red_flag_phrases.yaml``).

Triage has levels (emergency, urgent, review) rather than one red flag. The intake rules and
the check-in rules live here side by side; both read ticked answers and free text through
the same hazard keys, so one hazard always means one level and one plain-words reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path

import yaml

from intake import phrases


class Level(StrEnum):
    """How soon a person must act, most serious first."""

    EMERGENCY = "emergency"  # call 999 / go to A&E now
    URGENT = "urgent"  # NHS 111 or GP today; the clinic calls back today
    REVIEW = "review"  # a practitioner looks before any treatment

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Level.EMERGENCY: 3, Level.URGENT: 2, Level.REVIEW: 1}


def _rank(level: Level) -> int:
    return _RANK[level]


def highest(levels: Iterable[Level | str | None]) -> Level | None:
    """The most serious of ``levels`` (None when there is none)."""
    found = [Level(x) for x in levels if x]
    return max(found, key=_RANK.__getitem__) if found else None


# Each hazard the portal screens for, in words a patient understands (emails and pages list
# them). Keys are stable: they are stored on check-ins and named in the phrase table.
REASON_TEXT: dict[str, str] = {
    "cauda_equina": "numbness around your genitals or bottom, or new trouble with your bladder "
    "or bowel (or numbness or weakness in both legs)",
    "leg_weakness_worsening": "weakness in your legs that is getting worse",
    "breathless_chest": "feeling short of breath, chest pain, or pain when you breathe in",
    "stroke_signs": "dizziness, double vision, slurred speech, a drooping face or sudden falls",
    "collapse": "collapsing",
    "fainted": "fainting or blacking out",
    "head_injury": "hitting your head when you fainted or fell",
    "fever": "a fever, feeling hot and shivery, or feeling generally unwell",
    "needle_site_infection": "a needle spot that is hot, red, swollen, spreading or weeping",
    "new_numbness": "new numbness, tingling or weakness",
    "cord_signs": "clumsy hands, dropping things, or feeling unsteady when you walk",
    "cancer_history": "cancer now or in the past",
    "steroids": "taking steroid medicine for a long time",
    "immune": "a weakened immune system",
    "drug_injection": "injecting drugs",
    "trauma": "pain that started after a fall, accident or other injury",
    "weight_loss": "losing weight without trying",
    "night_pain": "pain at night, or pain that nothing eases",
    "osteoporosis": "osteoporosis (thin or brittle bones)",
    "age": "new back pain under the age of 20 or over 50",
    "unclear": "something you wrote that a practitioner needs to read",
}

# The level of each hazard when it is ticked (free-text phrases carry their own level).
HAZARD_LEVEL: dict[str, Level] = {
    "cauda_equina": Level.EMERGENCY,
    "leg_weakness_worsening": Level.EMERGENCY,
    "breathless_chest": Level.EMERGENCY,
    "stroke_signs": Level.EMERGENCY,
    "collapse": Level.EMERGENCY,
    "fainted": Level.URGENT,
    "head_injury": Level.URGENT,
    "fever": Level.URGENT,
    "needle_site_infection": Level.URGENT,
    "new_numbness": Level.URGENT,
    "cord_signs": Level.URGENT,
    "cancer_history": Level.REVIEW,
    "steroids": Level.REVIEW,
    "immune": Level.REVIEW,
    "drug_injection": Level.REVIEW,
    "trauma": Level.REVIEW,
    "weight_loss": Level.REVIEW,
    "night_pain": Level.REVIEW,
    "osteoporosis": Level.REVIEW,
    "age": Level.REVIEW,
    "unclear": Level.REVIEW,
}

# --- The free-text screen ------------------------------------------------------------------

PHRASE_FILE = Path(__file__).with_name("red_flag_phrases.yaml")


@cache
def phrase_table() -> phrases.PhraseTable:
    """The clinical lead's phrase table, read once."""
    with PHRASE_FILE.open(encoding="utf-8") as f:
        table = phrases.load(yaml.safe_load(f))
    unknown = {p.hazard for p in table.phrases} - REASON_TEXT.keys()
    if unknown:
        raise ValueError(f"Phrase table names hazards with no reason text: {sorted(unknown)}")
    return table


@dataclass(frozen=True)
class Screened:
    """What the free-text screen found in one or more answers."""

    # (hazard, level) for each hazard found, most serious first.
    found: tuple[tuple[str, Level], ...] = ()
    # True when the text was short and plainly said all is well (nothing for a person to read).
    cleared: bool = True
    # True when the text is in a language (or script) the screen cannot read.
    unreadable: bool = False

    @property
    def level(self) -> Level | None:
        return highest(level for _, level in self.found)

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(hazard for hazard, _ in self.found)


@lru_cache(maxsize=512)
def _scan_one(text: str) -> tuple[tuple[phrases.Hit, ...], bool, bool]:
    table = phrase_table()
    return (
        tuple(phrases.scan(table, text)),
        phrases.readable(table, text),
        phrases.benign_only(table, text),
    )


def screen_text(*texts: str) -> Screened:
    """Read free text for red-flag language; a hit raises its level, an unsure one review.

    Conservative by design: a negated phrase ("no numbness") is dropped, a hedged one ("not
    sure if it is numbness") becomes review, and text it cannot read is never called fine.
    """
    found: dict[str, Level] = {}
    written = [t for t in texts if t and t.strip()]
    unreadable = False
    benign = True
    for text in written:
        hits, readable, plainly_fine = _scan_one(text)
        for hit in hits:
            level = Level.REVIEW if hit.uncertain else Level(hit.level)
            found[hit.hazard] = max(found.get(hit.hazard, level), level, key=_rank)
        unreadable = unreadable or not readable
        benign = benign and plainly_fine
    if unreadable and not found:
        found["unclear"] = Level.REVIEW
    cleared = not found and benign
    ordered = sorted(found.items(), key=lambda item: -_rank(item[1]))
    return Screened(found=tuple(ordered), cleared=cleared, unreadable=unreadable)


# --- What every set of answers leads to ------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What the portal does with a set of answers."""

    urgent_advice: bool = False
    # (level, kind, summary) for the practitioner(s); level is a Level or "today"/"routine".
    # Summaries are stored in plain text: never a symptom, never a name.
    alerts: tuple[tuple[str, str, str], ...] = ()
    # Flag kinds to raise on the patient (see intake.models.FlagKind).
    flags: tuple[str, ...] = ()
    pause_booking: bool = False
    reassure: bool = False
    advise_gp: bool = False
    recheck: bool = False
    notes: tuple[str, ...] = field(default=())
    level: Level | None = None
    # Hazard keys (REASON_TEXT), most serious first.
    reasons: tuple[str, ...] = ()
    # Show the safety net (what to do if it gets worse) instead of any reassurance.
    safety_net: bool = False

    @property
    def reason_texts(self) -> list[str]:
        return [REASON_TEXT[r] for r in self.reasons if r in REASON_TEXT]


def _ordered(reasons: Iterable[str], levels: Mapping[str, Level]) -> tuple[str, ...]:
    unique = list(dict.fromkeys(reasons))
    return tuple(sorted(unique, key=lambda r: -_RANK[levels.get(r, Level.REVIEW)]))


# --- Intake rules (intake issue) ----------------------------------------------------------

INTAKE_RED_FLAG = "intake_red_flag"

# The back-pain red-flag questions of questionnaire version 1 (kept: old answers render).
RED_FLAGS: tuple[tuple[str, str], ...] = (
    ("saddle_numbness", "Numbness or tingling around your genitals, bottom or inner thighs"),
    ("bladder_bowel", "New trouble controlling your bladder or bowel, or passing urine"),
    ("leg_weakness", "Weakness in one or both legs that is getting worse"),
    ("fever", "A fever or feeling hot and shivery together with your back pain"),
    ("weight_loss", "Weight loss you cannot explain"),
    ("cancer_history", "Cancer now or in the past"),
    ("trauma", "Your pain started after a fall, accident or other significant injury"),
)
# Version 2's yes/no screen: (answer key, question, hazard). Ordered most serious first.
SCREEN_QUESTIONS: tuple[tuple[str, str, str], ...] = (
    (
        "saddle_numbness",
        "Numbness or tingling around your genitals, bottom or inner thighs",
        "cauda_equina",
    ),
    (
        "bladder_bowel",
        "New trouble passing urine or controlling your bladder or bowel, or a change in "
        "sexual feeling",
        "cauda_equina",
    ),
    (
        "leg_weakness",
        "Weakness in one or both legs that is getting worse",
        "leg_weakness_worsening",
    ),
    (
        "neck_manipulation_signs",
        "Since a neck manipulation (for example by a chiropractor or osteopath): dizziness, "
        "double vision, slurred speech or sudden falls",
        "stroke_signs",
    ),
    ("fever", "A fever, or feeling hot and shivery or unwell, with your back pain", "fever"),
    ("new_numbness", "New numbness, tingling or weakness in an arm or leg", "new_numbness"),
    (
        "cord_signs",
        "Clumsy hands (dropping things, trouble with buttons) or feeling unsteady when you walk",
        "cord_signs",
    ),
    ("cancer_history", "Cancer now or in the past, however long ago", "cancer_history"),
    ("weight_loss", "Weight loss you cannot explain", "weight_loss"),
    (
        "trauma",
        "Your pain started after a fall, accident or other significant injury",
        "trauma",
    ),
    ("night_pain", "Pain at night that nothing eases, even lying still", "night_pain"),
    (
        "steroids_long",
        "Steroid tablets (such as prednisolone) for three months or more, now or in the last year",
        "steroids",
    ),
    ("drug_injection", "Have you ever injected drugs?", "drug_injection"),
    ("osteoporosis", "Osteoporosis (thin or brittle bones)", "osteoporosis"),
)
# Every yes/no screen answer, old and new, and the hazard it means.
SCREEN_HAZARD: dict[str, str] = {
    "saddle_numbness": "cauda_equina",
    "bladder_bowel": "cauda_equina",
    "leg_weakness": "leg_weakness_worsening",
    **{key: hazard for key, _, hazard in SCREEN_QUESTIONS},
}
RED_FLAG_KEYS = frozenset(SCREEN_HAZARD)
# Ticked in the needling-safety list, these need a practitioner's review, not just a note.
SAFETY_REVIEW = {"immune": "immune"}
# Durations that make back pain "new" for the age rule.
NEW_PAIN = frozenset({"weeks", "months"})
YOUNG, OLD = 20, 50
# Answers that are names and numbers, never read by the screen.
NOT_FREE_TEXT = frozenset(
    {"phone", "gp_name", "gp_contact", "emergency_name", "emergency_phone", "date_of_birth"}
)


def red_flags_in(answers: Mapping[str, object]) -> list[str]:
    """The yes/no screen keys answered yes (old and new questionnaires), most serious first."""
    keys = [key for key in SCREEN_HAZARD if answers.get(key) is True]
    return sorted(keys, key=lambda k: -_RANK[HAZARD_LEVEL[SCREEN_HAZARD[k]]])


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
    "skin": "Skin problem where needles may go: avoid broken or infected skin",
    "opioids": "Takes strong painkillers (opioids)",
    "steroids": "Takes steroids",
}


def _ticked(answers: Mapping[str, object], key: str) -> set[str]:
    value = answers.get(key)
    return {str(v) for v in value} if isinstance(value, list) else set()


def cautions(answers: Mapping[str, object]) -> list[str]:
    """Keys of CAUTION_TEXT that apply, most treatment-changing first."""
    present = _ticked(answers, "safety") | _ticked(answers, "medication_flags")
    if answers.get("had_acupuncture") is True and answers.get("reaction") == "worse":
        present.add("bad_reaction")
    return [key for key in CAUTION_TEXT if key in present]


def caution_notes(answers: Mapping[str, object]) -> tuple[str, ...]:
    """The cautions in words, with the pregnancy's weeks when given."""
    notes = []
    for key in cautions(answers):
        text = CAUTION_TEXT[key]
        weeks = answers.get("pregnancy_weeks")
        if key == "pregnant" and isinstance(weeks, int):
            text = f"{text} ({weeks} weeks)"
        notes.append(text)
    return tuple(notes)


def age_on(born: object, today: date) -> int | None:
    """Age in whole years on ``today`` from an ISO date of birth (None if unknown)."""
    if not isinstance(born, str):
        return None
    try:
        birth = date.fromisoformat(born)
    except ValueError:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def free_text(answers: Mapping[str, object]) -> list[str]:
    """Every typed answer the screen reads (names and phone numbers left out)."""
    # Single-choice answers are strings too ("years", "sore_short"); none of them is a phrase.
    return [v for k, v in answers.items() if isinstance(v, str) and k not in NOT_FREE_TEXT]


INTAKE_SUMMARY = {
    Level.EMERGENCY: "Emergency signs reported in the intake questionnaire",
    Level.URGENT: "Signs needing same-day care reported in the intake questionnaire",
    Level.REVIEW: "Intake needs a practitioner's review before any treatment",
}


def intake_outcome(answers: Mapping[str, object], *, today: date | None = None) -> Outcome:
    """What a submitted intake leads to.

    Its level is the most serious of the ticked screen, the needling-safety list, the age
    rule (given ``today``) and the free-text screen. Any level pauses treatment booking and
    alerts the team (summary names no symptom); emergency and urgent also advise the patient
    to get care now. A bad reaction to acupuncture before asks whoever treats them to go gently.
    """
    levels: dict[str, Level] = {}
    for key in red_flags_in(answers):
        hazard = SCREEN_HAZARD[key]
        levels[hazard] = HAZARD_LEVEL[hazard]
    for key, hazard in SAFETY_REVIEW.items():
        if key in _ticked(answers, "safety"):
            levels.setdefault(hazard, Level.REVIEW)
    if today is not None:
        age = age_on(answers.get("date_of_birth"), today)
        new_pain = answers.get("duration") in NEW_PAIN or "duration" not in answers
        if age is not None and new_pain and (age < YOUNG or age > OLD):
            levels.setdefault("age", Level.REVIEW)
    for reason, found in screen_text(*free_text(answers)).found:
        # Words never lower what was ticked.
        levels[reason] = max(levels.get(reason, found), found, key=_rank)
    level = highest(levels.values())
    flags: list[str] = []
    alerts: list[tuple[str, str, str]] = []
    if level is not None:
        flags.append(level.value)
        alerts.append((level.value, INTAKE_RED_FLAG, INTAKE_SUMMARY[level]))
    if "bad_reaction" in cautions(answers):
        flags.append("treat_gently")
    urgent = level in (Level.EMERGENCY, Level.URGENT)
    return Outcome(
        urgent_advice=urgent,
        alerts=tuple(alerts),
        flags=tuple(flags),
        pause_booking=level is not None,
        advise_gp=urgent,
        notes=caution_notes(answers),
        level=level,
        reasons=_ordered(levels, levels),
        safety_net=level is not None,
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
    # What the patient wrote in the check-in's note.
    note: str = ""
    # Review-level reasons the team already knows of (from the intake): not raised again.
    known_reasons: tuple[str, ...] = ()


def checkin_hazards(facts: CheckinFacts) -> dict[str, Level]:
    """Each hazard in a check-in (ticked or written) and its level."""
    found: dict[str, Level] = {}
    for key in facts.red_flags:
        hazard = LEGACY_SIGNS.get(key, key)
        if hazard in HAZARD_LEVEL:
            level = HAZARD_LEVEL[hazard]
            found[hazard] = max(found.get(hazard, level), level, key=_rank)
    for hazard, level in screen_text(facts.note).found:
        found[hazard] = max(found.get(hazard, level), level, key=_rank)
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
        reasons=_ordered(found, found),
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
    worse = facts.comparison in WORSE or bool(facts.red_flags)
    # A call asked for is a same-day task, never tomorrow's digest.
    return Outcome(
        alerts=(
            (
                "today",
                "call_requested",
                "Asked for a call" + (" (feeling worse)" if worse else ""),
            ),
        ),
        notes=("call_requested",),
    )


CHECKIN_RULES = (
    _level_rule,
    _severity_rule,
    _note_rule,
    _early_worse_rule,
    _still_worse_rule,
    _gentler_rule,
    _review_rule,
    _call_rule,
)


def checkin_outcome(facts: CheckinFacts) -> Outcome:
    """Combine every check-in rule: flags and alerts add up; urgent care overrides reassurance,
    and so does anything that puts up the safety net (a level, severe pain, an unread note)."""
    parts = [rule(facts) for rule in CHECKIN_RULES]
    urgent = any(p.urgent_advice for p in parts)
    advise_gp = any(p.advise_gp for p in parts)
    safety_net = any(p.safety_net for p in parts)
    flags: list[str] = []
    for p in parts:
        flags += [f for f in p.flags if f not in flags]
    return Outcome(
        urgent_advice=urgent,
        alerts=tuple(a for p in parts for a in p.alerts),
        flags=tuple(flags),
        pause_booking=any(p.pause_booking for p in parts),
        # Never reassure someone told to seek urgent care, to see their GP, or whose words
        # (or pain) nobody has looked at yet.
        reassure=any(p.reassure for p in parts) and not (urgent or advise_gp or safety_net),
        advise_gp=advise_gp and not urgent,
        recheck=any(p.recheck for p in parts) and not urgent,
        notes=tuple(n for p in parts for n in p.notes),
        level=highest(p.level for p in parts),
        reasons=tuple(r for p in parts for r in p.reasons),
        safety_net=safety_net,
    )
