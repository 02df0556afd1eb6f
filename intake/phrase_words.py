"""How the red-flag screen reads text: the words of a patient's answer (lower case,
contractions and text-speak expanded, a form's "no" answers turned round, numbers split from
their units, sentence ends kept) and when a written word matches a phrase's word (misspellings
of longer words tolerated). Pure; ``intake.phrases`` matches phrases over these words."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import lru_cache

# Far beyond any answer's length limit; only guards the screen's running time.
MAX_TOKENS = 20_000
SENTENCE_END = "|"

_CONTRACTIONS = (
    (re.compile(r"\b(can)['\u2019]?t\b"), r"\1 not"),
    (re.compile(r"\bcannot\b"), "can not"),
    (re.compile(r"\bwon['\u2019]?t\b"), "will not"),
    (re.compile(r"\bain['\u2019]t\b"), "am not"),
    (re.compile(r"['\u2019]?n['\u2019]t\b"), " not"),
    (
        re.compile(
            r"\b(do|does|did|could|would|should|is|was|are|were|has|have|had|must|need)nt\b"
        ),
        r"\1 not",
    ),
    (re.compile(r"['\u2019](m|re|ve|ll|d|s)\b"), r" \1"),
    # Text-speak and dialect: "cnt pee", "carnt", "cudnt", "dint", "aint", "cannae".
    (re.compile(r"\b(cnt|carnt|kant|cannae)\b"), "can not"),
    (re.compile(r"\b(dnt|dont)\b"), "do not"),
    (re.compile(r"\b(dint|didn|dident)\b"), "did not"),
    (re.compile(r"\b(cud|wud|shud)n['\u2019]?t\b"), r"\1 not"),
    (re.compile(r"\b(couldn|wouldn|shouldn|wasn|isn|haven|hasn|doesn)\b"), r"\1 not"),
    (re.compile(r"\b(havnt|hvnt|havint)\b"), "have not"),
    (re.compile(r"\baint\b"), "am not"),
    # Scots: "nae feeling", "didnae ken", "dinnae", "couldnae" ("cannae" is above).
    (re.compile(r"\bdinnae\b"), "do not"),
    (re.compile(r"\b(did|could|would|should|is|was|does|has|have|had|wid|wis)nae\b"), r"\1 not"),
    (re.compile(r"\bnae\b"), "no"),
    # Jamaican patois: "mi cyaan feel", "mi nuh pass water" ("cyan" the colour is left alone).
    (re.compile(r"\b(cyaan|kyaan|caan)\b"), "can not"),
    (re.compile(r"\bnuh\b"), "not"),
    # A dropped g on the words the table reads: "me legs are goin", "leakin", "faintin".
    (
        re.compile(
            r"\b(go|gett|walk|feel|com|do|pee|wee|leak|tingl|dropp|tripp|breath|sleep|fall"
            r"|dragg|giv|burn|shiver|sweat|swell|spread|worsen|pass|wett|lift|stand|collaps"
            r"|faint|black|throbb|ooz|weep|stagger|wobbl|shak|stumbl|buckl|los|struggl|spinn"
            r"|slurr)in['\u2019]?(?=\W|$)"
        ),
        r"\1ing",
    ),
)
# Round 11: a form's answer ("- numbness: no", "Fever? none", "bladder = normal") is the
# patient's "no" to the question before it: read as "no numbness". Only a whole answer (to the
# end of its line, or to a comma or semicolon) that plainly says no; "numb groin: yes" and
# "bladder: can't empty it" are left as written. Session 11: so do a clinician's "N/A",
# "NAD", "denies" and "none known" (read before a slash becomes "or"). A dash is not a form's
# separator: "had a temperature - no, sorry, that was my grandson" is a retraction (review).
_FORM_ANSWER = re.compile(
    r"(?m)(^|[,;]|(?<=[.!])[ \t])[ \t]*(?:[-*\u2022\u00b7>]+|\d{1,2}[.)])?[ \t]*"
    r"([^:=?\n,;.!]{1,60}?)[ \t]*[:=?][ \t]*"
    r"(?:no|nope|none|nil|n|normal|fine|negative|never|absent|not really|no change"
    r"|n/a|na|nad|not applicable|denies|denied|none known|nil known)"
    r"[ \t]*([.!](?=\s|$)|(?=$|[,;]))"
)
# Round 17: a reply quoting the check-in email ("> Any numbness around your bottom?" then "No"
# on its own line) answers the clinic's question, not the patient's symptom: a quoted question
# (a line starting ">" and ending "?") answered with a bare no ("No", "None of those", "No to
# all of those") on the next line is dropped with its answer. Any other answer ("Yes the fever
# one", "No, but...") leaves both as written, so a symptom listed in the question still counts.
_QUOTED_NO = re.compile(
    r"(?m)^[ \t]*>[^\n]*\?[ \t]*\n[ \t]*"
    r"(?:no|nope|none|nil|not at all|neither"
    r"|no to (?:all|any|each|both|everything)(?: of (?:those|them|these|that|the above|it))?"
    r"|none of (?:those|them|these|that|the above|it))"
    r"[ \t]*[.!]*[ \t]*(?=\n|$)"
)
# Round 18: a faint had is a faint: "had a little faint at the school gate" is read as "had a
# little fainting", so the adjective's exception ("felt a little faint", no faint) does not
# cancel it. Only a faint that ends its clause ("had a faint ache" is left alone).
_NOUN_FAINT = re.compile(
    r"\b(had|have|has|having)([ \t]+a[ \t]+(?:[a-z]+[ \t]+){0,3}?)faint"
    r"(?=[ \t]*(?:[.,;:!?)\n]|$|(?:at|in|on|after|when|while|this|yesterday|last|and|but|earlier"
    r"|today|so|then|during|before|outside|getting|standing)\b))"
)
# Round 15: a "Q: ... A: ..." form ("Q: Fever? A: No.") is read without its markers, so its
# answers are read like any other form's ("Fever? No."): a "Q:" or "A:" at the start of a line
# or just after a sentence's end (".", "!" or the question's "?") is dropped.
_QA_MARKER = re.compile(r"(?m)(?:^|(?<=[.!?]))([ \t]*)[qa][ \t]*:[ \t]*")
# A form's "yes" belongs to its question: "Numbness? Yes, in the groin" (or "Q: Weakness?
# A: yes, both legs, worse") is read as "numbness: yes, in the groin", one sentence, so the
# answer's detail meets the question's words instead of being cut off by the "?".
_FORM_YES = re.compile(r"(?:\?[ \t]*(?:\n[ \t]*)?|\n[ \t]*)(?=(?:yes+|yeah|yep|yup|ya|y)\b)")
# ...and the yes's own full stop or line end does not cut off the detail after it either
# ("Weakness? Yes. Both legs, getting worse").
_FORM_YES_END = re.compile(r":[ \t]*(yes+|yeah|yep|yup|ya|y)[ \t]*(?:[.!]+[ \t]*|\n[ \t]*)+")
# Round 15: a slash between words is "or" ("no bladder/bowel changes" is "no bladder or bowel
# changes", so the negation carries on as it does through "or"); "24/7" is left alone.
_SLASH = re.compile(r"(?<=[^\W\d_])[ \t]*/[ \t]*(?=[^\W\d_])")
# "8kg", "39c", "10mg": a number and its unit are two words ("lost 8 kg", "39 c").
_NUMBER_UNIT = re.compile(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)")
# A full stop ends a sentence only before a space (so "38.5" stays one reading).
_TOKEN = re.compile(r"[^\W_]+|[.!?;](?=\s|$)|\n")


def tokens(text: str, emoji: Mapping[str, str] | None = None) -> list[str]:
    """The words of ``text`` as the screen reads them; sentence ends become ``|``."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    text = _QUOTED_NO.sub("", text)
    text = _NOUN_FAINT.sub(r"\1\2fainting", text)
    text = _QA_MARKER.sub(r"\1", text)
    text = _FORM_YES.sub(": ", text)
    text = _FORM_YES_END.sub(r": \1, ", text)
    text = _FORM_ANSWER.sub(lambda m: f"{m.group(1)} no {m.group(2)}{m.group(3)}", text)
    text = _SLASH.sub(" or ", text)
    for symbol, words in (emoji or {}).items():
        if symbol in text:
            text = text.replace(symbol, f" {words} ")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = _NUMBER_UNIT.sub(" ", text)
    out = [SENTENCE_END if t in ".!?;\n" else t for t in _TOKEN.findall(text)]
    return out[:MAX_TOKENS]


def _distance(a: str, b: str, limit: int) -> int:
    """Optimal-string-alignment edit distance, giving up (returning limit + 1) past ``limit``."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _tolerance(word: str) -> int:
    # Short words are matched exactly: "pus" must not match "bus", nor "ill" "all".
    if len(word) >= 9:
        return 2
    return 1 if len(word) >= 5 else 0


@lru_cache(maxsize=200_000)
def word_matches(spec: str, token: str, real_word: bool = False) -> bool:
    """Whether one text token matches one phrase word (``word``, ``prefix*``, ``a|b``).

    A ``real_word`` (a known word, e.g. "never") is never read as a misspelling ("fever").
    """
    for alternative in spec.split("|"):
        if alternative.endswith("*"):
            stem = alternative[:-1]
            if token.startswith(stem):
                return True
            # Stems under 6 letters are too close to everyday words ("faint", "paint").
            allowed = _tolerance(stem) if len(stem) >= 6 and not real_word else 0
            if allowed and len(token) >= len(stem) - 1:
                heads = {token[: len(stem) + d] for d in (-1, 0, 1)}
                if any(_distance(stem, h, allowed) <= allowed for h in heads):
                    return True
        elif token == alternative or (
            not real_word
            and (allowed := _tolerance(alternative))
            and _distance(alternative, token, allowed) <= allowed
        ):
            return True
    return False
