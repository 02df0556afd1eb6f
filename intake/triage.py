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


# --- Check-in rules (follow-up issue) -----------------------------------------------------
