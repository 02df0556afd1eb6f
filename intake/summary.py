"""A submitted response in words, with what changes treatment first.

Practitioners read this before needling: red flags, then the cautions from
``triage.cautions`` (blood thinners, pregnancy, implants, needle fear, bad
reactions...), then the pain picture, then everything else by section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from intake.forms import display_answer
from intake.models import IntakeResponse
from intake.questionnaire import Question, definition
from intake.triage import (
    REASON_TEXT,
    SCREEN_HAZARD,
    Level,
    caution_notes,
    intake_outcome,
    red_flags_in,
)


@dataclass(frozen=True)
class Answer:
    label: str
    text: str
    key: str = ""


@dataclass
class SummarySection:
    title: str
    answers: list[Answer]
    slug: str = ""


@dataclass
class IntakeSummary:
    response: IntakeResponse
    red_flags: list[str]
    cautions: list[str]
    pain: list[Answer]
    sections: list[SummarySection] = field(default_factory=list)
    level: Level | None = None
    # Whether the questionnaire answered asked the needling-safety questions at all (the short
    # one does not, so "no cautions" would claim something nobody asked).
    asked_safety: bool = True

    @property
    def has_red_flag(self) -> bool:
        return bool(self.red_flags)


def answers_by_section(kind: str, version: int, answers: dict[str, object]) -> list[SummarySection]:
    """Every answer in words, grouped as the patient saw them (unknown keys at the end)."""
    questionnaire = definition(kind, version)
    sections: list[SummarySection] = []
    seen: set[str] = set()
    if questionnaire is not None:
        for section in questionnaire.sections:
            shown = [
                Answer(q.label, display_answer(q, answers[q.key]), q.key)
                for q in section.questions
                if q.key in answers
            ]
            seen.update(a.key for a in shown)
            if shown:
                sections.append(SummarySection(section.title, shown, section.slug))
    # Answers to questions this code no longer has (or a version it never had) still show.
    rest = [
        Answer(key.replace("_", " ").capitalize(), display_answer(None, value), key)
        for key, value in answers.items()
        if key not in seen
    ]
    if rest:
        sections.append(SummarySection("Other answers", rest))
    return sections


def _for_team(text: str) -> str:
    # REASON_TEXT speaks to the patient ("your legs"); the team reads it about them.
    return text.replace("your ", "their ").replace("you ", "they ")


def intake_summary(response: IntakeResponse) -> IntakeSummary:
    """The practitioner's view of a submitted response."""
    answers = response.answers or {}
    questionnaire = definition(response.kind, response.version)
    sent = response.submitted_at.date() if response.submitted_at else None
    outcome = intake_outcome(answers, today=sent)
    ticked = red_flags_in(answers)
    labels = (
        {
            key: (q.label.rstrip("?") if (q := questionnaire.questions_by_key.get(key)) else key)
            for key in ticked
        }
        if questionnaire
        else {key: key for key in ticked}
    )
    covered = {SCREEN_HAZARD[key] for key in ticked}
    safety = answers.get("safety")
    ticked_safety = set(safety) if isinstance(safety, list) else set()

    def source(reason: str) -> str:
        if reason == "age":
            return "Age"
        return "Needling safety" if reason in ticked_safety else "In their own words"

    written = [
        f"{source(r)}: {_for_team(REASON_TEXT[r])}"
        for r in outcome.reasons
        if r not in covered and r in REASON_TEXT
    ]
    pain: list[Answer] = []
    for key, label in (
        ("complaint", "Main problem"),
        ("pain_now", "Pain now"),
        ("pain_worst", "At worst"),
        ("pain_best", "At best"),
    ):
        if key in answers:
            question: Question | None = (
                questionnaire.questions_by_key.get(key) if questionnaire else None
            )
            pain.append(Answer(label, display_answer(question, answers[key]), key))
    return IntakeSummary(
        response=response,
        red_flags=[labels[key] for key in ticked] + written,
        cautions=list(caution_notes(answers)),
        pain=pain,
        sections=answers_by_section(response.kind, response.version, answers),
        level=outcome.level,
        asked_safety=questionnaire is None or "safety" in questionnaire.questions_by_key,
    )
