"""The Permissions-Policy header: browser features the portal does not use are off everywhere.

``settings.PERMISSIONS_POLICY`` maps each feature to the origins allowed to use it (an empty
list: nobody, not even the portal). A view that needs a feature opens it for its own response
with ``allow_features`` (the card page lets Stripe's frames use ``payment``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers

HEADER = "Permissions-Policy"
_OVERRIDE = "_permissions_policy"

Features = dict[str, list[str]]
Response = TypeVar("Response", bound=HttpResponseBase)


def _allowlist(origins: list[str]) -> str:
    # Structured-field syntax: "self" is a token, origins are quoted strings.
    return "(" + " ".join("self" if o == "self" else f'"{o}"' for o in origins) + ")"


def header_value(features: Features) -> str:
    """The header for these features, e.g. ``camera=(), payment=(self "https://x")``."""
    return ", ".join(f"{name}={_allowlist(origins)}" for name, origins in features.items())


def allow_features(
    features: Callable[[], Features],
) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """Open some features on one view's responses; ``features`` is called per response so
    origins can come from settings."""

    def decorator(view: Callable[..., Response]) -> Callable[..., Response]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Response:
            response = view(request, *args, **kwargs)
            setattr(response, _OVERRIDE, features())
            return response

        return wrapped

    return decorator


class PermissionsPolicyMiddleware:
    """Adds ``Permissions-Policy`` to every response that does not set its own."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if HEADER not in response:
            features: Features = {
                **settings.PERMISSIONS_POLICY,
                **getattr(response, _OVERRIDE, {}),
            }
            response[HEADER] = header_value(features)
        return response


class SignedInNoStoreMiddleware:
    """``Cache-Control: private, no-store`` on every page drawn for someone signed in.

    Health pages set it themselves (``intake.access.no_store``), but the team dashboards
    carry alert summaries and the names of patients whose treatment is on hold, and the
    patient's own pages their visits: none of it may stay in a shared clinic computer's
    cache, or come back with the Back button after signing out. A response that sets its
    own ``Cache-Control`` (a health page, the admin, static files) keeps it.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if getattr(user, "is_authenticated", False) and not response.has_header("Cache-Control"):
            # Django's "never cache" already says no-store and private.
            add_never_cache_headers(response)
        return response
