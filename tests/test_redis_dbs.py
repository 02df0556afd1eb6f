"""Parallel test processes (pytest-xdist) each get their own Redis database: tests/redis_dbs.py."""

from __future__ import annotations

import os

import pytest
from django.conf import settings

from tests.redis_dbs import SPARE_ENV, db_of, spare_url, with_db, worker_environments


def test_each_worker_counts_up_from_the_runs_database_and_the_spare_follows() -> None:
    envs = worker_environments({"REDIS_URL": "redis://127.0.0.1:6379/12"}, 2)
    assert envs == [
        {"REDIS_URL": "redis://127.0.0.1:6379/12", SPARE_ENV: "redis://127.0.0.1:6379/14"},
        {"REDIS_URL": "redis://127.0.0.1:6379/13", SPARE_ENV: "redis://127.0.0.1:6379/14"},
    ]


def test_a_broker_url_of_its_own_is_spread_the_same_way() -> None:
    envs = worker_environments(
        {"REDIS_URL": "redis://h:6379/1", "CELERY_BROKER_URL": "redis://h:6379/4"}, 2
    )
    assert [env["CELERY_BROKER_URL"] for env in envs] == ["redis://h:6379/4", "redis://h:6379/5"]
    assert [env["REDIS_URL"] for env in envs] == ["redis://h:6379/1", "redis://h:6379/2"]


def test_no_redis_url_leaves_the_workers_without_one() -> None:
    envs = worker_environments({}, 2)
    assert all("REDIS_URL" not in env for env in envs)
    assert envs[0][SPARE_ENV] == "redis://127.0.0.1:6379/3"


def test_past_the_last_database_is_refused() -> None:
    with pytest.raises(ValueError, match="does not exist"):
        worker_environments({"REDIS_URL": "redis://127.0.0.1:6379/14"}, 2)
    assert db_of("redis://127.0.0.1:6379") == 0
    assert with_db("redis://:pw@h:6379/0", 7) == "redis://:pw@h:6379/7"


def test_this_process_uses_its_own_database_and_the_spare_is_none_of_the_runs() -> None:
    url = os.environ.get("REDIS_URL")
    if not url:
        pytest.skip("this run has no REDIS_URL")
    assert settings.CACHES["default"]["LOCATION"] == url
    assert os.environ.get("CELERY_BROKER_URL", url) == settings.CELERY_BROKER_URL
    # The spare comes after every worker's database, this one's included.
    assert db_of(spare_url()) > db_of(url)
