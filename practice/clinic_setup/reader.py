"""Reading a spec's values while collecting every problem, each with where it is."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email


class Reader:
    """Collects problems with their place in the spec instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def text(self, data: dict[str, Any], key: str, where: str, *, required: bool = False) -> str:
        value = data.get(key, "")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(f"{where}.{key}", "should be text")
            return ""
        value = str(value).strip()
        if required and not value:
            self.fail(f"{where}.{key}", "is required")
        return value

    def email(self, data: dict[str, Any], key: str, where: str) -> str:
        value = self.text(data, key, where, required=True).lower()
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.fail(f"{where}.{key}", f"{value!r} is not an email address")
        return value

    def whole(self, data: dict[str, Any], key: str, where: str, default: int, low: int, high: int):
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.fail(f"{where}.{key}", "should be a whole number")
            return default
        try:
            number = int(value)
        except ValueError:
            self.fail(f"{where}.{key}", f"{value!r} is not a whole number")
            return default
        if not low <= number <= high:
            self.fail(f"{where}.{key}", f"should be between {low} and {high}, not {number}")
        return number

    def money(self, value: Any, where: str) -> int:
        """An amount in pounds (or the currency's major unit), as pence."""
        try:
            amount = Decimal(str(value).strip().lstrip("£$€"))
        except InvalidOperation:
            self.fail(where, f"{value!r} is not an amount such as 65 or 65.00")
            return 0
        if amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount > 100000:
            self.fail(where, f"{value!r} is not an amount such as 65 or 65.00")
            return 0
        return int(amount * 100)

    def entries(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        """The ``[[key]]`` entries of the spec (none if it is missing or not a list of them)."""
        items = data.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            self.fail(key, f"should be a list of [[{key}]] entries")
            return []
        return items

    def no_repeats(self, where: str, keys: list[str]) -> None:
        seen = set()
        for key in keys:
            if key and key in seen:
                self.fail(where, f"{key!r} is listed twice")
            seen.add(key)


def section(data: dict[str, Any], key: str) -> dict[str, Any]:
    """The ``[key]`` table of the spec, or an empty one."""
    value = data.get(key)
    return value if isinstance(value, dict) else {}
