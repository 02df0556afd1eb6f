"""Friendly error pages that still work when the database is down."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
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
