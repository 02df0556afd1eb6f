"""Tokens in URLs stay out of the logs: Django's request log, the health-data access log and
gunicorn's access log (the last one started for real in tests/test_deploy.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from io import StringIO
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from gunicorn.config import Config

from followup.links import make_token
from followup.models import CheckInStage
from intake.access_log import log_health_access
from intake.models import HealthAccess
from portal.gunicorn_logging import RedactingLogger
from portal.models import User
from portal.redaction import REDACTED, RedactSecrets, redact

TOKEN = make_token(booking_id=123, stage=CheckInStage.CHECKIN)


def _secret_urls() -> list[tuple[str, str]]:
    return [
        (reverse("followup:checkin", args=[TOKEN]), TOKEN),
        (reverse("practice:ics", args=["f" * 40]), "f" * 40),
        (reverse("account_confirm_email", args=["MTIz:1tAbCd:xyz-key"]), "MTIz:1tAbCd:xyz-key"),
        (
            reverse("account_reset_password_from_key", args=["3f", "set-password"]),
            "3f-set-password",
        ),
    ]


@pytest.mark.parametrize("index", range(4))
def test_every_url_that_carries_a_secret_is_redacted(index: int) -> None:
    url, secret = _secret_urls()[index]
    line = f'GET {url}?x=1 HTTP/1.1" 200 "https://portal.example{url}"'
    cleaned = redact(line)
    assert secret not in cleaned
    assert cleaned.count(REDACTED) == 2


def _token_patterns(patterns: list[URLPattern | URLResolver], namespace: str = "") -> Iterator[str]:
    """The names of the project's URL patterns that carry a ``token``."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _token_patterns(entry.url_patterns, inner)
        elif "token" in entry.pattern.regex.groupindex and entry.name:
            yield namespace + entry.name


def test_every_project_url_with_a_token_is_redacted() -> None:
    # Walks the resolver, so a new tokened URL fails here until redaction knows it.
    names = sorted(set(_token_patterns(get_resolver().url_patterns)))
    assert len(names) >= 4
    secret = "S3cretT0kenS3cretT0kenS3cretT0ken"
    for name in names:
        url = reverse(name, kwargs={"token": secret})
        assert secret not in redact(f"GET {url} HTTP/1.1"), name


def test_other_paths_are_left_alone() -> None:
    line = "GET /practice/calendar/?week=2027-03-01&p=3 HTTP/1.1"
    assert redact(line) == line


@pytest.mark.parametrize(
    "line",
    [
        "GET /practice/patients/?q=Alex+Barnes HTTP/1.1",
        "GET /book/for/?service=treatment&q=14%2F07%2F1986 HTTP/1.1",
        "GET /desk/audit/?action=&person=07700%20900123&since= HTTP/1.1",
        'GET /desk/callers/new/?q=barnes" 200 "https://portal.example/practice/patients/?q=barnes"',
    ],
)
def test_what_the_team_searched_people_by_is_redacted(line: str) -> None:
    cleaned = redact(line)
    assert not any(term in cleaned for term in ("Alex", "1986", "900123", "barnes"))
    assert REDACTED in cleaned and cleaned.startswith("GET /")


@pytest.fixture
def console() -> Iterator[StringIO]:
    """What the portal's own console handler (settings.LOGGING) writes, for this test."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, RedactSecrets) for f in h.filters)
    )
    assert isinstance(handler, logging.StreamHandler)
    stream = StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


@pytest.mark.django_db
def test_django_s_request_log_does_not_keep_the_token(console: StringIO) -> None:
    # A tampered link is a 400, which Django logs with the path.
    tampered = TOKEN[:-3] + "xyz"
    Client().get(reverse("followup:checkin", args=[tampered]))
    written = console.getvalue()
    assert "Bad Request: /checkin/[redacted]/" in written
    assert tampered not in written and TOKEN[:20] not in written


@pytest.mark.django_db
def test_the_health_data_access_log_keeps_the_path_without_tokens(
    practitioner: User, patient: User
) -> None:
    request = RequestFactory().get(f"/checkin/{TOKEN}/")
    log_health_access(viewer=practitioner, patient=patient, what="test", request=request)
    assert HealthAccess.objects.get().path == "/checkin/[redacted]/"


def test_gunicorn_s_access_log_fields_are_redacted() -> None:
    logger = RedactingLogger(Config())
    path = f"/checkin/{TOKEN}/"
    request = SimpleNamespace(
        method="GET",
        path=path,
        query="",
        uri=path,
        version=(1, 1),
        headers=[("REFERER", f"https://portal.example{path}")],
    )
    response = SimpleNamespace(status="200 OK", sent=10, headers=[], status_code=200)
    environ: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.2",
        "HTTP_REFERER": f"https://portal.example{path}",
    }
    atoms = logger.atoms(response, request, environ, SimpleNamespace(seconds=0, microseconds=5))
    assert all(TOKEN not in str(value) for value in atoms.values())
    assert atoms["r"] == "GET /checkin/[redacted]/ HTTP/1.1"
    assert atoms["f"] == "https://portal.example/checkin/[redacted]/"
