"""Refuse an admin list action whose ticked rows are not ids of that list's model.

The admin filters the list by the posted ``_selected_action`` values as they are
(``queryset.filter(pk__in=...)``), so a value that is not a primary key ("abc", "1\\x00",
"²") fails in the lookup with a 500. No list the admin draws posts one, so the visitor
gets the friendly "bad request" page instead. The query string is
``portal.nul_bytes``'s; form fields are Django's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import BadRequest, ValidationError
from django.http import HttpRequest, HttpResponse

from portal.params import has_nul


def valid_selection(model_admin: Any, values: list[str]) -> bool:
    """Whether every ticked value reads as a primary key of the admin's model."""
    pk = model_admin.model._meta.pk
    for value in values:
        if has_nul(value):
            return False
        try:
            pk.get_prep_value(pk.to_python(value))
        except (ValidationError, ValueError, TypeError):
            return False
    return True


class RefuseBadAdminSelectionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> None:
        model_admin = getattr(view_func, "model_admin", None)
        if model_admin is None or request.method != "POST":
            return None
        if not valid_selection(model_admin, request.POST.getlist(ACTION_CHECKBOX_NAME)):
            raise BadRequest("An admin action on rows that are not ids.")
        return None
