from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from portal.models import Clinic


def clinic(request: HttpRequest) -> dict[str, Any]:
    """Put the clinic (for header, footer and wording) into every template, read on first use."""
    return {"clinic": SimpleLazyObject(Clinic.objects.current)}
