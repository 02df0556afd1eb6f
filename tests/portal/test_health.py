"""/healthz against the real PostgreSQL and Redis, and the beat heartbeat."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import OperationalError, connection
from django.test import Client

from portal import health
from portal.celery import app
from portal.tasks import heartbeat
from tests.redis_dbs import spare_url

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
# How long /healthz may take when the broker is down: the check's own timeout
# (2 s) with a little room, far below a load balancer's probe timeout.
QUICK = 5.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def point_broker_at() -> Iterator[Callable[[str], None]]:
    """Point the Celery app (and the setting it was read from) at another broker."""
    original = app.conf.broker_url

    def point(url: str) -> None:
        # portal.celery read CELERY_BROKER_URL once, when the app was
        # configured; overriding the Django setting alone changes nothing.
        app.conf.update(broker_url=url)

    yield point
    app.conf.update(broker_url=original)


def _healthz(client: Client) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    response = client.get("/healthz")
    elapsed = time.monotonic() - started
    assert response["Content-Type"] == "application/json"
    return response.status_code, response.json(), elapsed


# --- the real services ------------------------------------------------------------------


def test_healthz_is_ok_against_the_real_database_and_broker(client: Client) -> None:
    assert connection.vendor == "postgresql", "run the suite with DATABASE_URL=postgres://..."
    assert app.conf.broker_url.startswith("redis://"), "run the suite with REDIS_URL set"

    status, body, _ = _healthz(client)

    assert status == 200
    assert body["status"] == "ok"
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert body["beat_seconds_ago"] is None  # no heartbeat yet in a clean cache


def test_healthz_is_never_cached(client: Client) -> None:
    response = client.get("/healthz")
    assert "no-cache" in response["Cache-Control"]
    assert "max-age=0" in response["Cache-Control"]


def test_healthz_needs_no_login_and_sets_no_session(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies


# --- broker down ---------------------------------------------------------------------------


def test_broker_on_a_closed_port_gives_503_quickly(
    client: Client, point_broker_at: Callable[[str], None]
) -> None:
    point_broker_at(f"redis://127.0.0.1:{_free_port()}/0")

    status, body, elapsed = _healthz(client)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["broker"].startswith("error")
    assert elapsed < QUICK


def test_broker_that_accepts_but_never_answers_gives_503_quickly(
    point_broker_at: Callable[[str], None],
) -> None:
    # A paused or overloaded Redis, or a half-open proxy: TCP connects, no reply.
    # The check must give up on its own timeout, not hang the web worker.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        point_broker_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        result: list[str] = []
        worker = threading.Thread(target=lambda: result.append(health.check_broker()), daemon=True)
        started = time.monotonic()
        worker.start()
        worker.join(timeout=QUICK * 3)
        elapsed = time.monotonic() - started

    assert not worker.is_alive(), "check_broker hung on a silent broker"
    assert result[0].startswith("error")
    assert elapsed < QUICK


def test_broker_check_reports_ok_again_once_the_broker_is_back(
    client: Client, point_broker_at: Callable[[str], None]
) -> None:
    original = app.conf.broker_url
    point_broker_at(f"redis://127.0.0.1:{_free_port()}/0")
    assert _healthz(client)[0] == 503
    point_broker_at(original)
    assert _healthz(client)[0] == 200


# --- database down ---------------------------------------------------------------------------


def test_database_down_gives_503(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", refuse)
        status, body, _ = _healthz(client)

    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"] == {"database": "error: OperationalError", "broker": "ok"}


def test_database_error_text_is_not_leaked(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError('password authentication failed for user "portal"')

    with monkeypatch.context() as patched:
        patched.setattr(connection, "cursor", refuse)
        assert health.check_database() == "error: OperationalError"


# --- heartbeat -------------------------------------------------------------------------------


def test_heartbeat_task_updates_beat_seconds_ago(client: Client) -> None:
    assert _healthz(client)[1]["beat_seconds_ago"] is None
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        heartbeat.apply()  # the task body, as a worker would run it
        assert _healthz(client)[1]["beat_seconds_ago"] == 0
    with time_machine.travel(start + timedelta(seconds=150), tick=False):
        assert _healthz(client)[1]["beat_seconds_ago"] == 150
        heartbeat()
        assert _healthz(client)[1]["beat_seconds_ago"] == 0


def test_a_stale_heartbeat_says_degraded(client: Client) -> None:
    # Beat stopped: nothing due (confirmations swept, check-ins, hold expiry) is being sent.
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False):
        heartbeat()
    status, body, _ = _healthz(client)
    assert status == 503
    assert body["status"] == "degraded"
    assert body["checks"] == {"database": "ok", "broker": "ok"}
    assert body["beat_seconds_ago"] > 3600


def test_degraded_after_three_minutes_not_before(client: Client) -> None:
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        heartbeat()
    with time_machine.travel(start + timedelta(seconds=180), tick=False):
        status, body, _ = _healthz(client)
        assert (status, body["status"]) == (200, "ok")
    with time_machine.travel(start + timedelta(seconds=181), tick=False):
        status, body, _ = _healthz(client)
        assert (status, body["status"]) == (503, "degraded")
        heartbeat()  # beat is back
        assert _healthz(client)[0] == 200


def test_the_beat_containers_check_follows_the_heartbeat() -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="No heartbeat yet"):
        call_command("check_beat")
    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        heartbeat()
        call_command("check_beat")
    with (
        time_machine.travel(start + timedelta(minutes=4), tick=False),
        pytest.raises(CommandError, match="240 s ago"),
    ):
        call_command("check_beat")


def test_a_cache_outage_does_not_break_the_health_check(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "get", broken)
    status, body, _ = _healthz(client)
    assert status == 200
    assert body["beat_seconds_ago"] is None


def test_heartbeat_is_scheduled_every_minute() -> None:
    entry = app.conf.beat_schedule["heartbeat"]
    assert entry["task"] == heartbeat.name == "portal.tasks.heartbeat"
    assert entry["schedule"] == 60.0
    assert heartbeat.name in app.tasks


@pytest.mark.slow
def test_a_real_worker_with_beat_records_the_heartbeat_in_redis(tmp_path: Path) -> None:
    # The worker gets a Redis database of its own (the spare after every test process's), so
    # its queue and heartbeat cannot mix with this or a parallel test process's.
    redis_url = spare_url()
    worker_cache = RedisCache(redis_url, {"KEY_PREFIX": "portal"})
    worker_cache.clear()
    assert worker_cache.get(health.HEARTBEAT_KEY) is None
    env = {
        **os.environ,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/portal"),
        "CACHE_KEY_PREFIX": "portal",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "worker.log"
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "portal",
        "worker",
        "--beat",
        "--loglevel=INFO",
        "--concurrency=1",
        "--without-gossip",
        "--without-mingle",
        f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
        f"--schedule={tmp_path / 'celerybeat-schedule'}",
    ]
    with log.open("wb") as out:
        worker = subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        # Beat first fires the every-minute heartbeat a minute after it starts.
        deadline = time.monotonic() + 100
        beat = None
        while time.monotonic() < deadline and worker.poll() is None:
            beat = worker_cache.get(health.HEARTBEAT_KEY)
            if beat is not None:
                break
            time.sleep(1)
        output = log.read_text(errors="replace")[-4000:]
        assert worker.poll() is None, f"worker exited early:\n{output}"
        assert beat is not None, f"no heartbeat within 100 s:\n{output}"
        # The worker is another process: it stamps the real clock even when the session
        # travels (pytest --clock), so compare with the real clock too.
        real_now = (
            time_machine.escape_hatch.time.time()
            if time_machine.escape_hatch.is_travelling()
            else time.time()
        )
        assert abs(real_now - float(beat)) < 100
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
        worker_cache.clear()
    assert worker.returncode == 0, log.read_text(errors="replace")[-4000:]
