"""Liveness of what the portal depends on, for /healthz."""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import DatabaseError, connection

HEARTBEAT_KEY = "portal:beat-heartbeat"
# Beat queues the heartbeat every minute; three minutes without one means beat (or every worker)
# has stopped, and with it the outbox dispatcher, hold expiry and refund retries.
BEAT_STALE_SECONDS = 180


def check_database() -> str:
    """Return "ok", or a short reason the database cannot be reached."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return f"error: {type(exc).__name__}"
    return "ok"


def check_broker(timeout: int = 2) -> str:
    """Return "ok" if the Celery broker accepts a connection within ``timeout`` seconds."""
    from portal.celery import app

    # Socket timeouts, not just ensure_connection's: a broker that accepts the
    # TCP connection but never answers (paused, overloaded, a half-open proxy)
    # would otherwise hang this check, and the web worker serving it, forever.
    # Transports ignore the options they do not know.
    socket_options = {"socket_timeout": timeout, "socket_connect_timeout": timeout}
    try:
        with app.connection_for_write(
            connect_timeout=timeout, transport_options=socket_options
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout, interval_start=0)
    except Exception as exc:  # kombu raises transport-specific errors
        return f"error: {type(exc).__name__}"
    return "ok"


def record_heartbeat() -> None:
    cache.set(HEARTBEAT_KEY, time.time(), timeout=None)


def seconds_since_heartbeat() -> int | None:
    """How long ago the beat heartbeat task last ran, if it ever did."""
    try:
        last = cache.get(HEARTBEAT_KEY)
    except Exception:  # a cache outage must not break the health check itself
        return None
    return None if last is None else max(0, int(time.time() - float(last)))


def beat_is_stale(seconds_ago: int | None) -> bool:
    """Beat has not run for ``BEAT_STALE_SECONDS``. No heartbeat at all (a new deployment, a
    flushed cache) is not stale: the beat container's own check says whether it started."""
    return seconds_ago is not None and seconds_ago > BEAT_STALE_SECONDS
