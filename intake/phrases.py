"""The matching engine behind the free-text red-flag screen: phrases in, hits out.

Pure (the phrase table is data handed in; ``intake.triage`` loads it once from
``red_flag_phrases.yaml``). Built to read text as patients write it: lower case,
contractions expanded, misspellings of longer words tolerated, a few filler words
allowed between a phrase's words, and negation ("no numbness") honoured only when it
plainly applies to the phrase. The syntax of a phrase is described in the YAML file; the
words come from ``intake.phrase_words``, where a phrase occurs from ``intake.phrase_find``,
the table from ``intake.phrase_file``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from itertools import pairwise

from intake.phrase_find import FirstWords, Match, Phrase, find
from intake.phrase_words import SENTENCE_END, tokens

# A "came back" this many words after a softening exception ends lifts its cap.
RETURN_REACH = 12
# "No X or Y": up to this many unread words (X) may sit between "no" and the "or".
CHAIN_SKIP = 3
# A self-correction ("no numbness. Well, actually, a bit down below") is read this far on.
CORRECTION_REACH = 14
# A retraction ("had a temperature - no, sorry, that was my grandson") this far after a hit
# caps it at review.
RETRACT_REACH = 8
# Round 18: "if I had any numbness": these hedges before "any" make a hit a hypothetical.
CONDITIONALS = frozenset({"if", "whether"})
# Round 19: "if I ever get numbness down below" is as hypothetical as "if I had any".
HYPOTHETICAL = frozenset({"any", "ever"})
# Whole patients round 2: "no numbness, tingling or weakness", "denies fever, weight loss or
# night pain": commas are not kept, so a middle item of a negated list is read as negated when
# an "or" closes the list just after it and a negator opens it this many words before.
LIST_REACH = 4
# Words that start a new clause rather than continue a list ("no fever but numb down below").
CLAUSE_BREAKS = frozenset(
    {"but", "and", "now", "just", "only", "still", "though", "although", "however", "except"}
)


@dataclass(frozen=True)
class Negation:
    """The words that negate a phrase placed just before it, and those that may sit between."""

    negators: frozenset[str]
    fillers: frozenset[str]
    # "I don't THINK I have a fever": a negation through one of these is uncertain.
    hedges: frozenset[str]
    chain: frozenset[str]
    window: int = 6

    def state(
        self,
        words: Sequence[str],
        start: int,
        negated_ends: set[int],
        claimed: frozenset[int] | set[int] = frozenset(),
        head_end: int | None = None,
        listed: frozenset[int] | set[int] = frozenset(),
    ) -> str:
        """ "negated", "uncertain" or "" for a match starting at ``start``.

        A negator that is itself a word of a hit (``claimed``: the "not" of "can't feel my
        foot") is a symptom, not a negation of what follows ("... and it slaps"). ``listed``:
        the words of phrases already read as negated, the only words a negated list may hold.
        """
        # A phrase that starts with its own negator ("can't pee", "no feeling down below") is
        # a symptom; an answer's "no" before it ("no, I haven't been able to pee") or a
        # double negative does not clear it (a hedge still makes it unsure).
        own_negator = start < len(words) and words[start] in self.negators
        hedged = False
        seen = 0
        i = start - 1
        while i >= 0 and seen < self.window:
            token = words[i]
            if token in self.negators and i in claimed:
                return ""
            if token in self.negators:
                if own_negator:
                    return "uncertain" if hedged else ""
                return "uncertain" if hedged else "negated"
            if token in self.chain and not own_negator:
                # "no fever OR chills" carries the negation on, but not "or maybe I did".
                if hedged:
                    return ""
                if i in negated_ends:
                    return "negated"
                # "no dizziness or double vision": the negated word need not be a phrase.
                for j in range(i - 1, max(-1, i - 2 - CHAIN_SKIP), -1):
                    if words[j] == SENTENCE_END or words[j] in self.chain:
                        break
                    if words[j] in self.negators:
                        return "negated"
                return ""
            if token in self.hedges:
                # "If I had any numbness I'd ring you": a condition on "any" of it is a
                # hypothetical (the clinic's advice said back), unsure rather than a symptom.
                between = words[i + 1 : start]
                if token in CONDITIONALS and HYPOTHETICAL & set(between) and not own_negator:
                    return "uncertain"
                hedged = True
            elif token not in self.fillers:
                if head_end is not None and not own_negator:
                    return self._listed(words, i, head_end, claimed, listed)
                return ""
            seen += 1
            i -= 1
        return ""

    def _listed(
        self,
        words: Sequence[str],
        i: int,
        head_end: int,
        claimed: frozenset[int] | set[int],
        listed: frozenset[int] | set[int],
    ) -> str:
        """ "negated" when the words up to ``i`` are earlier items of a list a negator opens and
        an "or" closes just after the phrase's first words ("no numbness, TINGLING or ...").

        Each earlier item must be a phrase already read as negated (``listed``): in "no pain
        relief helps, numbness in my groin or ..." or "no better, saddle numbness or ..." the
        words after the negator are no symptom, so the list is not a list of denials."""
        closing = words[head_end : head_end + CHAIN_SKIP + 1]
        if SENTENCE_END in closing:
            closing = closing[: closing.index(SENTENCE_END)]
        if not self.chain & set(closing):
            return ""
        items = 0
        while i >= 0 and items <= LIST_REACH:
            token = words[i]
            if token == SENTENCE_END or token in CLAUSE_BREAKS or token in self.chain:
                return ""
            if token in self.negators:
                return "" if i in claimed else "negated"
            if token in self.hedges:
                return ""
            if token not in self.fillers:
                if i not in listed:
                    return ""
                items += 1
            i -= 1
        return ""


@dataclass(frozen=True)
class Hit:
    """A phrase found in the text: which hazard, at which level, and how sure."""

    hazard: str
    level: str
    phrase: str
    uncertain: bool = False
    # The most a softening exception lets this hit raise ("numb for years": review at most).
    cap: str = ""


@dataclass(frozen=True)
class Combination:
    """Several groups of words that together mean a hazard (dizzy + neck manipulation)."""

    hazard: str
    level: str
    groups: tuple[tuple[Phrase, ...], ...]
    within: int = 30


@dataclass(frozen=True)
class PhraseTable:
    phrases: tuple[Phrase, ...]
    exceptions: Mapping[str, tuple[Phrase, ...]]
    combinations: tuple[Combination, ...]
    negation: Negation
    emoji: Mapping[str, str]
    # Words a short check-in note may consist of to be cleared without a person reading it.
    benign: frozenset[str]
    # Very common English words; text with hardly any is in a language the screen cannot read.
    english: frozenset[str]
    # Everyday words of other languages the clinic's patients write in.
    foreign: frozenset[str] = frozenset()
    # Known words never read as a misspelling of a phrase word ("never" is not "fever").
    real: frozenset[str] = frozenset()
    # Level names, least serious first (to compare softening exceptions' caps).
    levels: tuple[str, ...] = ("review", "urgent", "emergency")
    # "It came back": a symptom that had gone or settled is new again, so no cap applies.
    returning: tuple[Phrase, ...] = ()
    # "Well, actually, ...", "apart from": what follows a negated phrase takes it back, so the
    # phrase's words are read again with the words after the correction.
    correcting: tuple[Phrase, ...] = ()
    # "No, sorry, that was my grandson", "I got the word wrong": a hit just before one of
    # these is read by a practitioner (review), never sent to 111 or A&E.
    retracting: tuple[Phrase, ...] = ()

    @cached_property
    def phrase_index(self) -> FirstWords:
        return FirstWords(self.phrases)

    @cached_property
    def exception_index(self) -> dict[str, FirstWords]:
        return {h: FirstWords(ps, exact=True) for h, ps in self.exceptions.items()}

    @cached_property
    def combination_index(self) -> list[tuple[Combination, list[FirstWords]]]:
        return [(c, [FirstWords(group) for group in c.groups]) for c in self.combinations]


def _overlaps(match: Match, others: Iterable[Match]) -> bool:
    return any(o.start < match.end and match.start < o.end for o in others)


def _markers(table: PhraseTable, markers: Iterable[Phrase], words: Sequence[str]) -> list[Match]:
    """Where the table's marker phrases (a return, a correction, a retraction) occur, spelled
    exactly."""
    return [m for p in markers for m in find(p, words, table.real, exact=True)]


def _lift_caps_on_return(
    table: PhraseTable, words: Sequence[str], exceptions: dict[str, list[Match]]
) -> None:
    """Drop the softening exceptions ("numbness had gone", "numb for years") that a return
    follows ("... but now it is back"): what came back is new, and gets its hazard's level."""
    negators = table.negation.negators
    returns = [
        m.start
        for m in _markers(table, table.returning, words)
        # "it has not come back" is no return.
        if not any(w in negators for w in m.between(words))
        and not (m.start > 0 and words[m.start - 1] in negators)
    ]
    if not returns:
        return
    for hazard, found in exceptions.items():
        exceptions[hazard] = [
            e
            for e in found
            if not e.phrase.level or not any(e.start < r <= e.end + RETURN_REACH for r in returns)
        ]


def scan(table: PhraseTable, text: str) -> list[Hit]:
    """Every red-flag hit in ``text``: negated phrases dropped, hedged negations kept as unsure."""
    words = tokens(text, table.emoji)
    if not words:
        return []
    hits, spans, negated = _scan_words(table, words)
    # "Had a temperature - no, sorry, that was my grandson": a retraction just after a hit
    # caps it at review (a practitioner reads it; nothing is cleared).
    retractions = [m.start for m in _markers(table, table.retracting, words)]
    for k, end in enumerate(spans):
        if any(end <= r <= end + RETRACT_REACH for r in retractions):
            hits[k] = replace(hits[k], cap=table.levels[0])
    # "No numbness. Well, actually, there is a bit down below": a correction after a negated
    # phrase takes the negation back; the phrase's own words are read again followed by what
    # the correction says ("numbness ... a bit down below").
    corrections = _markers(table, table.correcting, words)
    for n in negated:
        for c in corrections:
            if n.end <= c.start <= n.end + CORRECTION_REACH:
                after = list(words[c.end : c.end + CORRECTION_REACH])
                ends = [i for i, w in enumerate(after) if w == SENTENCE_END]
                if len(ends) > 1:
                    after = after[: ends[1]]
                again = [words[i] for i in n.at] + [w for w in after if w != SENTENCE_END]
                hits += _scan_words(table, again)[0]
                break
    return hits


def _scan_words(
    table: PhraseTable, words: Sequence[str]
) -> tuple[list[Hit], list[int], list[Match]]:
    """The hits in ``words``, where each phrase hit ends, and the negated matches."""
    real = table.real
    matches = sorted(table.phrase_index.find(words, real), key=lambda m: (m.start, -m.end))
    negators = table.negation.negators
    # An exception with a negation inside is no exception: "bladder NOT fine" still counts.
    exceptions = {
        hazard: [
            m for m in index.find(words, real) if not any(w in negators for w in m.between(words))
        ]
        for hazard, index in table.exception_index.items()
    }
    _lift_caps_on_return(table, words, exceptions)
    hits: list[Hit] = []
    spans: list[int] = []
    claimed: set[int] = set()
    negated_ends: set[int] = set()
    negated: list[Match] = []
    for match in matches:
        overlapping = [e for e in exceptions.get(match.phrase.hazard, ()) if _overlaps(match, [e])]
        # An exception without a level cancels the hit; one with a level only caps it.
        if any(not e.phrase.level for e in overlapping):
            continue
        cap = min((e.phrase.level for e in overlapping), key=table.levels.index, default="")
        # Inside a negated phrase: "no saddle numbness" says nothing about numbness elsewhere.
        # Only a match that starts on one of its words: in "not really sore, just can't catch
        # my breath" the negated "sore ... breath" must not hide "can't catch my breath".
        if any(
            n.start <= match.start and match.end <= n.end and match.start in n.at for n in negated
        ):
            # Negated with it, so "or" after it carries the negation on ("no tingling or ...").
            negated_ends.add(match.end)
            negated.append(match)
            continue
        # Starting on a negated phrase's own word and reaching past it: in "no chest pain or
        # shortness of breath" the "pain ... breath" that begins on the negated "pain" is
        # negated with it ("or" then carries the negation on to "shortness of breath").
        # A negator among the negated phrase's own words starts a clause of its own ("can't
        # poo and I can't feel my bum"): the negation reaches only the words before it. Only
        # the words the negator sits right before count ("chest pain"): in "no tingling, wait,
        # my groin is numb" the negated "tingling ... groin" must not hide "groin is numb".
        if any(
            n.start <= match.start in _leading_run(n.at)
            and not any(words[i] in negators for i in n.at if n.start < i <= match.start)
            for n in negated
        ):
            continue
        head_end = max(_leading_run(match.at)) + 1
        listed = {i for n in negated for i in range(n.start, n.end)}
        state = table.negation.state(words, match.start, negated_ends, claimed, head_end, listed)
        inside = match.between(words)
        negated_from = match.start
        if not state and any(w in table.negation.negators for w in inside):
            # "my leg is not weak": the negation sits between the phrase's words.
            hedged = any(w in table.negation.hedges for w in inside)
            state = "uncertain" if hedged else "negated"
            # What comes before that negation is not negated: in "peed myself, not funny"
            # the negated "pee ... funny" must not hide "peed myself".
            negated_from = next(
                i
                for i in range(match.start, match.end)
                if i not in match.at and words[i] in table.negation.negators
            )
        if state == "negated":
            negated_ends.add(match.end)
            negated.append(Match(match.phrase, negated_from, match.end, match.at))
            continue
        uncertain = state == "uncertain"
        if not uncertain:
            claimed.update(match.at)
        hits.append(Hit(match.phrase.hazard, match.phrase.level, match.phrase.text, uncertain, cap))
        spans.append(match.end)
    cancelling = {h: [m for m in ms if not m.phrase.level] for h, ms in exceptions.items()}
    hits += _combination_hits(table, words, cancelling)
    return hits, spans, negated


def _leading_run(at: Sequence[int]) -> set[int]:
    """The first words of a match that sit side by side ("chest pain" of "chest pain ...
    breath")."""
    run = set(at[:1])
    for previous, position in pairwise(at):
        if position != previous + 1:
            break
        run.add(position)
    return run


def _combination_hits(
    table: PhraseTable, words: Sequence[str], exceptions: Mapping[str, list[Match]]
) -> list[Hit]:
    hits: list[Hit] = []
    for combo, groups in table.combination_index:
        excepted = exceptions.get(combo.hazard, [])
        # "not red or hot": "or" carries a negation on across the groups' words too.
        found = sorted(
            ((m, g) for g, group in enumerate(groups) for m in group.find(words, table.real)),
            key=lambda mg: mg[0].start,
        )
        negated_ends: set[int] = set()
        spots: list[list[int]] = [[] for _ in combo.groups]
        for m, g in found:
            if table.negation.state(words, m.start, negated_ends) == "negated":
                negated_ends.add(m.end)
            elif not _overlaps(m, excepted):
                spots[g].append(m.start)
        if any(not s for s in spots):
            continue
        # Every group within ``within`` words of the first group's hit.
        if any(
            all(any(abs(s - anchor) <= combo.within for s in other) for other in spots[1:])
            for anchor in spots[0]
        ):
            hits.append(Hit(combo.hazard, combo.level, " + ".join(g[0].text for g in combo.groups)))
    return hits


def readable(table: PhraseTable, text: str) -> bool:
    """Whether ``text`` looks like English the screen can read.

    Not when it is written in another script (Cyrillic, Arabic, Chinese...), nor when its
    everyday words are mostly another language's ("me duele la espalda y no siento...").
    """
    if any(ch.isalpha() and ord(ch) > 0x24F for ch in text):
        return False
    words = [w for w in tokens(text) if w != SENTENCE_END]
    foreign = sum(1 for w in words if w in table.foreign)
    english = sum(1 for w in words if w in table.english)
    return not (foreign >= 2 and foreign > english)


def benign_only(table: PhraseTable, text: str, limit: int = 40) -> bool:
    """Whether ``text`` is short and made only of words that plainly say all is well."""
    words = [w for w in tokens(text) if w != SENTENCE_END]
    return bool(words) and len(words) <= limit and all(w in table.benign for w in words)
