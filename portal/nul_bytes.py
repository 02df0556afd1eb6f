"""Refuse a request whose query string holds a NUL byte, before any view or the admin reads it.

PostgreSQL text cannot hold or compare NUL, so such a value would fail deep in a query (the
admin's search and list filters read the query string themselves). No address the portal
gives out contains one, so the visitor gets the friendly "bad request" page instead.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote_to_bytes

from django.conf import settings
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse


def query_has_nul(query_string: str) -> bool:
    """Whether the raw query string decodes to anything holding a NUL byte."""
    return b"\x00" in unquote_to_bytes(query_string.replace("+", " "))


class RefuseNulBytesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if query_has_nul(request.META.get("QUERY_STRING", "")):
            raise BadRequest("A NUL byte in the query string.")
        return self.get_response(request)


class DropMalformedSessionCookieMiddleware:
    """Treat a session cookie Django could not have made (its keys are ASCII letters and
    digits) as no cookie: a NUL in it would otherwise reach PostgreSQL on every page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if key is not None and not (key.isascii() and key.isalnum()):
            del request.COOKIES[settings.SESSION_COOKIE_NAME]
        return self.get_response(request)
