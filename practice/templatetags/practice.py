"""Small template helpers for the workspace pages."""

from __future__ import annotations

from typing import Any

from django import template

from practice.glance import Glance

register = template.Library()


@register.filter
def get_item(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """``{{ mapping|get_item:key }}``: dictionary lookup by a variable key."""
    if not mapping:
        return None
    return mapping.get(key)


@register.filter
def percent(part: int, whole: int) -> str:
    """``part`` as a percentage of ``whole`` for inline CSS, e.g. "37.5%"."""
    if not whole:
        return "0%"
    return f"{part * 100 / whole:.3f}%"


@register.inclusion_tag("practice/_badges.html")
def glance_badges(glance: Glance | None) -> dict[str, Any]:
    """The at-a-glance badges of one booking (the calendar grid includes the compact ones)."""
    if glance is None:
        return {"badges": []}
    return {"badges": glance.badges}
