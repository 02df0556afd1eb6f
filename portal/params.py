"""Typed reading of query-string and form values the views read by hand.

Every hand-read value goes through here, so malformed input (superscript or other
non-ASCII digits, signs, spaces, NUL bytes, numbers past the database's range) is
"not given" for the view to answer with a 404 or a friendly message, never a 500.
Forms (Django's fields) cover the rest.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import urlsplit

from django.http import HttpRequest, QueryDict
from django.utils.http import url_has_allowed_host_and_scheme

# Dates outside these are garbage, not visits; refusing them keeps the date arithmetic
# done with them (a visit's end, the days around a week) from overflowing.
EARLIEST = date(1900, 1, 1)
LATEST = date(9000, 1, 1)

# Ids are BigAutoField: anything above is no row, and would overflow the lookup.
MAX_ID = 2**63 - 1
_ASCII_ID = re.compile(r"[1-9][0-9]{0,18}")

# The GET parameters views read through this module and their kinds, so the fuzz test
# (tests/fuzz) sends generated values to each of them without anyone listing them twice.
QUERY_PARAMS: dict[str, str] = {
    "for": "id",
    "with": "id",
    "reschedule": "id",
    "practitioner": "id",
    "p": "id",
    "response": "id",
    "room": "id",
    "week": "date",
    "date": "date",
    "start": "text",
    "q": "text",
    "kind": "text",
    "next": "text",
    "check": "text",
}


def parse_id(value: str | None) -> int | None:
    """A positive database id written in ASCII digits; None for anything else."""
    if value is None or not _ASCII_ID.fullmatch(value):
        return None
    number = int(value)
    return number if number <= MAX_ID else None


def parse_date(value: str | None) -> date | None:
    """An ISO date (YYYY-MM-DD) within sane bounds; None when missing or malformed."""
    if not value or not value.isascii():
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def has_nul(value: str) -> bool:
    """True when the text holds a NUL byte, which PostgreSQL text cannot store or compare."""
    return "\x00" in value


def _source(request: HttpRequest, post: bool) -> QueryDict:
    return request.POST if post else request.GET


def int_param(request: HttpRequest, name: str, *, post: bool = False) -> int | None:
    """The id in ``name`` (GET, or POST with ``post=True``); None when absent or malformed."""
    return parse_id(_source(request, post).get(name))


def date_param(request: HttpRequest, name: str) -> date | None:
    """The ISO date in the GET parameter ``name``; None when absent or malformed."""
    return parse_date(request.GET.get(name))


def safe_next(request: HttpRequest, value: str | None) -> str | None:
    """``value`` when it is a path on this site to send the browser back to; else None.

    Only a local path ("/..."): a bare word would be taken for a view name by ``redirect``
    and an address elsewhere would make the portal an open redirect.
    """
    if not value or not value.startswith("/") or has_nul(value):
        return None
    if not url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    return value


def page_sent_from(request: HttpRequest) -> str | None:
    """The local path of the page a form was sent from (its Referer), if it was this site's.

    Where to bring someone back after a sign-in that a form's POST ran into: the form's own
    address often takes POST only, and opening it after signing in ended on a bare 405."""
    referer = urlsplit(request.headers.get("referer", ""))
    if referer.netloc != request.get_host() or not referer.path.startswith("/"):
        return None
    path = referer.path + (f"?{referer.query}" if referer.query else "")
    return safe_next(request, path)


# The date formats a person types: 14/07/1986, 14-7-1986, 14.07.1986, 1986-07-14, 14 July 1986.
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_WORDS_FORMATS = ("%d %B %Y", "%d %b %Y")


def typed_date(text: str) -> date | None:
    """A date as a person types it in a search box (day first, ISO, or "14 July 1986"); None
    for anything else, or a day that does not exist."""
    if not text.isascii():
        return None
    parts: tuple[str, str, str] | None = None
    if match := _DAY_MONTH_YEAR.fullmatch(text):
        parts = (match[3], match[2], match[1])
    elif match := _ISO_DATE.fullmatch(text):
        parts = (match[1], match[2], match[3])
    if parts is not None:
        try:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        except ValueError:
            return None
    for fmt in _WORDS_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None
