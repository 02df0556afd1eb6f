"""The free-text screen, table-driven: tests/intake/red_flag_phrase_cases.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from intake import phrases
from intake.triage import REASON_TEXT, Level, phrase_table, screen_text

CASES = yaml.safe_load(
    (Path(__file__).with_name("red_flag_phrase_cases.yaml")).read_text(encoding="utf-8")
)["cases"]


def test_the_table_is_big_enough_and_has_both_kinds() -> None:
    assert len(CASES) >= 150
    negatives = [c for c in CASES if c[1] == "none"]
    assert len(negatives) >= 40 and len(CASES) - len(negatives) >= 110


@pytest.mark.parametrize(("text", "level", "hazard"), CASES, ids=[c[0][:40] for c in CASES])
def test_phrase_table(text: str, level: str, hazard: str) -> None:
    found = screen_text(text)
    if level == "none":
        assert found.found == (), found
        return
    assert found.level == Level(level), found
    assert hazard in found.reasons, found


def test_every_hazard_in_the_phrase_file_has_patient_words() -> None:
    hazards = {p.hazard for p in phrase_table().phrases}
    assert hazards <= REASON_TEXT.keys()
    assert all(REASON_TEXT[h] and "<" not in REASON_TEXT[h] for h in hazards)


def test_a_ten_thousand_character_note_is_read_to_the_end() -> None:
    filler = "My back is a bit stiff in the mornings. " * 260
    found = screen_text(filler[:9_950] + " I wet myself.")
    assert found.level == Level.EMERGENCY


def test_only_short_plainly_fine_notes_are_cleared() -> None:
    assert screen_text("Feeling great, thanks!").cleared
    assert screen_text("").cleared
    for unclear in ("not great", "👍", "hmm", "Me duele la espalda", "a bit sore"):
        assert not screen_text(unclear).cleared, unclear


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_screened_without_crashing(text: str) -> None:
    found = screen_text(text)
    assert all(h in REASON_TEXT for h in found.reasons)
    assert not (found.cleared and found.found)


def test_the_phrase_file_rejects_unquoted_yes_and_no() -> None:
    with pytest.raises(ValueError, match="Quote"):
        phrases.load({"hazards": {}, "negation": {"negators": [False]}})
