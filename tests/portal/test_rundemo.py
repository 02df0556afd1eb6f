"""rundemo: the embedded demo starts, answers /healthz, and Ctrl-C stops all of it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
STOP_WITHIN = 20.0
# rundemo SIGKILLs children still running this long after asking them to stop.
KILL_GRACE = 15.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _marked_pids(token: str) -> set[int]:
    """Live processes carrying our marker in their environment (children inherit it).

    Zombies have an empty environ, so only processes still running are found.
    """
    marker = f"RUNDEMO_TEST_TOKEN={token}".encode()
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if marker in environ.split(b"\0"):
            found.add(int(entry.name))
    return found


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _healthz_status(port: int) -> int | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            status: int = response.status
            return status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return None


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
            return response.status, response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def _wait_for(condition: object, timeout: float, interval: float = 0.5) -> bool:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return bool(condition())


def test_rundemo_serves_and_stops_everything_on_ctrl_c(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        # The embedded demo: no Redis, the filesystem broker under var/broker.
        if key not in {"REDIS_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        RUNDEMO_TEST_TOKEN=token,
        PYTHONUNBUFFERED="1",
    )
    assert env["DATABASE_URL"].startswith("sqlite:////")
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=REPO,
        env=env,
        check=True,
        timeout=120,
    )
    log = tmp_path / "rundemo.log"
    with log.open("wb") as out:
        demo = subprocess.Popen(
            [python, "manage.py", "rundemo", "--addr", f"127.0.0.1:{port}"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output() -> str:
        return log.read_text(errors="replace")[-5000:]

    try:
        assert _wait_for(lambda: _healthz_status(port) == 200, timeout=60), (
            f"/healthz never answered 200 (last: {_healthz_status(port)}):\n{output()}"
        )
        # Let the worker finish booting so Ctrl-C meets a running worker.
        assert _wait_for(lambda: " ready." in log.read_text(errors="replace"), timeout=60), output()
        # Links in emails and printed by other commands use the address served on: every
        # process of the demo reads it in settings, a command run in another terminal too.
        site_url_file = REPO / "var" / "demo-site-url"
        assert site_url_file.read_text().strip() == f"http://127.0.0.1:{port}"
        shown = subprocess.run(
            [
                python,
                "-c",
                "import django; django.setup(); from django.conf import settings; "
                "print(settings.SITE_URL)",
            ],
            cwd=REPO,
            env={**env, "DJANGO_SETTINGS_MODULE": "portal.settings"},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert shown.stdout.strip() == f"http://127.0.0.1:{port}"
        # A mistyped address shows the portal's 404 page, not Django's list of URL patterns;
        # the style sheet is still served with DEBUG off.
        status, body = _get(port, "/no-such-page/")
        assert status == 404 and "We cannot find that page" in body, body[:500]
        assert "URLconf" not in body
        assert _get(port, "/static/css/portal.css")[0] == 200
        started = _marked_pids(token)
        # rundemo, the worker and its pool, runserver and its reloader child.
        assert len(started) >= 4, (started, output())

        # Ctrl-C in a terminal signals the whole foreground process group.
        os.killpg(demo.pid, signal.SIGINT)
        began = time.monotonic()
        try:
            demo.wait(timeout=STOP_WITHIN)
        except subprocess.TimeoutExpired:
            pytest.fail(f"rundemo still running {STOP_WITHIN}s after Ctrl-C:\n{output()}")
        stopped_after = time.monotonic() - began
        remaining_time = max(1.0, STOP_WITHIN - (time.monotonic() - began))
        assert _wait_for(lambda: not _marked_pids(token), timeout=remaining_time), (
            f"left running after Ctrl-C: {sorted(_marked_pids(token))}\n{output()}"
        )
        assert not _listening(port), "something still listens on the demo's port"
        assert demo.returncode == 0, output()
        assert not site_url_file.exists(), "the address outlived the demo"
        # Every child stopped on its own: none had to be killed after rundemo's
        # grace period (a hung worker shutdown shows up here).
        assert "stopped unexpectedly" not in output(), output()
        assert stopped_after < KILL_GRACE, f"took {stopped_after:.1f}s to stop:\n{output()}"
    finally:
        # Only the processes this test started: they carry its token.
        for pid in _marked_pids(token):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if demo.poll() is None:
            demo.kill()
            demo.wait()
