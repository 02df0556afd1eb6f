"""How the clinic team signs in: a second factor, a short idle timeout, re-entry for sensitive acts.

Practitioners read health data and the front desk and owner run every booking, payment and
account, so a password alone is not enough:
a signed-in team member without an authenticator app is sent to set one up (allauth.mfa), and
one whose session did not pass the second factor is signed out and asked again. Patients may
add an authenticator from their privacy page but are never forced to.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.decorators import reauthentication_required
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from portal.access import sign_in_again
from portal.models import Clinic, Role

TEAM_ROLES = frozenset({Role.PRACTITIONER, Role.STAFF})
# Set when a team member enrols an authenticator in this session: typing a valid code from the
# new app is the second factor for the rest of the session.
ENROLLED_SESSION_KEY = "portal.mfa_enrolled_user"
# When (epoch seconds) that enrolment happened: the app it set up must still be there.
ENROLLED_AT_SESSION_KEY = "portal.mfa_enrolled_at"
LAST_SEEN_SESSION_KEY = "portal.team_last_seen"
TOUCH_EVERY_SECONDS = 60
SECOND_FACTOR_TYPES = [Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]

View = Callable[..., HttpResponse]


def is_team_member(user: Any) -> bool:
    """Practitioners, clinic staff and anyone with admin access (the owner)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(getattr(user, "role", None) in TEAM_ROLES or user.is_staff or user.is_superuser)


def has_second_factor(user: Any) -> bool:
    """Whether ``user`` has an authenticator app (or key); recovery codes alone do not count."""
    return is_mfa_enabled(user, SECOND_FACTOR_TYPES)


def session_passed_second_factor(request: HttpRequest) -> bool:
    """Whether this session's sign-in included a code from an authenticator (or its enrolment)."""
    user = request.user
    records = get_authentication_records(request, user)
    if any(record.get("method") == "mfa" for record in records):
        return True
    return request.session.get(ENROLLED_SESSION_KEY) == str(user.pk)


def mark_enrolled(request: HttpRequest, user: Any) -> None:
    """Record that ``user`` proved a code from their new authenticator in this session."""
    if getattr(request, "user", None) is not None and request.user.pk == user.pk:
        request.session[ENROLLED_SESSION_KEY] = str(user.pk)
        request.session[ENROLLED_AT_SESSION_KEY] = time.time()


def second_factor_still_stands(request: HttpRequest) -> bool:
    """Whether the authenticator app this session proved (at its code step or enrolment) is
    still set up: one made before that proof. The owner's reset removes it (a lost or stolen
    phone), and an app set up afterwards on a new phone is newer than the proof."""
    user = request.user
    proofs = [
        record["at"]
        for record in get_authentication_records(request, user)
        if record.get("method") == "mfa" and isinstance(record.get("at"), int | float)
    ]
    enrolled_at = request.session.get(ENROLLED_AT_SESSION_KEY)
    if request.session.get(ENROLLED_SESSION_KEY) == str(user.pk) and isinstance(
        enrolled_at, int | float
    ):
        proofs.append(enrolled_at)
    if not proofs:
        # Enrolled before the time was kept: at least an app must still be set up.
        return has_second_factor(user)
    proved_at = datetime.fromtimestamp(max(proofs), tz=UTC)
    return Authenticator.objects.filter(
        user_id=user.pk, type__in=SECOND_FACTOR_TYPES, created_at__lte=proved_at
    ).exists()


def idle_minutes(user: Any) -> int:
    """How long a team session may sit idle: the clinic's setting (``Clinic.team_idle_minutes``).

    Read through the user's own clinic, so the view's ``user.clinic`` costs no second query."""
    clinic = getattr(user, "clinic", None) or Clinic.objects.current()
    return clinic.team_idle_minutes


def sensitive_action(view: View) -> View:
    """Ask for the password or a code again (allauth's reauthentication) before ``view`` acts.

    GET requests pass, so the confirmation page shows; the POST that acts is held until the
    person has re-entered their password or a code within the last few minutes.
    """
    return reauthentication_required(view, allow_get=True)


def sensitive_team_action(view: View) -> View:
    """Like ``sensitive_action``, but only team members are asked (e.g. a patient cancelling
    their own paid visit is not; the desk refunding someone else's is)."""
    return reauthentication_required(
        view, allow_get=True, enabled=lambda request: is_team_member(request.user)
    )


def require_recent_authentication(request: HttpRequest) -> None:
    """Raise allauth's ``ReauthenticationRequired`` unless the password or a code was re-entered
    in the last few minutes (allauth's middleware then asks for it and replays the request)."""
    reauthentication_required(_nothing)(request)


def _nothing(request: HttpRequest) -> None:
    return None


def _free_paths() -> tuple[str, ...]:
    # Pages a team member may open before enrolling: allauth's second-factor pages, signing out
    # and re-entering the password (allauth asks for it before adding an authenticator).
    return (
        reverse("mfa_index"),
        reverse("account_logout"),
        reverse("account_reauthenticate"),
        reverse("healthz"),
        settings.STATIC_URL,
    )


class TeamSecurityMiddleware:
    """Enforce the second factor and the idle timeout for team members on every request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit: int | None = None
        if is_team_member(request.user):
            limit = idle_minutes(request.user)
            refused = self._check(request, limit)
            if refused is not None:
                return refused
        response = self.get_response(request)
        # Also right after signing in (the user was anonymous when the request came in): a
        # team session never gets "remember me", it ends after the idle timeout.
        if is_team_member(getattr(request, "user", None)):
            self._touch(request, limit if limit is not None else idle_minutes(request.user))
        return response

    def _check(self, request: HttpRequest, limit: int) -> HttpResponse | None:
        last_seen = request.session.get(LAST_SEEN_SESSION_KEY)
        if isinstance(last_seen, int | float) and time.time() - last_seen > limit * 60:
            logout(request)
            messages.info(
                request,
                f"You were signed out after {limit} minutes without activity. Please sign in "
                "again.",
            )
            return sign_in_again(request)
        if session_passed_second_factor(request):
            # Asked once a minute, with the last-seen write below: a session kept busy after
            # the owner reset its app (a stolen phone) ends within the minute.
            if _due_for_touch(last_seen) and not second_factor_still_stands(request):
                logout(request)
                messages.info(request, "Your authenticator app was reset. Please sign in again.")
                return sign_in_again(request)
            return None
        if has_second_factor(request.user):
            # A session that never passed the code (older than the rule, or made some other
            # way): sign out and sign in again through the code step.
            logout(request)
            messages.info(request, "Please sign in again with your authenticator code.")
            return sign_in_again(request)
        if request.path.startswith(_free_paths()):
            return None
        messages.info(
            request,
            "Clinic team accounts need a second step at sign-in. Please set up an "
            "authenticator app to continue.",
        )
        return HttpResponseRedirect(reverse("mfa_activate_totp"))

    def _touch(self, request: HttpRequest, limit: int) -> None:
        # Written at most once a minute, so a busy page does not save the session on every
        # request; the stored session outlives the idle limit by that minute, and the check
        # above signs the person out on time.
        if not _due_for_touch(request.session.get(LAST_SEEN_SESSION_KEY)):
            return
        request.session[LAST_SEEN_SESSION_KEY] = time.time()
        request.session.set_expiry(limit * 60 + TOUCH_EVERY_SECONDS)


def _due_for_touch(last_seen: object) -> bool:
    """Whether a minute (or more) has passed since the session was last marked as seen."""
    if not isinstance(last_seen, int | float):
        return True
    return not 0 <= time.time() - last_seen < TOUCH_EVERY_SECONDS


def _on_authenticator_added(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    authenticator = kwargs.get("authenticator")
    if authenticator is not None and authenticator.type in SECOND_FACTOR_TYPES:
        mark_enrolled(request, user)


def connect_signals() -> None:
    """Called from the app config: enrolment counts as this session's second factor."""
    from allauth.mfa.signals import authenticator_added

    authenticator_added.connect(_on_authenticator_added, dispatch_uid="portal.mfa_enrolled")
