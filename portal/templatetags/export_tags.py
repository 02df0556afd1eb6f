from __future__ import annotations

from datetime import datetime

from django import template

register = template.Library()


@register.filter
def isodatetime(value: str | None) -> datetime | str | None:
    """An ISO timestamp from data.json back as a datetime, for ``|date`` in the summary."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value
