from __future__ import annotations

from django import template

register = template.Library()

SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$"}


@register.filter
def money(minor: int | None, currency: str = "GBP") -> str:
    """Minor units as a price: 4000 -> "£40", 4050 -> "£40.50"."""
    if minor is None:
        return ""
    whole, part = divmod(int(minor), 100)
    symbol = SYMBOLS.get(currency.upper(), currency.upper() + " ")
    return f"{symbol}{whole:,}" if part == 0 else f"{symbol}{whole:,}.{part:02d}"
