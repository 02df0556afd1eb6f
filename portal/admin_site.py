"""The clinic's admin site: Django's, with allauth's sign-in and the list input checks."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, TypeVar, cast

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import BadRequest
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator

from portal.admin_input import offered_lookup, valid_drill_down, valid_selection
from portal.forms import FriendlyErrors

View = TypeVar("View", bound=Callable[..., Any])


def refuse_bad_list_input(
    view: Callable[..., HttpResponse], model_admin: admin.ModelAdmin[Any]
) -> Callable[..., HttpResponse]:
    """Wrap a model admin's view so list input the admin would fail on is a 400."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not valid_drill_down(model_admin, request.GET):
            raise BadRequest("An admin date drill-down past the calendar.")
        if request.method == "POST" and not valid_selection(
            model_admin, request.POST.getlist(ACTION_CHECKBOX_NAME)
        ):
            raise BadRequest("An admin action on rows that are not ids.")
        return view(request, *args, **kwargs)

    return checked


def friendly(form_class: type[Any]) -> type[Any]:
    """``form_class`` answering bad input in the portal's words (``FriendlyErrors``)."""
    if issubclass(form_class, FriendlyErrors):
        return form_class
    return types.new_class(
        form_class.__name__,
        (FriendlyErrors, form_class),
        exec_body=lambda ns: ns.update(__module__=form_class.__module__),
    )


def _friendly_inline(inline: type[Any]) -> type[Any]:
    return types.new_class(
        inline.__name__,
        (inline,),
        exec_body=lambda ns: ns.update(__module__=inline.__module__, form=friendly(inline.form)),
    )


def _offered_only(model_admin: admin.ModelAdmin[Any]) -> Callable[..., bool]:
    """``model_admin.lookup_allowed``, narrowed to the lookups its list offers."""
    django_rule = model_admin.lookup_allowed

    def lookup_allowed(lookup: str, value: Any, request: HttpRequest) -> bool:
        return offered_lookup(model_admin, lookup, value, request) and django_rule(
            lookup, value, request
        )

    return lookup_allowed


class ClinicAdminSite(admin.AdminSite):
    site_header = "Clinic administration"
    site_title = "Clinic admin"

    # Staff sign in through allauth like everyone else, so its rate limits, email
    # verification and the team's second factor also guard the admin.
    @method_decorator(secure_admin_login)
    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        return super().login(request, extra_context)

    def register(
        self,
        model_or_iterable: type[Model] | Iterable[type[Model]],
        admin_class: Any = None,
        **options: Any,
    ) -> None:
        """Register as Django does, then give every form of the model admin (its add and change
        forms, the password form, each inline's) the portal's error messages."""
        models = (
            [model_or_iterable] if isinstance(model_or_iterable, type) else list(model_or_iterable)
        )
        super().register(models, admin_class, **options)
        for model in models:
            model_admin = self._registry.get(model)
            if model_admin is None:  # a swapped-out model (auth.User) is not registered
                continue
            for attr in ("form", "add_form", "change_password_form"):
                if hasattr(model_admin, attr):
                    setattr(model_admin, attr, friendly(getattr(model_admin, attr)))
            # On this model admin only (the stubs call ``inlines`` a class variable): the
            # inline classes themselves may be shared.
            inlines = [_friendly_inline(inline) for inline in model_admin.inlines]
            setattr(model_admin, "inlines", inlines)  # noqa: B010
            # Its list is filtered only by what its own filters offer (portal.admin_input).
            setattr(model_admin, "lookup_allowed", _offered_only(model_admin))  # noqa: B010

    def admin_view(self, view: View, cacheable: bool = False) -> View:
        # Every model admin's page (its own and third-party apps' alike) reaches here as a
        # bound method of its ModelAdmin; the checks run after the admin's own sign-in check.
        model_admin = getattr(view, "__self__", None)
        if isinstance(model_admin, admin.ModelAdmin):
            view = cast(View, refuse_bad_list_input(view, model_admin))
        return super().admin_view(view, cacheable)
