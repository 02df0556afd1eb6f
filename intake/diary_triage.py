"""A pain diary note read for red flags, as the questionnaire's and the check-in's words are.

The diary page tells patients their notes are read before visits; a warning sign written there
("numb between my legs and can't pee") must not wait for the next visit. A hit pauses booking
and holds treatment (a flag at its level), alerts the team (emergency and urgent ones at once:
``intake.tasks.hand_off_alert``), and the diary shows the patient what to do now
(``intake:diary_advice``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction

from intake.diary_entries import diary_add, diary_edit
from intake.models import DiaryEntry
from intake.services import apply_outcome, known_history
from intake.triage import (
    Level,
    Outcome,
    highest,
    ordered_reasons,
    raised_together,
    screen_text,
)

DIARY_ALERT_KIND = "diary_red_flag"
# Stored in plain text, like every alert summary and flag reason: they never name a symptom.
DIARY_SUMMARY = {
    Level.EMERGENCY: "Emergency signs written in the pain diary",
    Level.URGENT: "Signs needing same-day care written in the pain diary",
    Level.REVIEW: "A pain diary note needs a practitioner's review before more treatment",
}
DIARY_FLAG_REASON = {
    Level.EMERGENCY: "Emergency signs in a pain diary note: told to call an ambulance or go to A&E",
    Level.URGENT: "Signs in a pain diary note needing same-day care: told to call their GP or "
    "the urgent advice line today; call them back today",
    Level.REVIEW: "A pain diary note needs a practitioner's review before any treatment",
}


def diary_note_outcome(note: str, *, known: tuple[str, ...] = ()) -> Outcome:
    """What a diary note leads to: nothing, or its highest red flag's level, reasons and
    actions (text the screen cannot read is review, never fine). ``known`` is the intake on
    record (``known_history``): a fall in thin bones or on a blood thinner counts as one."""
    found = dict(screen_text(note).found) if note.strip() else {}
    found = raised_together(found, known=known)
    level = highest(found.values())
    if level is None:
        return Outcome()
    return Outcome(
        urgent_advice=level in (Level.EMERGENCY, Level.URGENT),
        pause_booking=True,
        flags=(level.value,),
        alerts=((level.value, DIARY_ALERT_KIND, DIARY_SUMMARY[level]),),
        level=level,
        reasons=ordered_reasons(found, found),
        safety_net=True,
    )


def diary_entry_outcome(entry: DiaryEntry) -> Outcome:
    """A diary entry's note read against the patient's intake on record."""
    return diary_note_outcome(entry.note, known=known_history(entry.patient))


def act_on_diary_note(entry: DiaryEntry) -> Outcome:
    """Raise the flag and alert a diary entry's note calls for, once per entry and level (an
    edit that makes it more serious raises again); returns the outcome for the page."""
    outcome = diary_entry_outcome(entry)
    if outcome.level is not None:
        apply_outcome(
            patient=entry.patient,
            outcome=outcome,
            source_key=f"diary:{entry.pk}:{outcome.level.value}",
            flag_reasons=DIARY_FLAG_REASON,
        )
    return outcome


def diary_add_read(**fields: Any) -> tuple[DiaryEntry, Outcome]:
    """``intake.diary_entries.diary_add`` (the patient's own score and note), with its note acted
    on in the same transaction."""
    with transaction.atomic():
        entry = diary_add(**fields)
        return entry, act_on_diary_note(entry)


def diary_edit_read(*, now: datetime | None = None, **fields: Any) -> tuple[DiaryEntry, Outcome]:
    """``intake.diary_entries.diary_edit``, with the corrected note acted on in the same
    transaction."""
    with transaction.atomic():
        entry = diary_edit(now=now, **fields)
        return entry, act_on_diary_note(entry)
