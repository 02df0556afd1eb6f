"""Who may open which page: one decorator per role family."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from portal.models import Role, User
from portal.policy import is_owner

View = Callable[..., HttpResponse]


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user, typed: for views behind ``login_required`` or a role decorator
    below (the one place the request's user is narrowed from ``AnonymousUser``)."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied("Sign in to open this page.")
    return user


def role_required(*roles: Role) -> Callable[[View], View]:
    """Let signed-in users with one of ``roles`` through; others get a 403 page."""

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if getattr(request.user, "role", None) not in roles:
                raise PermissionDenied("This page is for clinic team members.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


patient_required = role_required(Role.PATIENT)
practitioner_required = role_required(Role.PRACTITIONER)
team_required = role_required(Role.PRACTITIONER, Role.STAFF)
staff_required = role_required(Role.STAFF)


def owner_required(view: View) -> View:
    """Let only the clinic owner through (``policy.is_owner``); other staff get a 403 page."""

    @staff_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not is_owner(request.user):
            raise PermissionDenied("This page is for the clinic owner.")
        return view(request, *args, **kwargs)

    return wrapped
