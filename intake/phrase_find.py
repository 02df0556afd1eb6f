"""Finding a phrase of the red-flag table in a patient's words: a phrase's words in order with a
few other words allowed between them, misspellings tolerated (``intake.phrase_words``), and the
table's phrases looked up by the word they start on. ``intake.phrases`` reads what is found
(negation, exceptions, combinations)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from intake.phrase_words import SENTENCE_END, word_matches

# Up to this many other words may sit between two words of a phrase ("numb [down] below").
NEAR = 2
# "..." in a phrase: up to this many words, within one sentence ("+": none at all).
FAR = 6


@dataclass(frozen=True)
class Phrase:
    """One phrase of the table: its words and what a hit means."""

    text: str
    hazard: str
    level: str
    words: tuple[str, ...] = field(init=False)
    # For each word after the first: how many other words may come before it.
    gaps: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        words: list[str] = []
        gaps: list[int] = []
        gap = NEAR
        for part in self.text.casefold().split():
            if part == "...":
                gap = FAR
                continue
            if part == "+":
                # "chair + legs": the next word must follow at once.
                gap = 0
                continue
            if words:
                gaps.append(gap)
            words.append(part)
            gap = NEAR
        object.__setattr__(self, "words", tuple(words))
        object.__setattr__(self, "gaps", tuple(gaps))


@dataclass(frozen=True)
class Match:
    phrase: Phrase
    start: int
    end: int  # exclusive
    # Positions of the phrase's own words (the rest of start..end are words in between).
    at: tuple[int, ...] = ()

    def between(self, words: Sequence[str]) -> list[str]:
        """The words that sit between the phrase's own words ("leg [is not] weak")."""
        return [words[i] for i in range(self.start, self.end) if i not in self.at]


def find(
    phrase: Phrase, words: Sequence[str], real: frozenset[str] = frozenset(), *, exact: bool = False
) -> list[Match]:
    """Every place ``phrase`` occurs in ``words`` (earliest completion from each start).

    ``exact`` turns off misspelling tolerance (for exceptions, which must not grow).
    """
    found: list[Match] = []
    if not phrase.words:
        return found
    first = phrase.words[0]
    for start, token in enumerate(words):
        if token == SENTENCE_END or not word_matches(first, token, exact or token in real):
            continue
        at = _complete(phrase, words, real, exact, [start])
        if at:
            found.append(Match(phrase, start, at[-1] + 1, tuple(at)))
    return found


def _complete(
    phrase: Phrase, words: Sequence[str], real: frozenset[str], exact: bool, at: list[int]
) -> list[int]:
    """The positions of the rest of ``phrase``'s words after ``at`` (earliest first), or [].

    Backtracks: in "warm ... then + settled" read over "warm and then settled", the earliest
    "then|and" ("and") cannot be followed by "settled", so the later "then" is tried.
    """
    k = len(at)
    if k == len(phrase.words):
        return at
    spec, gap = phrase.words[k], phrase.gaps[k - 1]
    for step in range(1, gap + 2):
        i = at[-1] + step
        if i >= len(words) or words[i] == SENTENCE_END:
            break
        if word_matches(spec, words[i], exact or words[i] in real):
            done = _complete(phrase, words, real, exact, [*at, i])
            if done:
                return done
    return []


class FirstWords:
    """Phrases looked up by the word they start on, remembered per word.

    Asking every phrase whether it starts on every word of a text was nearly all of a scan
    (a long answer took most of a second); a text's words repeat, and so do patients', so
    which phrases a word can start is worked out once per word and kept (up to ``LIMIT``
    words, then forgotten and learnt again).
    """

    LIMIT = 50_000

    def __init__(self, phrases: Iterable[Phrase], *, exact: bool = False) -> None:
        self.phrases = tuple(p for p in phrases if p.words)
        self.exact = exact
        self._starting: dict[tuple[str, bool], tuple[Phrase, ...]] = {}

    def starting(self, token: str, real_word: bool) -> tuple[Phrase, ...]:
        """The phrases whose first word matches ``token``, in their order."""
        key = (token, real_word)
        found = self._starting.get(key)
        if found is None:
            if len(self._starting) >= self.LIMIT:
                self._starting.clear()
            exact = self.exact or real_word
            found = tuple(p for p in self.phrases if word_matches(p.words[0], token, exact))
            self._starting[key] = found
        return found

    def find(self, words: Sequence[str], real: frozenset[str] = frozenset()) -> list[Match]:
        """Every place one of the phrases occurs in ``words``: what ``find`` gives for each
        phrase, by where it starts (phrases in their order at the same start)."""
        found: list[Match] = []
        for start, token in enumerate(words):
            if token == SENTENCE_END:
                continue
            for phrase in self.starting(token, token in real):
                at = _complete(phrase, words, real, self.exact, [start])
                if at:
                    found.append(Match(phrase, start, at[-1] + 1, tuple(at)))
        return found
