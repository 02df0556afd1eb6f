"""Held-out whole patients: each patient's questionnaire goes through the services the form
uses, then each check-in through the check-in form and service, with their diary between (a
diary entry with a note is read as saved, ``diary_add_read``, and judged as a step); the
outcome at every step is compared with what a careful clinician expected (written before the
rules were read). Each round (``patientsN.yaml``) has its ``test_patientsN.py``.

``PATIENTSN_REPORT=path pytest tests/intake/heldout/test_patientsN.py -k report`` writes the
figures (right, under-escalated, over-escalated) to ``path``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import time_machine
import yaml

from booking.models import Practitioner, Service
from followup.forms import CheckInForm
from followup.models import CheckInStage
from followup.services import checkin_submit
from intake.diary_entries import diary_add
from intake.diary_triage import diary_add_read
from intake.models import Alert, PatientFlag
from intake.questionnaire import FULL, FULL_V2
from intake.services import (
    booking_paused,
    intake_save_draft,
    intake_start,
    intake_submit,
)
from intake.triage import Outcome
from portal.models import User
from tests.booking.factories import visit_at
from tests.factories import UserFactory
from tests.intake.factories import full_answers, raw

HERE = Path(__file__).parent
LADDER = ("fine", "note", "same_day", "review", "urgent", "emergency")
RANK = {name: i for i, name in enumerate(LADDER)}

# The questionnaire is sent on Monday 1 March 2027; treatment n is on the Wednesday n-1 weeks
# after the 3rd, 09:00-10:00, and its 48-hour check-in is answered on the Friday at 10:00.
SENT = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
FIRST_TREATMENT = datetime(2027, 3, 3, 9, 0, tzinfo=UTC)

# The YAML's plain names for the boxes a patient ticks, as the questionnaire asks them.
SCREEN_TICKS = {
    "saddle_numbness": "saddle_numbness",
    "bladder_bowel": "bladder_bowel",
    "leg_weakness": "leg_weakness",
    "fever": "fever",
    "cancer_history": "cancer_history",
    "weight_loss": "weight_loss",
    "trauma": "trauma",
    "night_pain": "night_pain",
    "steroids": "steroids_long",
    "injecting_drugs": "drug_injection",
    "osteoporosis": "osteoporosis",
    "new_numbness": "new_numbness",
    "cord_signs": "cord_signs",
}
SAFETY_TICKS = {
    "immune": "immune",
    "needle_fear": "needle_fear",
    "device": "implant",
    "pregnant": "pregnant",
    "diabetes": "diabetes",
    "bleeding_disorder": "bleeding_disorder",
    "fainter": "epilepsy_fainting",
    "skin": "skin",
    "metal_allergy": "metal_allergy",
}
MEDICATION_TICKS = {"blood_thinners": "anticoagulants", "steroids": "steroids"}
# What a patient taking these would tick in the medication list.
MEDICINE_WORDS = {
    "opioids": ("tramadol", "co-codamol", "codeine", "methadone", "morphine"),
    "anticoagulants": ("apixaban", "warfarin", "rivaroxaban"),
    "steroids": ("prednisolone",),
    "painkillers": ("paracetamol", "ibuprofen", "naproxen"),
}
BACK_DIAGNOSES = {
    "disc degeneration": "disc_degeneration",
    "modic": "modic",
    "scoliosis": "scoliosis",
    "disc bulge": "herniation",
    "sciatica": "sciatica",
}
CHECKIN_TICKS = {"leg_weakness": "leg_weakness_worsening"}


def _duration(words: str) -> str:
    number, unit = re.match(r"(\d+)\s+(\w+)", words).groups()  # type: ignore[union-attr]
    days = int(number) * {"day": 1, "week": 7, "month": 30, "year": 365}[unit.rstrip("s")]
    if days < 42:
        return "weeks"
    if days <= 92:
        return "months"
    if days <= 365:
        return "under_year"
    return "years"


def intake_answers(case: dict[str, Any]) -> dict[str, object]:
    """The patient's words as typed answers to the full questionnaire (version 2)."""
    given = case["intake"]
    ticks = set(given.get("ticks", ()))
    born = date(SENT.year - given["age"], 1, 1)
    answers = full_answers(
        date_of_birth=born.isoformat(),
        complaint=given["complaint"].strip(),
        duration=_duration(given["duration"]),
        pain_now=given["pain_now"],
        pain_worst=given["pain_worst"],
        pain_best=max(0, given["pain_now"] - 2),
        diagnoses=["none"],
        imaging=["none"],
    )
    for plain, key in SCREEN_TICKS.items():
        answers[key] = plain in ticks
    conditions = given.get("conditions", "")
    if conditions and conditions != "none":
        found = [v for k, v in BACK_DIAGNOSES.items() if k in conditions.lower()]
        answers["diagnoses"] = found or ["other"]
        if not found:
            answers["diagnoses_other"] = conditions
        else:
            answers["safety_details"] = conditions
    medication = given.get("medication", "")
    flags = {v for k, v in MEDICATION_TICKS.items() if k in ticks}
    flags |= {flag for flag, words in MEDICINE_WORDS.items() if any(w in medication for w in words)}
    answers["medication_flags"] = sorted(flags) or ["none"]
    if medication:
        answers["medication"] = medication
    safety = sorted(v for k, v in SAFETY_TICKS.items() if k in ticks)
    answers["safety"] = safety or ["none"]
    if "pregnant" in given:
        answers["pregnancy_weeks"] = given["pregnant"]
    if "device" in given:
        answers["safety_details"] = given["device"]
    if "surgery" in given:
        answers["had_surgery"] = True
        answers["surgery"] = ["decompression" if "decompression" in given["surgery"] else "other"]
        answers["surgery_when"] = given["surgery"]
        answers["surgery_helped"] = "partly"
    if "previous_acupuncture" in given:
        words = given["previous_acupuncture"].strip()
        answers["had_acupuncture"] = True
        answers["reaction"] = "worse" if "worse" in words else "fine"
        answers["reaction_details"] = words
    if "worries" in given:
        answers["worries"] = given["worries"]
    return answers


@dataclass
class Step:
    """One step of one patient: what was expected and what the system did."""

    patient: str
    step: str
    expect: dict[str, Any]
    rank: int = 0
    level: str = ""
    reasons: tuple[str, ...] = ()
    what: str = ""
    problems: tuple[str, ...] = ()
    verdict: str = "right"


def _judge(step: Step, outcome: Outcome, gentle_open: bool) -> Step:
    want = step.expect
    under, over = [], []
    if step.rank < RANK[want["min"]]:
        under.append(f"{LADDER[step.rank]} < {want['min']}")
    if step.rank > RANK[want["max"]]:
        over.append(f"{LADDER[step.rank]} > {want['max']}")
    if want.get("reassure") is False and outcome.reassure:
        under.append("reassured")
    if want.get("reassure") is True and not outcome.reassure:
        over.append("not reassured")
    if want.get("gentle") and not gentle_open:
        under.append("no treat-gently flag")
    if want.get("review_course") and "review_course" not in outcome.flags:
        under.append("no review of the course")
    step.problems = tuple(under + over)
    step.verdict = "under" if under else "over" if over else "right"
    return step


def _intake_rank(outcome: Outcome) -> int:
    if outcome.level is not None:
        return RANK[outcome.level.value]
    return RANK["note"] if outcome.notes or "treat_gently" in outcome.flags else RANK["fine"]


def _checkin_rank(outcome: Outcome) -> int:
    if outcome.level is not None:
        return RANK[outcome.level.value]
    if outcome.advise_gp:
        return RANK["review"]
    if outcome.safety_net or any(level == "today" for level, _, _ in outcome.alerts):
        return RANK["same_day"]
    if {"treat_gently", "review_course"} & set(outcome.flags):
        return RANK["note"]
    return RANK["fine"]


def _diary_rank(outcome: Outcome) -> int:
    """A diary note's level is its rung; a note with none changes nothing (fine)."""
    return RANK[outcome.level.value] if outcome.level is not None else RANK["fine"]


def _describe(outcome: Outcome, paused: bool) -> str:
    parts = [outcome.level.value if outcome.level else "no level"]
    parts += [f"{level}:{kind}" for level, kind, _ in outcome.alerts]
    parts += [f"flag:{f}" for f in outcome.flags]
    for name in ("reassure", "advise_gp", "urgent_advice", "safety_net"):
        if getattr(outcome, name):
            parts.append(name)
    if paused:
        parts.append("paused")
    return ", ".join(parts)


def _gentle_open(patient: User) -> bool:
    return PatientFlag.objects.filter(
        patient=patient, kind="treat_gently", cleared_at__isnull=True
    ).exists()


def run_patient(case: dict[str, Any], service: Service, practitioner: Practitioner) -> list[Step]:
    """Send one patient's questionnaire and check-ins through the services; judge each step."""
    patient = UserFactory.create()
    steps = []
    with time_machine.travel(SENT, tick=False):
        draft = intake_start(patient=patient, kind=FULL)
        values = raw(intake_answers(case))
        for section in FULL_V2.sections:
            part = {q.key: values[q.key] for q in section.questions if q.key in values}
            draft = intake_save_draft(response=draft, section=section, raw=part)
        outcome = intake_submit(response=draft, now=SENT).outcome
        paused = booking_paused(patient)
    # The team's side agrees with the outcome: an alert at its level, and a pause.
    if outcome.level is not None:
        assert paused
        assert Alert.objects.filter(patient=patient, level=outcome.level.value).exists()
    step = Step(case["id"], "intake", case["intake"]["expect"], rank=_intake_rank(outcome))
    step.level = outcome.level.value if outcome.level else ""
    step.reasons = outcome.reasons
    step.what = _describe(outcome, paused)
    steps.append(_judge(step, outcome, _gentle_open(patient)))
    for given in case.get("checkins", ()):
        number = given["after"]
        starts = FIRST_TREATMENT + timedelta(weeks=number - 1)
        visit = visit_at(
            patient=patient,
            service=service,
            practitioner=practitioner,
            starts_at=starts,
            status="attended",
        )
        answered = starts + timedelta(days=2, hours=1)
        diary = given.get("diary", ())
        for days_before, item in zip(range(len(diary), 0, -1), diary, strict=True):
            when = answered.replace(hour=18) - timedelta(days=days_before)
            if not isinstance(item, dict):
                with time_machine.travel(when, tick=False):
                    diary_add(patient=patient, pain=item, recorded_at=when)
                continue
            # A diary entry with a note is read as the patient saves it: a step of its own.
            with time_machine.travel(when, tick=False):
                _, noted = diary_add_read(
                    patient=patient, pain=item["pain"], note=item["note"], recorded_at=when
                )
                paused = booking_paused(patient)
            if noted.level is not None:
                assert paused
                assert Alert.objects.filter(patient=patient, kind="diary_red_flag").exists()
            label = f"diary before check-in {number} (day -{days_before})"
            step = Step(case["id"], label, item["expect"], rank=_diary_rank(noted))
            step.level = noted.level.value if noted.level else ""
            step.reasons = noted.reasons
            step.what = _describe(noted, paused)
            steps.append(_judge(step, noted, _gentle_open(patient)))
        data = {
            "comparison": given["compared"],
            "pain_now": str(given["pain"]),
            "needle_site_soreness": "on" if given.get("soreness") else "",
            "red_flags": [CHECKIN_TICKS.get(t, t) for t in given.get("ticks", ())],
            "note": given.get("note", ""),
            "wants_call": "on" if given.get("call") else "",
        }
        form = CheckInForm({k: v for k, v in data.items() if v not in ("", [])})
        assert form.is_valid(), form.errors
        with time_machine.travel(answered, tick=False):
            result = checkin_submit(
                booking=visit, stage=CheckInStage.CHECKIN, answers=form.answers(), now=answered
            )
            paused = booking_paused(patient)
        outcome = result.outcome
        step = Step(case["id"], f"check-in {number}", given["expect"], rank=_checkin_rank(outcome))
        step.level = outcome.level.value if outcome.level else ""
        step.reasons = outcome.reasons
        step.what = _describe(outcome, paused)
        steps.append(_judge(step, outcome, _gentle_open(patient)))
    return steps


def report(steps: list[Step], *, every_step: bool = False) -> str:
    """The figures and every step that was not right (or, ``every_step``, each), one line each."""
    by_patient: dict[str, list[Step]] = {}
    for s in steps:
        by_patient.setdefault(s.patient, []).append(s)
    count = {v: sum(s.verdict == v for s in steps) for v in ("right", "under", "over")}
    all_right = sum(all(s.verdict == "right" for s in p) for p in by_patient.values())
    any_under = sum(any(s.verdict == "under" for s in p) for p in by_patient.values())
    lines = [
        f"patients {len(by_patient)}: all steps right {all_right}, "
        f"with an under-escalated step {any_under}",
        f"steps {len(steps)}: right {count['right']}, under-escalated {count['under']}, "
        f"over-escalated {count['over']}",
        "",
    ]
    for s in steps:
        if s.verdict != "right" or every_step:
            lines.append(
                f"{s.verdict.upper()}: {s.patient} {s.step}: "
                f"want {s.expect['min']}..{s.expect['max']}"
                f" ({'; '.join(s.problems)}); got {s.what}; reasons {', '.join(s.reasons) or '-'}"
            )
    return "\n".join(lines) + "\n"


def load(name: str) -> list[dict[str, Any]]:
    """The patients of round ``name`` (``<name>.yaml`` beside this module)."""
    text = (HERE / f"{name}.yaml").read_text(encoding="utf-8")
    patients: list[dict[str, Any]] = yaml.safe_load(text)["patients"]
    return patients


def wrong_steps(
    case: dict[str, Any],
    service: Service,
    practitioner: Practitioner,
    *,
    known_over: frozenset[str] = frozenset(),
) -> list[str]:
    """The steps of ``case`` that went wrong, described (none when every step is right); a
    patient in ``known_over`` (left over-escalated on purpose, as the round's YAML says) may be
    over-escalated, never under."""
    steps = run_patient(case, service, practitioner)
    allowed = ("right", "over") if case["id"] in known_over else ("right",)
    return [
        f"{s.step}: {s.verdict} ({'; '.join(s.problems)}): {s.what}"
        for s in steps
        if s.verdict not in allowed
    ]


def report_figures(name: str, service: Service, practitioner: Practitioner) -> list[str]:
    """The report's figure lines for round ``name`` as the system runs now; with
    ``<NAME>_REPORT=path`` the report is also written there (``<NAME>_ALL``: every step)."""
    cases = load(name)
    steps = [s for case in cases for s in run_patient(case, service, practitioner)]
    prefix = name.upper()
    text = report(steps, every_step=bool(os.environ.get(f"{prefix}_ALL")))
    if path := os.environ.get(f"{prefix}_REPORT"):
        Path(path).write_text(text, encoding="utf-8")
    return text.splitlines()[:2]


def stated_figures(name: str) -> list[str]:
    """The lines of ``<name>-after.txt``, where the round states its figures."""
    return (HERE / f"{name}-after.txt").read_text(encoding="utf-8").splitlines()
