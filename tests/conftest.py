from __future__ import annotations

import os
from datetime import datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from portal.models import Clinic, Role, User
from tests.factories import UserFactory
from tests.redis_dbs import worker_environments


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--clock",
        metavar="INSTANT",
        default=None,
        help=(
            "Run the whole session as if the wall clock read INSTANT (ISO 8601 with its offset, "
            "e.g. 2026-12-07T17:48:00+00:00), ticking on from there: time-machine travels "
            "before the test databases and live servers start, in every xdist worker."
        ),
    )


def clock_instant(value: str) -> datetime:
    """The ``--clock`` value as an aware datetime; a usage error if it is not one."""
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise pytest.UsageError(f"--clock: {value!r} is not an ISO 8601 instant") from None
    if instant.tzinfo is None:
        # A naive instant would be read in the machine's zone: say which one is meant.
        raise pytest.UsageError(f"--clock: {value!r} needs its UTC offset (e.g. +00:00)")
    return instant


_session_clock: list[time_machine.travel] = []


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    # pytest_configure runs in the controller and in each xdist worker before any session
    # fixture (test databases, live_server, localstripe), so all of them see the travelled
    # clock; tests that travel themselves nest inside it. Subprocesses (Chromium, Celery
    # workers, localstripe) and PostgreSQL's now() keep the real clock.
    value = config.getoption("--clock", default=None)
    if value:
        travel = time_machine.travel(clock_instant(value), tick=True)
        travel.start()
        _session_clock.append(travel)


def pytest_unconfigure(config: pytest.Config) -> None:
    while _session_clock:
        _session_clock.pop().stop()


def pytest_report_header(config: pytest.Config) -> str | None:
    value = config.getoption("--clock", default=None)
    return f"clock: travelled to {value} (time-machine, ticking)" if value else None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config: pytest.Config, specs: list[Any]) -> None:
    """pytest-xdist (``make test`` runs ``-n 2``): each worker process starts with a Redis
    database of its own in its environment, set before it loads Django's settings
    (``tests/redis_dbs.py``). Its PostgreSQL database is its own already: pytest-django adds
    the worker's id to the test database's name (test_portal_gw0, test_portal_gw1)."""
    try:
        environments = worker_environments(dict(os.environ), len(specs))
    except ValueError as error:
        raise pytest.UsageError(str(error)) from None
    for spec, env in zip(specs, environments, strict=True):
        spec.env.update(env)


@pytest.fixture(autouse=True)
def _clean_cache() -> None:
    # Rate limits and the heartbeat live in the cache (Redis in CI): start clean.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def clinic(db: None) -> Clinic:
    return Clinic.objects.current()


@pytest.fixture
def patient(clinic: Clinic) -> User:
    return UserFactory.create(email="patient@example.com", first_name="Alex")


@pytest.fixture
def other_patient(clinic: Clinic) -> User:
    # A fixed name: tests assert the patient's name ("Alex") is absent from pages this user
    # sees, and a random one ("Alexandria") could contain it.
    return UserFactory.create(email="other.patient@example.com", first_name="Quinn")


@pytest.fixture
def practitioner(clinic: Clinic) -> User:
    return UserFactory.create(email="mei@example.com", first_name="Mei", role=Role.PRACTITIONER)


@pytest.fixture
def front_desk(clinic: Clinic) -> User:
    return UserFactory.create(email="desk@example.com", first_name="Sam", role=Role.STAFF)


@pytest.fixture
def owner(clinic: Clinic) -> User:
    """The clinic owner: a staff account with is_superuser (the one who may change roles)."""
    user = UserFactory.create(email="owner@example.com", first_name="Helen", role=Role.STAFF)
    User.objects.filter(pk=user.pk).update(is_superuser=True, is_staff=True)
    return User.objects.get(pk=user.pk)


def client_for(user: User) -> Client:
    """A browser signed in as ``user``; a team member's session has passed the code step."""
    from portal.team_security import is_team_member
    from tests.second_factor import pass_second_factor

    client = Client()
    client.force_login(user)
    if is_team_member(user):
        pass_second_factor(client, user)
    return client


def reauthenticated(user: User) -> Client:
    """``client_for`` that has just re-entered its password (allauth's reauthentication), as
    the pages behind ``sensitive_action`` ask."""
    from django.urls import reverse

    from tests.factories import TEST_PASSWORD

    client = client_for(user)
    answer = client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    assert answer.status_code == 302
    return client


@pytest.fixture
def no_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send routine outbox emails (refunds, fee decisions...) whatever the hour the test runs at;
    quiet hours themselves are tested in tests/followup."""
    monkeypatch.setattr("followup.outbox.quiet_until", lambda *args, **kwargs: None)
