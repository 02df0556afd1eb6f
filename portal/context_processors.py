from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.models import Clinic
from portal.team_security import idle_minutes, is_team_member


def clinic(request: HttpRequest) -> dict[str, Any]:
    """Put the clinic (for header, footer and wording) into every template, read on first use."""
    return {"clinic": SimpleLazyObject(Clinic.objects.current)}


def team_session(request: HttpRequest) -> dict[str, Any]:
    """A team member's idle limit in minutes, for the warning before it signs them out (WCAG
    2.2.1: a time limit is announced, with a simple way to extend it); nothing for others."""
    user = getattr(request, "user", None)
    if not is_team_member(user):
        return {}
    return {"team_idle_minutes": idle_minutes(user)}
