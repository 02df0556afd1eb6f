"""The red-flag phrase table from its file (``intake/red_flag_phrases.yaml``, parsed): the
hazards' phrases and exceptions, combinations, negation words, emoji and word lists, checked
as they are read (an unknown level, an unquoted yes/no)."""

from __future__ import annotations

from collections.abc import Mapping

from intake.phrase_find import Phrase
from intake.phrases import Combination, Negation, PhraseTable


def load(data: Mapping[str, object]) -> PhraseTable:
    """Build the table from the parsed YAML (see ``intake/red_flag_phrases.yaml``)."""
    hazards = data.get("hazards")
    if not isinstance(hazards, dict):
        raise ValueError("The phrase table needs a 'hazards' mapping.")
    phrases: list[Phrase] = []
    exceptions: dict[str, tuple[Phrase, ...]] = {}
    for hazard, spec in hazards.items():
        level = str(spec["level"])
        for entry in spec.get("phrases", ()):
            if isinstance(entry, dict):
                phrases.append(Phrase(str(entry["phrase"]), hazard, str(entry.get("level", level))))
            else:
                phrases.append(Phrase(str(entry), hazard, level))
        # A plain exception cancels a hit (level ""); one with a level caps it at that level.
        exceptions[hazard] = tuple(
            Phrase(str(e["phrase"]), hazard, str(e["level"]))
            if isinstance(e, dict)
            else Phrase(str(e), hazard, "")
            for e in spec.get("except", ())
        )
        for e in exceptions[hazard]:
            if e.level and e.level not in PhraseTable.levels:
                raise ValueError(f"Unknown level {e.level!r} on the exception {e.text!r}.")
    combos = []
    for combo in data.get("combinations", ()) or ():  # type: ignore[attr-defined]
        groups = tuple(
            tuple(Phrase(str(p), combo["hazard"], str(combo["level"])) for p in group)
            for group in combo["all"]
        )
        combos.append(
            Combination(combo["hazard"], str(combo["level"]), groups, int(combo.get("within", 30)))
        )
    # A word the table spells out exactly is itself, never a misspelling of another phrase
    # word ("bladder" is not "ladder", "inject" not "infect").
    spelled = frozenset(
        alternative
        for p in phrases
        for word in p.words
        for alternative in word.split("|")
        if not alternative.endswith("*")
    )
    neg = data.get("negation") or {}
    assert isinstance(neg, dict)

    def words(key: str, source: Mapping[str, object]) -> frozenset[str]:
        values = list(source.get(key) or ())  # type: ignore[call-overload]
        if any(not isinstance(w, str) for w in values):
            # YAML reads a bare no/yes/on/off as true or false: they must be quoted.
            raise ValueError(f"Quote every word in '{key}' (e.g. \"no\"): {values}")
        return frozenset(w.casefold() for w in values)

    def markers(key: str) -> tuple[Phrase, ...]:
        # Phrases that change how hits around them read (a return, a correction...).
        return tuple(Phrase(str(p), "", "") for p in data.get(key) or ())  # type: ignore[attr-defined]

    return PhraseTable(
        phrases=tuple(phrases),
        exceptions=exceptions,
        combinations=tuple(combos),
        negation=Negation(
            negators=words("negators", neg),
            fillers=words("fillers", neg),
            hedges=words("hedges", neg),
            chain=words("chain", neg),
        ),
        emoji={str(k): str(v) for k, v in (data.get("emoji") or {}).items()},  # type: ignore[attr-defined]
        returning=markers("returning"),
        correcting=markers("correcting"),
        retracting=markers("retracting"),
        benign=words("benign_words", data),
        english=words("common_english", data),
        foreign=words("other_languages", data) - words("common_english", data),
        real=spelled
        | words("real_words", data)
        | words("common_english", data)
        | words("benign_words", data)
        | words("negators", neg)
        | words("fillers", neg),
    )
