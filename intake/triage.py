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
