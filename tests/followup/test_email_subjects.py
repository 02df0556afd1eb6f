"""A subject line shows on a locked phone and in a shared inbox: the ones a patient gets name
no part of the body and no symptom."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

EMAIL = Path(__file__).resolve().parents[2] / "templates" / "email"
HEALTH_WORDS = re.compile(
    r"\b(back|spine|spinal|disc|neck|leg|legs|bladder|bowel|pain|painful|sore|soreness|ache|"
    r"numb|numbness|tingling|weak|weakness|flag|flags|red flag|needle|needles|sciatica)\b",
    re.IGNORECASE,
)
# The team's alerts ("a patient needs a call back today") go to the team, not to patients.
SUBJECTS = sorted(p for p in EMAIL.glob("*_subject.txt") if not p.name.startswith("followup_alert"))


def test_every_email_has_a_subject_template() -> None:
    assert len(SUBJECTS) >= 15


@pytest.mark.parametrize("path", SUBJECTS, ids=[p.stem for p in SUBJECTS])
def test_no_subject_names_a_body_part_or_symptom(path: Path) -> None:
    assert not HEALTH_WORDS.findall(path.read_text(encoding="utf-8"))
