"""Which Redis database each test process uses, so parallel runs (pytest-xdist) never share one.

``make test`` runs the suite on several processes. Each gets the Redis database after the one
before: with ``REDIS_URL=redis://127.0.0.1:6379/1`` and two workers, gw0 uses db 1 and gw1 db 2.
Tests clear their database (``cache.clear()`` before every test, ``FLUSHDB`` in the broker
tests) and count what is on its queues, so a shared one would let one process wipe or take
another's keys, rate limits and tasks. One more database after the workers' (db 3 there) is
the spare that a test's own Celery worker with beat gets (``tests/portal/test_health.py``), so
its queue and heartbeat mix with no test process.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

# Redis's default ``databases``: db 0 to db 15.
REDIS_DATABASES = 16
SPARE_ENV = "TEST_SPARE_REDIS_URL"
# ``make test``'s default, when the run has no REDIS_URL (its tests then use no Redis at all).
DEFAULT_URL = "redis://127.0.0.1:6379/1"
# Variables naming a Redis database that a worker process must have its own of.
PER_WORKER = ("REDIS_URL", "CELERY_BROKER_URL")


def db_of(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path else 0


def with_db(url: str, db: int) -> str:
    if not 0 <= db < REDIS_DATABASES:
        raise ValueError(
            f"Redis database {db} does not exist (db 0 to {REDIS_DATABASES - 1}): start from a "
            f"lower REDIS_URL database or run fewer workers (-n)"
        )
    return urlunsplit(urlsplit(url)._replace(path=f"/{db}"))


def worker_environments(environ: dict[str, str], workers: int) -> list[dict[str, str]]:
    """The variables to set in each of ``workers`` processes: its own Redis databases (from
    the run's own, counting up) and the spare after them all."""
    spare = _spare(environ, workers)
    envs: list[dict[str, str]] = []
    for index in range(workers):
        env = {SPARE_ENV: spare}
        for name in PER_WORKER:
            url = environ.get(name, "")
            if url.startswith(("redis://", "rediss://")):
                env[name] = with_db(url, db_of(url) + index)
        envs.append(env)
    return envs


def spare_url() -> str:
    """A Redis database no test process of this run uses (see the module's docstring)."""
    return os.environ.get(SPARE_ENV) or _spare(os.environ, workers=1)


def _spare(environ: Mapping[str, str], workers: int) -> str:
    # The database after the ``workers`` the run's processes use (one when not in parallel).
    base_url = environ.get("REDIS_URL") or DEFAULT_URL
    return with_db(base_url, db_of(base_url) + workers)
