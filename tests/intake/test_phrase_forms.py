"""The free-text screen reading form answers: "Numbness: no", "Q: Fever? A: No.", "Numbness?
Yes, in the groin", "Cancer: N/A" (``intake.phrase_words``: the answer belongs to its question)."""

from __future__ import annotations

import pytest

from intake import phrase_words
from intake.triage import Level, screen_text


@pytest.mark.parametrize(
    ("text", "read_as"),
    [
        ("- numbness: no", ["no", "numbness"]),
        ("* Fever? None.", ["no", "fever", "|"]),
        ("1. bladder = normal", ["no", "bladder"]),
        ("bladder: fine, bowels: nil", ["no", "bladder", "no", "bowels"]),
        ("Dizzy? Not really. Numb? No", ["no", "dizzy", "|", "no", "numb"]),
    ],
)
def test_a_forms_no_answer_is_read_as_no_before_its_question(text: str, read_as: list[str]) -> None:
    # Round 11: "- numbness: no" is the patient's "no numbness".
    assert phrase_words.tokens(text) == read_as


@pytest.mark.parametrize(
    "text",
    [
        "- numb groin: yes",
        "bladder: can't empty it",
        "bladder: no control",
        "Did I faint? No idea",
        "temp: 38.9",
    ],
)
def test_a_forms_yes_or_symptom_answer_is_left_as_written(text: str) -> None:
    assert "no" not in phrase_words.tokens(text)[:1]
    assert screen_text(text).found != ()


def test_negated_form_lines_clear_only_their_own_question() -> None:
    assert screen_text("- numbness: no\n- bladder problems: no\n- fever: no").found == ()
    mixed = screen_text("- fever: no\n- numb groin: yes\n- fainted: no")
    assert (mixed.level, mixed.reasons[0]) == (Level.EMERGENCY, "cauda_equina")


def read(text: str) -> str:
    """The words the screen reads in ``text``, joined by spaces (sentence ends as "|")."""
    return " ".join(phrase_words.tokens(text))


def test_a_q_and_a_form_is_read_without_its_markers() -> None:
    # Round 15: "Q: Fever? A: No." is "Fever? No.", a form's "no"; a "yes" is left as written,
    # and an "a:" inside a sentence ("Plan A: ...") is kept.
    assert read("Q: Fever? A: No. Q: Weight loss? A: No.") == "no fever | no weight loss |"
    assert phrase_words.tokens("Plan A: gentle needles")[:2] == ["plan", "a"]
    assert screen_text("Q: Fever? A: No. Q: Bladder/bowel changes? A: No.").found == ()
    assert screen_text("Q: Numb groin? A: yes").level == Level.EMERGENCY


def test_a_slash_between_words_is_read_as_or() -> None:
    # Round 15: "no bladder/bowel changes" carries its "no" on like "no bladder or bowel
    # changes" (it was an emergency through "bowel changes"); "24/7" is left alone.
    assert read("no bladder/bowel changes") == "no bladder or bowel changes"
    assert phrase_words.tokens("pain 24/7") == ["pain", "24", "7"]
    assert screen_text("No numbness/tingling, no bladder/bowel problems.").found == ()
    assert screen_text("numb/tingly bum since yesterday").level == Level.EMERGENCY


def test_a_forms_yes_joins_its_answer_to_the_question() -> None:
    # "Numbness? Yes, in the groin": the "?" no longer cuts the answer's detail off from the
    # question's word, so the two are read as one sentence (a "no" is read as before).
    assert read("Numbness? Yes, in the groin") == "numbness yes in the groin"
    assert phrase_words.tokens("Weakness?\nyes")[:2] == ["weakness", "yes"]
    # Nor does the yes's own full stop, or a yes on the line under its question.
    assert phrase_words.tokens("Weakness? Yes. Both legs")[:3] == ["weakness", "yes", "both"]
    assert phrase_words.tokens("Numbness\nyes - groin") == ["numbness", "yes", "groin"]
    assert screen_text("Weakness? Yes. Both legs, getting worse").level == Level.EMERGENCY
    assert screen_text("Q: Numbness? A: yes in the groin").level == Level.EMERGENCY
    assert screen_text("Numbness? No. Groin fine.").found == ()
    # Only a yes: a question followed by another sentence keeps its end.
    assert "|" in phrase_words.tokens("Is this normal? Yesterday was fine")


def test_a_clinicians_no_answers_a_form_question() -> None:
    # "Saddle numbness: denies" sent a physio writing in shorthand to A&E.
    assert phrase_words.tokens("Saddle numbness: denies")[:3] == ["no", "saddle", "numbness"]
    for text in ("Saddle numbness: denies", "Cancer: N/A", "Bladder/bowel: NAD"):
        assert screen_text(text).found == (), text
    # A dash is not a form's separator: a sentence with one, or a yes after it, is as written.
    assert screen_text("Numb groin - yes").level == Level.EMERGENCY
    assert screen_text("Back pain - no better, and my groin is numb").level == Level.EMERGENCY


@pytest.mark.parametrize(
    "text",
    [
        "> Any numbness around your bottom or genitals?\nNo",
        "> Did you have any of the following: fever, numbness, trouble passing urine?\n"
        "No to all of those",
        "> Any change in bladder or bowel?\nnone of those.\n> How is your pain?\nBetter",
    ],
)
def test_a_quoted_check_in_question_answered_no_is_dropped(text: str) -> None:
    # Round 17: a reply quoting the check-in email answers the clinic's question; the
    # symptoms it lists are not the patient's.
    assert screen_text(text).found == ()


@pytest.mark.parametrize(
    ("text", "level"),
    [
        # Any answer but a bare no keeps the question, its listed symptoms included (an
        # over-escalation kept on purpose: "the fever one" is read with the rest).
        ("> Had fever, numbness or trouble passing urine?\nYes the fever one", "emergency"),
        ("> Any numbness around your bottom?\nNo, but I can't pee", "emergency"),
        # Not quoted: a patient's own question line is left as written.
        ("Is it normal that I can't pee?\nNo idea", "emergency"),
        ("> can't feel my bum, is that normal?\nthe back is worse", "emergency"),
    ],
)
def test_a_quoted_question_with_any_other_answer_is_read_as_written(text: str, level: str) -> None:
    assert screen_text(text).level == Level(level)
