"""Who may open which page: one decorator per role family."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from portal.models import Role, User
from portal.params import page_sent_from
from portal.policy import is_owner

View = Callable[..., HttpResponse]

SIGNED_OUT_FORM_LOST = (
    "You were signed out before that was sent, so it was not saved. Please sign in, then "
    "send it again."
)


def sign_in_again(request: HttpRequest) -> HttpResponseRedirect:
    """To the sign-in page, coming back to this page after it, or, for a form sent while signed
    out, to the page it was sent from (its own address may take POST only: an empty 405 page
    after signing in), saying what was sent is not saved."""
    if request.method in ("GET", "HEAD"):
        return redirect_to_login(request.get_full_path())
    messages.warning(request, SIGNED_OUT_FORM_LOST)
    return redirect_to_login(page_sent_from(request) or reverse("dashboard"))


def login_required(view: View) -> View:
    """Django's ``login_required``, but a form sent after the session ended says it was not
    saved and comes back to the page it was sent from (``sign_in_again``)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        return sign_in_again(request)

    return wrapped


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
