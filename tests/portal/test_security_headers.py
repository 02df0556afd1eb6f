"""Every page carries the Content-Security-Policy, Permissions-Policy and Referrer-Policy (and,
for someone signed in, Cache-Control: no-store), and no page or template needs an inline
script, style or event handler to work under it.

The URL list comes from the resolver, so a new page is walked without touching this file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from booking.models import Booking, Service
from intake.models import IntakeResponse
from payments.models import FeeReduction, Payment
from portal.demo import PEOPLE
from portal.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# Emails are read in mail clients, which need inline styles and never see the portal's CSP.
EMAIL_TEMPLATES = TEMPLATES / "email"


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern)


def _ids() -> dict[str, str]:
    """A real id for each kind of object the routes name, so pages render, not only 404."""
    first = {
        "booking": Booking.objects.order_by("pk").first(),
        "response": IntakeResponse.objects.order_by("pk").first(),
        "payment": Payment.objects.order_by("pk").first(),
        "fee": FeeReduction.objects.order_by("pk").first(),
    }
    ids = {kind: str(obj.pk) if obj is not None else "1" for kind, obj in first.items()}
    patient = User.objects.filter(email=_patient_email()).get()
    service = Service.objects.order_by("pk").first()
    ids["patient"] = str(patient.pk)
    ids["slug"] = service.slug if service is not None else "x"
    return ids


def _fill(route: str, ids: dict[str, str]) -> str:
    """The route with each parameter replaced by a plausible value for its place."""
    if route.startswith("^"):  # a regex route: the calendar feed, with a made-up token
        return "/feeds/" + "a" * 32 + ".ics"
    kind = (
        "response"
        if route.startswith("me/intake/")
        else "payment"
        if route.startswith("payments/")
        else "fee"
        if route.startswith("fee-reductions/")
        else "patient"
        if route.startswith("practice/patients/")
        else "booking"
    )

    def value(match: re.Match[str]) -> str:
        converter, name = match.group(1) or "str", match.group(2)
        if converter == "int":
            return ids[kind]
        if converter == "slug" and name == "slug":
            return ids["slug"]
        return "not-a-real-value"

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", value, route)


def _patient_email() -> str:
    return next(p.email for p in PEOPLE if p.role == "patient")


class _Inline(HTMLParser):
    """Collects what a page would need 'unsafe-inline' for."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.nonces: list[str | None] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name in names:
            if name == "style" or name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
        # A script from a file is governed by script-src (our own files: 'self'); code written
        # in the page (not a JSON data block) and <style> blocks need the nonce.
        inline_script = tag == "script" and "src" not in names
        if tag == "style" or (inline_script and names.get("type") != "application/json"):
            self.nonces.append(names.get("nonce"))


@pytest.fixture
def demo(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("seed_demo", stdout=StringIO())


def _visitors() -> list[str]:
    return ["anonymous", *[p.email for p in PEOPLE]]


def _check(response: Any, url: str, problems: list[str]) -> None:
    policy = response.get("Content-Security-Policy", "")
    if not policy:
        problems.append(f"{url}: no Content-Security-Policy")
        return
    if "'unsafe-inline'" in policy or "'unsafe-eval'" in policy:
        problems.append(f"{url}: unsafe source in {policy}")
    if "camera=()" not in response.get("Permissions-Policy", ""):
        problems.append(f"{url}: no Permissions-Policy")
    # No page's address goes to another site (check-in links included: our own access log
    # redacts their tokens, portal.gunicorn_logging).
    if response.get("Referrer-Policy") != "same-origin":
        problems.append(f"{url}: Referrer-Policy {response.get('Referrer-Policy')!r}")
    if "text/html" not in response.get("Content-Type", ""):
        return  # Django's own admin templates are checked for their headers only
    page = _Inline()
    page.feed(response.content.decode())
    problems.extend(f"{url}: {p}" for p in page.problems)
    nonce = re.search(r"'nonce-([^']+)'", policy)
    for found in page.nonces:
        if nonce is None or found != nonce.group(1):
            problems.append(f"{url}: a script or style whose nonce is not the policy's")


def test_every_page_carries_the_policies_for_every_visitor(demo: None) -> None:
    ids = _ids()
    urls = sorted({_fill(route, ids) for route in _routes(get_resolver().url_patterns)})
    assert len(urls) > 60  # the walk found the site, not an empty resolver
    problems: list[str] = []
    html_pages = 0
    for visitor in _visitors():
        client = Client() if visitor == "anonymous" else client_for(User.objects.get(email=visitor))
        for url in urls:
            response = client.get(url)
            _check(response, url, problems)
            # Nothing drawn for someone signed in stays in a cache (the team dashboards carry
            # alert summaries; a shared clinic computer's Back button must not show them).
            if visitor != "anonymous" and "no-store" not in response.get("Cache-Control", ""):
                cached = response.get("Cache-Control")
                problems.append(f"{url} for {visitor}: Cache-Control {cached!r}")
            html_pages += response.status_code == 200 and "text/html" in response["Content-Type"]
    assert not problems, "\n".join(sorted(set(problems)))
    assert html_pages > 100  # pages were drawn, not only refused


def test_the_policy_allows_only_our_own_files_and_nonced_scripts(client: Client) -> None:
    response = client.get("/")
    policy = dict(
        part.strip().split(" ", 1)
        for part in response["Content-Security-Policy"].split(";")
        if " " in part.strip()
    )
    nonce = re.search(r"'nonce-([^']+)'", policy["script-src"])
    assert nonce is not None
    assert policy["script-src"] == f"'self' 'nonce-{nonce.group(1)}'"
    assert policy["default-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and policy["object-src"] == "'none'"
    assert "stripe" not in response["Content-Security-Policy"]
    assert f'nonce="{nonce.group(1)}"' in response.content.decode()
    # A new nonce for every response.
    assert nonce.group(1) not in client.get("/")["Content-Security-Policy"]
    features = response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()"):
        assert feature in features


_INLINE = [
    (re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.S), "an inline event handler"),
    (re.compile(r"<[a-zA-Z][^>]*\sstyle\s*=", re.S), "a style attribute"),
    (re.compile(r"<script(?![^>]*\snonce=)[^>]*>", re.S), "a <script> without the nonce"),
    (re.compile(r"<style(?![^>]*\snonce=)[^>]*>", re.S), "a <style> without the nonce"),
    (re.compile(r"<script(?![^>]*\ssrc=)[^>]*>\s*\S", re.S), "an inline script"),
]


def _page_templates() -> Iterator[Path]:
    for path in TEMPLATES.rglob("*.html"):
        if EMAIL_TEMPLATES not in path.parents:
            yield path


def test_no_template_needs_unsafe_inline() -> None:
    problems = [
        f"{path.relative_to(TEMPLATES)}: {what}"
        for path in _page_templates()
        for pattern, what in _INLINE
        if pattern.search(path.read_text())
    ]
    assert not problems, "\n".join(problems)


def test_the_template_check_catches_what_it_looks_for() -> None:
    caught = [
        what
        for sample in (
            '<select onchange="go()">',
            '<div class="x" style="width: 3px">',
            "<script>alert(1)</script>",
            "<style>p{}</style>",
        )
        for pattern, what in _INLINE
        if pattern.search(sample)
    ]
    assert len(set(caught)) >= 4
