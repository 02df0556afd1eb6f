"""A person's name is one line: the rule every way of writing one keeps.

A patient's name is printed in the team's plain-text alert emails (urgent, chase, digest),
where a name holding line breaks wrote paragraphs of its own under the clinic's name
(tests/portal/test_attacker_round8.py). Sign-up and "My details" refused them, but the desk's
"add a caller", the admin's person form, a rectification and the owner's invitation wrote any
name as posted (tests/portal/test_attacker_round9.py), so the rule sits on the model's fields
(every model form, the admin's included) and on each plain form that writes a name.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

# Characters that change how text is laid out rather than spell anything: line and paragraph
# breaks, other control characters, and the bidirectional overrides that show text reversed.
_LAYOUT_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
NOT_ONE_LINE = "Please type the name on one line, with letters, spaces, hyphens or apostrophes."


def one_line_name(value: str) -> None:
    """Refuse a name that is not one line of letters as typed."""
    if any(unicodedata.category(ch) in _LAYOUT_CATEGORIES or ch in _BIDI_CONTROLS for ch in value):
        raise ValidationError(NOT_ONE_LINE, code="not_one_line")
