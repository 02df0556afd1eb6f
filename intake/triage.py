"""Pure rules: answers in, outcomes out. No database, no clock, no I/O (the phrase table is
data read once from ``red_flag_phrases.yaml``).

Triage has levels (emergency, urgent, review) rather than one red flag. The intake rules live
here, the check-in rules in ``intake.checkin_triage``; both read ticked answers and free text
through the hazard keys defined here, so one hazard always means one level and one
plain-words reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from functools import cache, lru_cache
from pathlib import Path

import yaml

from intake import phrase_file, phrases


class Level(StrEnum):
    """How soon a person must act, most serious first."""

    EMERGENCY = "emergency"  # call 999 / go to A&E now
    URGENT = "urgent"  # NHS 111 or GP today; the clinic calls back today
    REVIEW = "review"  # a practitioner looks before any treatment

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {Level.EMERGENCY: 3, Level.URGENT: 2, Level.REVIEW: 1}


def rank(level: Level) -> int:
    """How serious ``level`` is, for ``max``: emergency above urgent above review."""
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
    "self_harm": "thoughts of harming yourself or ending your life",
    # Worded for whoever may read the patient's messages at home: names nothing.
    "safeguarding": "something you wrote that a practitioner needs to read",
    "pregnancy": "bleeding, fewer baby movements or your waters breaking in pregnancy: "
    "call your maternity unit now",
    "bleeding": "bleeding or bruising you cannot explain, or coughing up blood",
    "aortic": "a sudden tearing pain going through to your stomach or chest",
    # Held-out round 21: a calf clot after a long journey or time off the feet.
    "dvt": "a swollen, hot, red or tender calf (a possible blood clot)",
    # Drowsy, confused or sick after a fall, whatever was said of the head (NICE CG176: A&E).
    "drowsy_after_fall": "drowsiness, confusion or being sick after a fall or a knock",
    "unclear": "something you wrote that a practitioner needs to read",
}

# The level of each hazard when it is ticked (free-text phrases carry their own level).
HAZARD_LEVEL: dict[str, Level] = {
    "cauda_equina": Level.EMERGENCY,
    "leg_weakness_worsening": Level.EMERGENCY,
    "breathless_chest": Level.EMERGENCY,
    "stroke_signs": Level.EMERGENCY,
    "collapse": Level.EMERGENCY,
    "aortic": Level.EMERGENCY,
    "fainted": Level.URGENT,
    "head_injury": Level.URGENT,
    "fever": Level.URGENT,
    "needle_site_infection": Level.URGENT,
    "new_numbness": Level.URGENT,
    "cord_signs": Level.URGENT,
    "self_harm": Level.URGENT,
    "pregnancy": Level.URGENT,
    "bleeding": Level.URGENT,
    "dvt": Level.URGENT,
    "drowsy_after_fall": Level.EMERGENCY,
    "cancer_history": Level.REVIEW,
    "steroids": Level.REVIEW,
    "immune": Level.REVIEW,
    "drug_injection": Level.REVIEW,
    "trauma": Level.REVIEW,
    "weight_loss": Level.REVIEW,
    "night_pain": Level.REVIEW,
    "osteoporosis": Level.REVIEW,
    "age": Level.REVIEW,
    "safeguarding": Level.REVIEW,
    "unclear": Level.REVIEW,
}

# --- The free-text screen ------------------------------------------------------------------

PHRASE_FILE = Path(__file__).with_name("red_flag_phrases.yaml")


@cache
def phrase_table() -> phrases.PhraseTable:
    """The clinical lead's phrase table, read once."""
    with PHRASE_FILE.open(encoding="utf-8") as f:
        table = phrase_file.load(yaml.safe_load(f))
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
            if hit.cap and rank(Level(hit.cap)) < rank(level):
                level = Level(hit.cap)
            found[hit.hazard] = max(found.get(hit.hazard, level), level, key=rank)
        unreadable = unreadable or not readable
        benign = benign and plainly_fine
    if unreadable and not found:
        found["unclear"] = Level.REVIEW
    cleared = not found and benign
    ordered = sorted(found.items(), key=lambda item: -rank(item[1]))
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


def ordered_reasons(reasons: Iterable[str], levels: Mapping[str, Level]) -> tuple[str, ...]:
    unique = list(dict.fromkeys(reasons))
    return tuple(sorted(unique, key=lambda r: -_RANK[levels.get(r, Level.REVIEW)]))


# --- Intake rules (intake issue) ----------------------------------------------------------

INTAKE_RED_FLAG = "intake_red_flag"
# The alert kind (and check-in note) of "I would like a call": a same-day task.
CALL_REQUESTED = "call_requested"

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
# Pairs that mean more together than apart: a doctor the same day (urgent), not only a
# practitioner's review. A past cancer with night pain or weight loss can be spinal
# metastases (NICE: assess within 24 hours); an injury in thin bones, or after long-term
# steroids, can be a fracture, and on blood thinners a bleed (whole patients round 2: a fall
# at 91 on warfarin). Each alone stays review (an old cancer is not sent to 111).
TOGETHER_URGENT: tuple[tuple[str, frozenset[str]], ...] = (
    ("cancer_history", frozenset({"night_pain", "weight_loss"})),
    ("trauma", frozenset({"osteoporosis", "steroids", "anticoagulants"})),
)
# Cautions (ticked medicines, not hazards) that complete a pair above, at intake and, from
# the intake on record, in later check-in and diary notes.
TOGETHER_CAUTIONS = frozenset({"anticoagulants"})
# A knock to the head on a blood thinner: a bleed in the head may show hours later, so NICE
# (CG176) asks for a scan within 8 hours: A&E, even when the note does not name the medicine
# (whole patients round 3: "banged my head on the cupboard" in the diary, warfarin at intake).
TOGETHER_EMERGENCY: tuple[tuple[str, frozenset[str]], ...] = (
    ("head_injury", frozenset({"anticoagulants"})),
)


def raised_together(
    found: Mapping[str, Level], *, known: Iterable[str] = (), old_injury: bool = False
) -> dict[str, Level]:
    """``found`` with each pair of TOGETHER_URGENT raised to urgent (TOGETHER_EMERGENCY's to
    emergency).

    ``known`` is what the team already has (the intake, at a check-in): a pair counts with one
    side known, but not when both are (already acted on, so not raised again). An
    ``old_injury`` (pain of more than three months at intake) is no new fracture.
    """
    known = set(known)
    present = set(found) | known
    raised = dict(found)
    for first, partners in TOGETHER_URGENT:
        pair = ({first} | partners) & present
        new = {h for h in pair if h in found and h not in known}
        if first not in pair or not partners & pair or not new:
            continue
        if first == "trauma" and old_injury:
            continue
        for hazard in pair & set(found):
            raised[hazard] = max(raised[hazard], Level.URGENT, key=rank)
    for first, partners in TOGETHER_EMERGENCY:
        if first in found and first not in known and partners & present and not old_injury:
            raised[first] = Level.EMERGENCY
    return raised


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
    rule (given ``today``) and the free-text screen, with the pairs of ``raised_together``
    made urgent. Any level pauses treatment booking and
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
    new_pain = answers.get("duration") in NEW_PAIN or "duration" not in answers
    if today is not None:
        age = age_on(answers.get("date_of_birth"), today)
        if age is not None and new_pain and (age < YOUNG or age > OLD):
            levels.setdefault("age", Level.REVIEW)
    for reason, found in screen_text(*free_text(answers)).found:
        # Words never lower what was ticked.
        levels[reason] = max(levels.get(reason, found), found, key=rank)
    on_record = TOGETHER_CAUTIONS.intersection(cautions(answers))
    levels = raised_together(levels, known=on_record, old_injury=not new_pain)
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
        reasons=ordered_reasons(levels, levels),
        safety_net=level is not None,
    )
