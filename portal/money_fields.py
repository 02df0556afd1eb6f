"""Amounts typed in pounds (or the clinic's currency) for fields stored in minor units."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from portal.templatetags.money import SYMBOLS


def currency_symbol(currency: str) -> str:
    """£ for GBP; the code itself for a currency without a symbol we know."""
    return SYMBOLS.get(currency.upper(), currency.upper())


class MinorUnitsField(forms.DecimalField):
    """Shows 6500 as "65.00" and reads "65", "65.00" or "£65" back as 6500.

    The admin's price fields were whole pence: an owner typing 65 for a £65 treatment
    priced it at 65p.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("max_value", None)
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("max_digits", 9)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault("localize", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{Decimal(value) / 100:.2f}"
        return value

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace(",", "").lstrip("£€$").strip()
        return super().to_python(value)

    def clean(self, value: Any) -> int | None:
        amount = super().clean(value)
        return None if amount is None else int(amount * 100)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.clean(data) != initial
        except ValidationError:
            return True


def minor_units_formfield(db_field: Any, currency: str, **kwargs: Any) -> MinorUnitsField:
    """The form field for a model field holding minor units, labelled with the currency."""
    label = f"{db_field.verbose_name[:1].upper()}{db_field.verbose_name[1:]}"
    return MinorUnitsField(
        label=f"{label} ({currency_symbol(currency)})",
        help_text=db_field.help_text,
        required=not db_field.blank,
        **kwargs,
    )


class OpenDaysField(forms.TypedMultipleChoiceField):
    """The clinic's open days as a box per weekday, stored as digits ("012345")."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs: Any) -> None:
        days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
        kwargs.pop("max_length", None)
        kwargs.pop("empty_value", None)
        super().__init__(choices=[(str(i), day) for i, day in enumerate(days)], **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return list(value) if isinstance(value, str) else value

    def to_python(self, value: Any) -> list[str]:
        # A posted run of digits ("012345", from a script or an older form) reads as its days.
        values = super().to_python(value)
        return [digit for item in values for digit in item]

    def clean(self, value: Any) -> str:
        return "".join(sorted(set(super().clean(value))))

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.clean(data) != (initial or "")
        except ValidationError:
            return True
