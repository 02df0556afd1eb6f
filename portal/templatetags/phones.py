from __future__ import annotations

from django import template

from portal.phones import as_typed

register = template.Library()


@register.filter
def phone(value: object) -> str:
    """A stored number as people read and dial it: "07700 900123" in the UK."""
    return as_typed(value)
