"""The free-text screen, table-driven: tests/intake/red_flag_phrase_cases.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from intake import phrase_file, phrase_find, phrase_words, phrases
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
        phrase_file.load({"hazards": {}, "negation": {"negators": [False]}})


def test_text_speak_negations_and_units_are_read_as_words() -> None:
    assert phrase_words.tokens("i cnt pee")[:3] == ["i", "can", "not"]
    assert phrase_words.tokens("cudnt get there")[:2] == ["cud", "not"]
    assert phrase_words.tokens("lost 8kg, temp 39c") == ["lost", "8", "kg", "temp", "39", "c"]
    assert screen_text("i cnt pee").level == Level.EMERGENCY
    assert screen_text("dropped 8kg in two months").reasons == ("weight_loss",)


def test_scots_negatives_and_dropped_gs_are_read_as_words() -> None:
    # Round 9: "nae feeling", "didnae notice", "me legs are goin".
    assert phrase_words.tokens("nae feeling")[:2] == ["no", "feeling"]
    assert phrase_words.tokens("didnae ken, dinnae")[:5] == ["did", "not", "ken", "do", "not"]
    assert phrase_words.tokens("legs are goin, leakin'") == ["legs", "are", "going", "leaking"]
    # Words that merely end in "in" are left alone.
    assert phrase_words.tokens("again within brain nothin") == [
        "again",
        "within",
        "brain",
        "nothin",
    ]
    assert screen_text("Nae feeling in ma nether regions").level == Level.EMERGENCY
    assert screen_text("I've nae numbness").found == ()


def test_jamaican_patois_negatives_are_read_as_words() -> None:
    # Round 14: "mi cyaan feel mi batty", "mi nuh pass water"; "cyan" the colour is left alone.
    assert phrase_words.tokens("mi cyaan feel")[:4] == ["mi", "can", "not", "feel"]
    assert phrase_words.tokens("mi nuh pass water") == ["mi", "not", "pass", "water"]
    assert phrase_words.tokens("a cyan scarf") == ["a", "cyan", "scarf"]
    assert screen_text("mi nuh pass water whole day").level == Level.EMERGENCY
    assert screen_text("mi nuh have no fever").found == ()


# The real table's "it came back" phrases, for the small test table.
_RETURNING = yaml.safe_load(
    (Path(phrases.__file__).with_name("red_flag_phrases.yaml")).read_text(encoding="utf-8")
)["returning"]


def _table(**extra: object) -> phrases.PhraseTable:
    return phrase_file.load(
        {
            "hazards": {
                "new_numbness": {
                    "level": "urgent",
                    "phrases": ["numb*"],
                    "except": [{"phrase": "numb* ... years", "level": "review"}, "numbing cold"],
                },
                "cauda_equina": {"level": "emergency", "phrases": ["pee myself", "pee ... funny"]},
            },
            "negation": {"negators": ["not", "no"], "fillers": ["a", "my"]},
            **extra,
        }
    )


def test_an_exception_with_a_level_caps_the_hit_and_one_without_cancels_it() -> None:
    table = _table()
    (capped,) = phrases.scan(table, "numb toe for years")
    assert (capped.level, capped.cap) == ("urgent", "review")
    assert phrases.scan(table, "a numbing cold car") == []
    (plain,) = phrases.scan(table, "my toe is numb")
    assert plain.cap == ""
    # Through the real table: old numbness is read by a practitioner, not sent to 111.
    assert screen_text("numbness in my little toe for years").level == Level.REVIEW
    assert screen_text("my toe has gone numb").level == Level.URGENT


@pytest.mark.parametrize(
    "text",
    [
        "numb toe for years and now it is back",
        "numb toe for years, it came back",
        "numb toe for years then it returned",
        "numb toe for years, numbness returned",
        "numb toe for years, back again",
        "numb toe for years, started again",
        "numb toe for years then recurred",
    ],
)
def test_a_return_after_a_softening_exception_lifts_its_cap(text: str) -> None:
    hits = phrases.scan(_table(returning=_RETURNING), text)
    assert hits and all((h.level, h.cap) == ("urgent", "") for h in hits)
    # Without the table's "returning" phrases the old numbness stays capped.
    assert phrases.scan(_table(), text)[0].cap == "review"


@pytest.mark.parametrize(
    "text",
    [
        "numb toe for years, it has not come back",
        "numb toe for years, it did not come back",
        "numb toe for years, the ache came back",
    ],
)
def test_a_negated_or_unrelated_return_keeps_the_cap(text: str) -> None:
    (hit,) = phrases.scan(_table(returning=_RETURNING), text)
    assert hit.cap == "review"


def test_an_exception_level_must_be_a_real_level() -> None:
    with pytest.raises(ValueError, match="Unknown level"):
        phrase_file.load(
            {"hazards": {"x": {"level": "urgent", "except": [{"phrase": "a", "level": "soon"}]}}}
        )


def test_a_negation_inside_a_longer_phrase_does_not_hide_a_hit_before_it() -> None:
    # "pee ... funny" is negated by its inner "not"; "pee myself" before it still counts.
    hits = phrases.scan(_table(), "pee myself lol not funny")
    assert [h.phrase for h in hits] == ["pee myself"]
    assert screen_text("pee'd myself lol not funny tho").level == Level.EMERGENCY


def test_the_not_of_cant_feel_is_a_symptom_not_a_negation_of_what_follows() -> None:
    found = screen_text("cant feel my foot hitting the ground and it slaps")
    assert found.level == Level.EMERGENCY
    assert "leg_weakness_worsening" in found.reasons
    assert screen_text("my foot is not weak").found == ()


def test_every_phrase_is_hit_by_at_least_one_case() -> None:
    # A phrase no case hits is usually broken: a space inside alternatives ("front bottom|lady"
    # is three words) or an exception that swallows it. Add a case that must hit it.
    table = phrase_table()
    hit: set[str] = set()
    for text, _, _ in CASES:
        words = phrase_words.tokens(text, table.emoji)
        hit |= {p.text for p in table.phrases if phrase_find.find(p, words, table.real)}
    assert [p.text for p in table.phrases if p.text not in hit] == []


def test_every_exception_is_hit_by_at_least_one_case() -> None:
    # "back stroke|backstroke|breast stroke" is three words and never matched "breast stroke";
    # "shoulder blade" inside alternatives sent "tingling below my knee" to A&E.
    table = phrase_table()
    hit: set[tuple[str, str]] = set()
    for text, _, _ in CASES:
        words = phrase_words.tokens(text, table.emoji)
        hit |= {
            (hazard, e.text)
            for hazard, excepts in table.exceptions.items()
            for e in excepts
            if phrase_find.find(e, words, table.real, exact=True)
        }
    unhit = [
        (h, e.text) for h, es in table.exceptions.items() for e in es if (h, e.text) not in hit
    ]
    assert unhit == []


def test_a_negated_phrase_hides_only_matches_that_start_on_its_own_words() -> None:
    # "not ... sore ... breath" is negated; "can't catch my breath" inside its gap is not.
    assert screen_text("not really sore, just can't catch my breath").level == Level.EMERGENCY
    # "no tingling" stays negated inside "no tingling ... groin", and "or" carries it on.
    assert screen_text("no tingling or numbness in my groin").found == ()


def test_a_match_starting_on_a_negated_word_is_negated_with_it() -> None:
    # "pain ... breath" begins on the negated "chest pain": it was read as a symptom.
    assert screen_text("no chest pain or shortness of breath").found == ()
    assert screen_text("no double vision or slurred speech").found == ()
    # A symptom of its own after the negated words still counts.
    assert screen_text("no chest pain but it hurts to breathe in").level == Level.EMERGENCY
    assert screen_text("no double vision, but my speech is slurred").level == Level.EMERGENCY


@pytest.mark.parametrize(
    ("text", "level", "hazard"),
    [
        # Round 10: a correction takes the negation back and is read with the negated words.
        (
            "No numbness. Well, actually, there is a bit down below, around my back passage.",
            Level.EMERGENCY,
            "cauda_equina",
        ),
        ("no numbness apart from my left foot since Friday", Level.URGENT, "new_numbness"),
        ("didn't faint, or maybe I did, I woke up on the bathroom floor", None, "collapse"),
    ],
)
def test_a_self_correction_takes_the_negation_back(
    text: str, level: Level | None, hazard: str
) -> None:
    found = screen_text(text)
    assert hazard in found.reasons
    if level is not None:
        assert found.level == level


def test_a_plain_negation_without_a_correction_stays_negated() -> None:
    assert screen_text("No numbness. Back is a bit better.").found == ()
    assert screen_text("no numbness, actually I'm fine").found == ()


def test_a_retraction_after_a_hit_caps_it_at_review() -> None:
    found = screen_text("Had a temperature - no, sorry, that was my grandson, I'm fine.")
    assert found.level == Level.REVIEW
    assert screen_text("Bit numb - no, not numb, just stiff, I got the word wrong.").level == (
        Level.REVIEW
    )
    # A hit after the retraction is not capped.
    assert screen_text("sorry that was my son, but I have a fever too").level == Level.URGENT


def test_no_x_or_y_negates_y_even_when_x_is_not_a_phrase() -> None:
    assert screen_text("no pain or numbness").found == ()
    assert screen_text("No dizziness or double vision").found == ()
    # "or maybe" takes the negation back.
    assert screen_text("no fever or maybe chills").level == Level.URGENT


def test_an_answers_no_does_not_clear_a_phrase_that_starts_with_its_own_not() -> None:
    assert screen_text("No, I haven't been able to pee").level == Level.EMERGENCY
    assert screen_text("bladder fine - actually no, I haven't been able to go since last night")


def test_a_plus_joins_words_side_by_side() -> None:
    table = phrase_file.load(
        {
            "hazards": {
                "leg_weakness_worsening": {
                    "level": "emergency",
                    "phrases": ["legs going"],
                    "except": ["chair + legs"],
                }
            }
        }
    )
    assert phrases.scan(table, "the chair legs going") == []
    assert len(phrases.scan(table, "my chair now, the legs going")) == 1


def test_a_phrase_word_that_fails_later_tries_the_next_candidate() -> None:
    # Round 14: "warm ... then + settled" over "warm and then settled": the first of "then|and"
    # ("and") cannot be followed by "settled", so the matcher goes on to the later "then".
    phrase = phrase_find.Phrase("warm ... then|and + settled", "x", "review")
    words = phrase_words.tokens("warm round the spots and then settled")
    found = phrase_find.find(phrase, words)
    assert [(m.start, m.end) for m in found] == [(0, 7)]
    assert phrase_find.find(phrase, phrase_words.tokens("warm and then it settled")) == []
    # So an exception reaches past an early look-alike: "... so I need to cancel, I'm fine".
    assert screen_text("my husband has a fever so I need to cancel, I'm fine myself").found == ()


def test_a_negated_list_in_a_combination_is_negated_throughout() -> None:
    assert screen_text("A small bruise at one needle spot, not red or hot.").found == ()
    assert screen_text("the needle spot is red and hot").level == Level.URGENT


def test_the_first_word_lookup_finds_what_asking_every_phrase_finds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``FirstWords`` (phrases looked up by the word they start on, kept per word) gives what
    ``find`` gives phrase by phrase, also after it has forgotten what it kept (its limit)."""
    table = phrase_table()
    texts = [c[0] for c in CASES[:300]]
    for text in texts:
        words = phrase_words.tokens(text, table.emoji)
        by_phrase = [m for p in table.phrases for m in phrase_find.find(p, words, table.real)]
        looked_up = table.phrase_index.find(words, table.real)
        key = lambda m: (m.start, m.end, m.phrase.text, m.phrase.hazard)  # noqa: E731
        assert sorted(looked_up, key=key) == sorted(by_phrase, key=key), text
    before = [screen_text(t) for t in texts]
    monkeypatch.setattr(phrase_find.FirstWords, "LIMIT", 5)
    fresh = phrase_find.FirstWords(table.phrases)
    for text in texts[:40]:
        words = phrase_words.tokens(text, table.emoji)
        assert fresh.find(words, table.real) == table.phrase_index.find(words, table.real)
    assert len(fresh._starting) <= 5
    assert [screen_text(t) for t in texts] == before


def test_a_negated_phrase_across_a_gap_hides_only_what_starts_on_its_first_words() -> None:
    # "no tingling ... groin" is negated; "groin is numb" starts after its gap, so it is read.
    assert screen_text("no tingling, wait, my groin is numb").level == Level.EMERGENCY
    # The negator's own words still carry it on ("pain ... breath" starts on "chest pain").
    assert screen_text("no chest pain or shortness of breath").found == ()
    assert screen_text("no double vision or slurred speech").found == ()


def test_a_faint_had_is_a_faint_but_a_faint_ache_is_not() -> None:
    # Round 18: "had a little faint" was cancelled by the adjective's exception ("felt a little
    # faint"); a faint that ends its clause after "had a" is the noun, read as "fainting".
    assert phrase_words.tokens("had a little faint at the gate")[:4] == [
        "had",
        "a",
        "little",
        "fainting",
    ]
    assert screen_text("Had a little faint at the school gate.").level == Level.URGENT
    assert screen_text("I had a bit of a faint.").level == Level.URGENT
    assert "fainting" not in phrase_words.tokens("I had a faint ache in my back")
    assert screen_text("I felt a little faint after the needles").found == ()


def test_a_condition_on_any_of_a_symptom_is_unsure_not_a_hit() -> None:
    # Round 18: "If I had any numbness I'd ring you" repeats the clinic's advice: read by a
    # practitioner (review), never sent to 111; without "any" (or the "if") it is a symptom.
    assert screen_text("If I had any numbness I'd ring you, but there's none.").found == (
        ("new_numbness", Level.REVIEW),
    )
    assert screen_text("If I get any fever I'll call").level == Level.REVIEW
    assert screen_text("I had some numbness in my hand today").level == Level.URGENT
    assert screen_text("If I press my thigh I have no feeling").level == Level.URGENT


def test_a_condition_on_ever_having_a_symptom_is_unsure_not_a_hit() -> None:
    # Round 19: "if I ever get numbness down below" asks about the future, as "if I had any"
    # does: read by a practitioner (review); "ever" outside a condition changes nothing.
    assert screen_text("What should I do if I ever get numbness down below?").level == (
        Level.REVIEW
    )
    assert screen_text("If I ever feel feverish I'll call").level in (None, Level.REVIEW)
    assert screen_text("Worst numbness ever down below").level == Level.EMERGENCY
    assert screen_text("I can't feel my bum, if that ever happens again I'll ring").level == (
        Level.EMERGENCY
    )


def test_the_middle_items_of_a_negated_list_are_negated_but_not_a_list_of_symptoms() -> None:
    # Whole patients round 2: commas are not kept, so an "or" must close the list.
    for negated in (
        "No numbness, tingling or weakness in my legs.",
        "Denies fever, weight loss or night pain.",
    ):
        assert screen_text(negated).found == (), negated
    assert screen_text("No fever, numb groin, can't pee.").level == Level.EMERGENCY
    assert screen_text("No fever but tingling or numbness in my groin.").level == Level.EMERGENCY
    # Only denied phrases make a list of denials: here the words after the negator are no
    # symptom the table knows, so what follows is read as said.
    for said in (
        "No pain relief helps, numbness in my groin or difficulty peeing",
        "no better, saddle numbness or bladder trouble started today",
    ):
        assert screen_text(said).level == Level.EMERGENCY, said
