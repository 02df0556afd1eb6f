"""Small template helpers for the workspace pages."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

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


@register.simple_tag
def glance_badges(glance: Glance | None, compact: bool = False) -> str:
    """The at-a-glance badges of one booking (``compact`` leaves out "Returning").

    A tag rather than an included template: the calendar draws it for every visit, and
    building a few spans in Python is many times cheaper than an include each time.
    """
    if glance is None:
        return ""
    badges = [b for b in glance.badges if not (compact and b.key == "returning")]
    return format_html(
        '<span class="glance">{}</span>',
        format_html_join(
            "",
            '<span class="badge badge--sm{}" data-badge="{}">{}{}</span>',
            (
                (
                    f" badge--{b.tone}" if b.tone else "",
                    b.key,
                    mark_safe('<span aria-hidden="true">&#9873;</span> ')
                    if b.key == "red_flag"
                    else "",
                    b.text,
                )
                for b in badges
            ),
        ),
    )
