"""Strict readers for environment settings.

Every reader names the variable when its value is malformed, so a typo in a
deployment stops start-up with a message an operator can act on instead of
silently falling back to a default.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import environ
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class Environment:
    """Reads typed values from a mapping (``os.environ`` unless given)."""

    def __init__(self, source: Mapping[str, str] | None = None) -> None:
        self.source = os.environ if source is None else source

    def optional(self, name: str) -> str | None:
        value = self.source.get(name)
        if value is None or value.strip() == "":
            return None
        return value.strip()

    def is_set(self, name: str) -> bool:
        return self.optional(name) is not None

    def string(self, name: str, default: str = "") -> str:
        value = self.optional(name)
        return default if value is None else value

    def required(self, name: str, why: str) -> str:
        value = self.optional(name)
        if value is None:
            raise ImproperlyConfigured(f"{name} must be set: {why}")
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.optional(name)
        if value is None:
            return default
        lowered = value.lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name}={value!r} is not a boolean: use one of true/false, yes/no, on/off, 1/0"
        )

    def integer(self, name: str, default: int, *, minimum: int | None = None) -> int:
        value = self.optional(name)
        if value is None:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None
        if minimum is not None and number < minimum:
            raise ImproperlyConfigured(f"{name}={number} must be at least {minimum}")
        return number

    def csv_list(self, name: str, default: list[str]) -> list[str]:
        value = self.optional(name)
        if value is None:
            return list(default)
        return [item.strip() for item in value.split(",") if item.strip()]

    def database(self, name: str, default: str) -> dict[str, Any]:
        url = self.string(name, default)
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme not in environ.Env.DB_SCHEMES:
            raise ImproperlyConfigured(
                f"{name} is not a database URL (expected e.g. postgres://user@host:5432/name "
                "or sqlite:////absolute/path.sqlite3)"
            )
        try:
            return environ.Env.db_url_config(url)
        except Exception as exc:  # django-environ raises several types for bad URLs
            raise ImproperlyConfigured(f"{name} could not be parsed: {exc}") from None

    def url(self, name: str, default: str, *, schemes: tuple[str, ...]) -> str:
        url = self.string(name, default)
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme not in schemes:
            raise ImproperlyConfigured(
                f"{name} must be a URL starting with one of: "
                + ", ".join(f"{s}://" for s in schemes)
            )
        return url

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.string(name, default)
        if value not in choices:
            raise ImproperlyConfigured(f"{name}={value!r} must be one of: {', '.join(choices)}")
        return value
