"""Real processes for the follow-up reliability tests and benchmark: a Celery worker started as a
subprocess on the real Redis broker and database, and an SMTP sink (aiosmtpd) on loopback that
counts what it accepts."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from portal.celery import app

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class SmtpSink:
    """Accepts every message and counts deliveries per recipient.

    ``hold_after(n)`` lets n messages through and makes every later RCPT wait (like a stalled
    relay) until ``release()``: a client stuck there has not handed its message over yet.
    """

    def __init__(self) -> None:
        self.deliveries: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.waiting = 0
        self._admitted = 0  # RCPTs let through; counted there, not at DATA, so two
        # connections racing past the threshold cannot both slip through
        self._hold_after: int | None = None
        self._released = threading.Event()
        # Called with the running total once a message is accepted (the fault tests kill the
        # worker there); ``data_delay`` slows each DATA, like a busy relay.
        self.on_accept: Callable[[int], None] | None = None
        self.data_delay = 0.0
        self.port = free_port()
        # A fixed server name: the default looks up the host name for every connection.
        self.controller = Controller(
            self, hostname="127.0.0.1", port=self.port, server_hostname="sink.localhost"
        )

    def __enter__(self) -> SmtpSink:
        # aiosmtpd logs every SMTP line at INFO: thousands of lines in the benchmark.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self.controller.stop()

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.deliveries.values())

    def hold_after(self, count: int) -> None:
        self._hold_after = count

    def release(self) -> None:
        self._released.set()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        with self.lock:
            holding = self._hold_after is not None and not self._released.is_set()
            hold = holding and self._admitted >= (self._hold_after or 0)
            if hold:
                self.waiting += 1
            else:
                self._admitted += 1
        if hold:
            while not self._released.is_set():
                await asyncio.sleep(0.02)
            # Its client was killed while waiting; nothing was handed over.
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.deliveries[rcpt.lower()] += 1
            total = sum(self.deliveries.values())
        if self.on_accept is not None:
            self.on_accept(total)
        return "250 Message accepted for delivery"


def tally(expected: set[str], deliveries: dict[str, int]) -> dict[str, int]:
    """Expected, delivered (distinct), duplicated (extra copies) and lost messages of a run."""
    return {
        "expected": len(expected),
        "delivered": len(expected & set(deliveries)),
        "duplicated": sum(n - 1 for n in deliveries.values() if n > 1),
        "lost": len(expected - set(deliveries)),
    }


def database_url() -> str:
    """The URL of the database this test run uses (the test database), for a subprocess."""
    db = connection.settings_dict
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def worker_env(*, smtp_port: int | None, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": app.conf.broker_url,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    if smtp_port is not None:
        env.update(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            EMAIL_USE_TLS="false",
        )
    return env


def start_worker(
    *,
    queue: str,
    env: dict[str, str],
    log: Path,
    concurrency: int = 1,
    include: str | None = None,
) -> subprocess.Popen[bytes]:
    """A Celery worker consuming only ``queue`` (so no other test run's worker takes its tasks)."""
    command = [
        str(Path(sys.executable).with_name("celery")),
        "-A",
        "portal",
        "worker",
        "--loglevel=WARNING",
        "--pool=prefork",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--queues={queue}",
        f"--hostname=followup-{uuid.uuid4().hex[:8]}@%h",
    ]
    if include:
        command.append(f"--include={include}")
    with log.open("ab") as out:
        return subprocess.Popen(
            command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def kill_worker(worker: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool children at once: no warm shutdown, no acks."""
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)


def stop_worker(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_worker(worker)


def wait_for(
    condition: Callable[[], bool], *, timeout: float, what: str, poll: float = 0.05
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def purge_queue(queue: str) -> None:
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)  # type: ignore[attr-defined]
