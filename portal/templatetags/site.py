from __future__ import annotations

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def site_nav(context: Context) -> SafeString:
    """The main navigation links, drawn once for both the header bar and the phone menu."""
    assert context.template is not None
    links = context.template.engine.get_template("partials/nav_links.html")
    return SafeString(links.render(context))
