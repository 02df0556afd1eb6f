"""The session store: Django's database sessions, reading only keys Django could have made.

The session cookie is the visitor's to write, and Python's cookie parser turns a quoted
``"\\000..."`` into a NUL byte, which PostgreSQL text cannot compare: the lookup would fail
with a 500 on every page. Django makes keys of lowercase ASCII letters and digits, so a
cookie holding anything else is no session (a fresh one starts), as an unknown key is.
"""

from __future__ import annotations

from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore


class SessionStore(DatabaseSessionStore):
    def _validate_session_key(self, key: str | None) -> bool:
        return bool(super()._validate_session_key(key)) and _made_by_django(key or "")


def _made_by_django(key: str) -> bool:
    return key.isascii() and key.isalnum()
