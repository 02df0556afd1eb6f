"""Secrets that travel in URLs kept out of logs: check-in links, calendar feed addresses,
"download my data" links, waiting-list offers, and allauth's email confirmation and password
reset keys.

Whoever reads a log (a host's operator, a log service) must not be able to answer a
patient's check-in or follow a practitioner's calendar. Used by the logging filter below
(Django's request and server logs), the gunicorn access log (``portal.gunicorn_logging``) and the
health-data access log (``intake.services.log_health_access``).
"""

from __future__ import annotations

import logging
import re

REDACTED = "[redacted]"

# The secret part of each URL that carries one, after its fixed prefix.
_SECRETS = [
    re.compile(r"(/checkin/)[^/?#\s\"']+"),
    re.compile(r"(/feeds/)[^/?#\s\"']+?(\.ics)"),
    re.compile(r"(/accounts/confirm-email/)[^/?#\s\"']+"),
    re.compile(r"(/accounts/password/reset/key/)[^/?#\s\"']+"),
    re.compile(r"(/me/privacy/my-data/)[^/?#\s\"']+"),
    re.compile(r"(/waiting-list/offer/)[^/?#\s\"']+"),
]


def redact(text: str) -> str:
    """``text`` (a path, a request line, a log message) with every URL secret replaced."""
    for pattern in _SECRETS:
        text = pattern.sub(lambda m: m.group(1) + REDACTED + "".join(m.groups()[1:]), text)
    return text


class RedactSecrets(logging.Filter):
    """A logging filter that rewrites a record's message without the URL secrets in it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
