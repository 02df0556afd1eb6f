"""Secrets that travel in URLs kept out of logs: check-in links, calendar feed addresses,
"download my data" links, waiting-list offers, and allauth's email confirmation and password
reset keys; and the names, dates of birth and numbers the team searches people by.

Whoever reads a log (a host's operator, a log service) must not be able to answer a
patient's check-in or follow a practitioner's calendar. Used by the logging filter below
(Django's request and server logs), the gunicorn access log (``portal.gunicorn_logging``) and the
health-data access log (``intake.services.log_health_access``).
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# A slash as a path has it, or percent-encoded as a ``next`` carries it on: allauth's sign-up
# and password links on the login page, and the team's idle sign-out, quote the address they
# return to (``?next=%2Fme%2Fprivacy%2Fmy-data%2F<token>%2F``).
_SLASH = r"(?:/|%2[Ff])"
# Where a secret ends: the next slash (either form), the query or fragment, a parameter, a
# space or a quote.
_END = r"(?=/|%2[Ff]|[?#&\s\"']|$)"
_HIDDEN_PART = r"[^/?#&\s\"']+?"


def _after(*parts: str, suffix: str = "") -> re.Pattern[str]:
    prefix = _SLASH + _SLASH.join(re.escape(part) for part in parts) + _SLASH
    if suffix:
        return re.compile(f"({prefix}){_HIDDEN_PART}({re.escape(suffix)})")
    return re.compile(f"({prefix}){_HIDDEN_PART}{_END}")


# The secret part of each URL that carries one, after its fixed prefix.
_SECRETS = [
    _after("checkin"),
    _after("feeds", suffix=".ics"),
    _after("accounts", "confirm-email"),
    _after("accounts", "password", "reset", "key"),
    _after("me", "privacy", "my-data"),
    _after("waiting-list", "offer"),
]


# What the team typed to find a person (a name, a date of birth, a phone number: the patient
# search's and the desk's ``q``, the audit trail's ``person``): personal data, not a log's.
_SEARCHES = re.compile(r"([?&](?:q|person)=)[^&#\s\"']*")


def redact(text: str) -> str:
    """``text`` (a path, a request line, a log message) with every URL secret and search
    term replaced."""
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED + "".join(m.groups()[1:]), text)
    return _SEARCHES.sub(lambda m: m.group(1) + REDACTED, text)


class RedactSecrets(logging.Filter):
    """A logging filter that rewrites a record's message without the URL secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
