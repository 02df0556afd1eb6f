"""Friendly error pages that still work when the database is down."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template import loader


def _render(request: HttpRequest, template: str, status: int) -> HttpResponse:
    try:
        body = loader.render_to_string(template, request=request)
    except Exception:  # the page itself must never fail: fall back to plain text
        # The page's own <style> carries the CSP nonce (django-csp's, set on every request).
        nonce = getattr(request, "csp_nonce", "")
        body = loader.render_to_string("errors/plain.html", {"status": status, "nonce": nonce})
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "errors/400.html", 400)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent from a page that was open too long, or from elsewhere: say what to do."""
    return _render(request, "errors/csrf.html", 403)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "errors/403.html", 403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _render(request, "errors/404.html", 404)


def server_error(request: HttpRequest) -> HttpResponse:
    return _render(request, "errors/500.html", 500)


class FriendlyMethodNotAllowedMiddleware:
    """An address that only takes a form, opened as a page (typed, reloaded after a tab was
    discarded, a stale link), says so with a way out instead of the browser's bare 405."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            response.status_code != 405
            or request.method != "GET"
            or not isinstance(response, HttpResponse)
            or response.content
        ):
            return response
        friendly = _render(request, "errors/405.html", 405)
        if response.has_header("Allow"):
            friendly["Allow"] = response["Allow"]
        return friendly
