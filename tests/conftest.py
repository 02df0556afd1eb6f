from __future__ import annotations

import os
from typing import Any

import pytest
from django.test import Client

from portal.models import Clinic, Role, User
from tests.factories import UserFactory
from tests.redis_dbs import worker_environments


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
    return UserFactory.create(email="other.patient@example.com")


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
