"""Exactly once with a real Celery worker on the real Redis broker and PostgreSQL, delivering to
a real SMTP server (aiosmtpd on loopback): a worker killed with SIGKILL in the middle of a batch
and started again leaves no message sent twice and none lost."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from booking.models import Booking, BookingStatus, Practitioner, Service
from followup.models import MessageKind, OutboxMessage, OutboxStatus
from followup.outbox import dispatch_due
from followup.tasks import enqueue_batches
from portal.celery import app
from portal.models import Clinic, User
from tests.booking.factories import PractitionerFactory, ServiceFactory
from tests.factories import UserFactory
from tests.followup.realworld import (
    SmtpSink,
    kill_worker,
    purge_queue,
    start_worker,
    stop_worker,
    tally,
    wait_for,
    worker_env,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

BATCH = 40
KILL_AFTER = 12  # deliveries before the relay stalls and the worker is killed
CONCURRENCY = 2


def make_due_messages(count: int) -> list[OutboxMessage]:
    """``count`` patients, each with a visit tomorrow and its guidance due now."""
    clinic = Clinic.objects.current()
    # No quiet hours: the test must not depend on the hour CI runs at.
    clinic.quiet_hours_start = clinic.quiet_hours_end = clock(0)
    clinic.save()
    practitioner: Practitioner = PractitionerFactory.create()
    service: Service = ServiceFactory.create(practitioners=[practitioner])
    patients: list[User] = UserFactory.create_batch(count, password="x")
    start = timezone.now() + timedelta(days=1)
    visits = Booking.objects.bulk_create(
        Booking(
            clinic=clinic,
            patient=p,
            service=service,
            kind=service.kind,
            practitioner=practitioner,
            starts_at=start + timedelta(hours=i),
            ends_at=start + timedelta(hours=i, minutes=45),
            blocked_from=start + timedelta(hours=i),
            blocked_until=start + timedelta(hours=i, minutes=45),
            status=BookingStatus.CONFIRMED,
        )
        for i, p in enumerate(patients)
    )
    now = timezone.now()
    return OutboxMessage.objects.bulk_create(
        OutboxMessage(kind=MessageKind.PRE_VISIT, recipient=v.patient, booking=v, due_at=now)
        for v in visits
    )


@pytest.fixture
def queue() -> Iterator[str]:
    name = f"followup-test-{uuid.uuid4().hex[:8]}"
    yield name
    purge_queue(name)


def test_a_worker_killed_mid_batch_sends_nothing_twice_and_loses_nothing(
    tmp_path: Path, queue: str
) -> None:
    assert connection.vendor == "postgresql"
    assert app.conf.broker_url.startswith("redis://"), "run with REDIS_URL set"
    rows = make_due_messages(BATCH)
    expected = {r.recipient.email.lower() for r in rows}

    def enqueue(ids: list[int]) -> None:
        # The beat's own way (``followup.tasks.enqueue_batches``), in batches small enough that
        # both pool processes are killed in the middle of one.
        enqueue_batches(ids, queue=queue, size=8)

    log = tmp_path / "worker.log"
    with SmtpSink() as sink:
        env = worker_env(smtp_port=sink.port)
        sink.hold_after(KILL_AFTER)
        worker = start_worker(queue=queue, env=env, log=log, concurrency=CONCURRENCY)
        try:
            assert dispatch_due(now=timezone.now(), enqueue=enqueue) == BATCH
            # Every pool process is now inside an SMTP conversation that has not handed its
            # message over: kill the whole worker there, with tasks still queued and reserved.
            wait_for(
                lambda: sink.waiting >= CONCURRENCY,
                timeout=60,
                what=f"the worker to reach the stalled relay ({log.read_text()[-2000:]})",
            )
            kill_worker(worker)
        finally:
            if worker.poll() is None:
                kill_worker(worker)
        delivered_before = sink.total
        claimed = OutboxMessage.objects.filter(status=OutboxStatus.SENDING).count()
        assert delivered_before == KILL_AFTER
        # Each pool process had claimed its batch of 8 and was inside the SMTP conversation
        # of one of them: what those batches had not sent yet is left claimed behind them.
        assert CONCURRENCY <= claimed <= 2 * 8 * CONCURRENCY - KILL_AFTER, claimed
        assert OutboxMessage.objects.filter(status=OutboxStatus.SENT).count() == KILL_AFTER
        sink.release()

        # A new worker; the beat's dispatcher (run here, every half second) puts back the dead
        # worker's claims after the lease and re-queues the tasks it had reserved.
        worker = start_worker(queue=queue, env=env, log=log, concurrency=CONCURRENCY)
        try:
            with override_settings(FOLLOWUP_SENDING_LEASE_SECONDS=2, FOLLOWUP_REQUEUE_SECONDS=2):

                def all_sent() -> bool:
                    dispatch_due(now=timezone.now(), enqueue=enqueue)
                    return not OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists()

                wait_for(all_sent, timeout=90, what="every message to be sent", poll=0.5)
        finally:
            stop_worker(worker)
        deliveries = dict(sink.deliveries)

    duplicates = {rcpt: n for rcpt, n in deliveries.items() if n > 1}
    lost = expected - set(deliveries)
    assert duplicates == {}, f"sent twice: {duplicates}"
    assert lost == set(), f"never sent: {sorted(lost)}"
    assert sum(deliveries.values()) == BATCH
    recovered = OutboxMessage.objects.filter(attempts__gt=1)
    assert recovered.count() >= CONCURRENCY  # the killed claims went out on a second attempt


# --- More faults (issue 15): the broker restarted empty, the database dropping the worker's
# connections, a worker killed just after the relay accepted a message. Each prints its tally.


def confirmations_put(count: int) -> set[str]:
    """``count`` confirmations, each put in its booking's transaction as ``booking_create`` does
    (the hand-off to a worker goes on the broker's default queue after each commit)."""
    from django.db import transaction

    from portal.messaging import outbox_put

    rows = make_due_messages(count)
    OutboxMessage.objects.all().delete()  # the guidance rows; confirmations instead
    for row in rows:
        with transaction.atomic():
            outbox_put(
                kind=MessageKind.BOOKING_CONFIRMED, to_user=row.recipient, booking=row.booking
            )
    return {r.recipient.email.lower() for r in rows}


def sweep_until_sent(enqueue: object, *, timeout: float, during: object = None) -> None:
    """Run the beat's dispatcher every half second until every row is sent."""

    def all_sent() -> bool:
        if callable(during):
            during()
        dispatch_due(now=timezone.now(), enqueue=enqueue)  # type: ignore[arg-type]
        return not OutboxMessage.objects.exclude(status=OutboxStatus.SENT).exists()

    wait_for(all_sent, timeout=timeout, what="every message to be sent", poll=0.5)


def test_the_broker_restarted_empty_loses_no_confirmation(tmp_path: Path, queue: str) -> None:
    import redis

    expected = confirmations_put(BATCH)
    # The hand-offs are on the broker; Redis restarts with nothing (FLUSHDB of this run's db).
    broker = redis.Redis.from_url(app.conf.broker_url)
    assert broker.llen("celery") >= BATCH  # the default queue no test worker reads
    broker.flushdb()
    assert broker.llen("celery") == 0
    assert OutboxMessage.objects.filter(status=OutboxStatus.PENDING).count() == BATCH

    def enqueue(ids: list[int]) -> None:
        enqueue_batches(ids, queue=queue, size=8)

    with SmtpSink() as sink:
        worker = start_worker(
            queue=queue, env=worker_env(smtp_port=sink.port), log=tmp_path / "worker.log"
        )
        try:
            sweep_until_sent(enqueue, timeout=60)
        finally:
            stop_worker(worker)
        counts = tally(expected, dict(sink.deliveries))
    print(f"\nbroker restarted empty: {counts}")
    assert counts == {"expected": BATCH, "delivered": BATCH, "duplicated": 0, "lost": 0}


def test_database_connections_terminated_mid_run_send_nothing_twice(
    tmp_path: Path, queue: str
) -> None:
    import psycopg

    from tests.followup.realworld import database_url

    expected = {r.recipient.email.lower() for r in make_due_messages(BATCH)}
    with connection.cursor() as cursor:  # this test's own connection (the dispatcher's) stays
        cursor.execute("SELECT pg_backend_pid()")
        (own,) = cursor.fetchone()
    terminated: list[int] = []

    def drop_the_workers_connections() -> None:
        # From the relay's thread (no Django there): a connection of its own, as an operator's.
        with psycopg.connect(database_url(), autocommit=True) as admin:
            rows = admin.execute(
                "SELECT pid, pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> %s",
                [own],
            ).fetchall()
        terminated.extend(pid for pid, _ in rows)

    def enqueue(ids: list[int]) -> None:
        enqueue_batches(ids, queue=queue, size=8)

    log = tmp_path / "worker.log"
    with SmtpSink() as sink:
        sink.data_delay = 0.05  # a relay that takes its time: the run lasts a few seconds
        # Every fifth acceptance, PostgreSQL drops the worker's connections: the worker is
        # between the relay's "250" and its mark, the moment that used to send twice.
        sink.on_accept = lambda total: drop_the_workers_connections() if total % 5 == 0 else None
        worker = start_worker(queue=queue, env=worker_env(smtp_port=sink.port), log=log)
        try:
            # A lease longer than the mark's retries: a claim is only taken back from the dead.
            with override_settings(FOLLOWUP_SENDING_LEASE_SECONDS=5, FOLLOWUP_REQUEUE_SECONDS=3):
                dispatch_due(now=timezone.now(), enqueue=enqueue)
                sweep_until_sent(enqueue, timeout=60)
        finally:
            stop_worker(worker)
        counts = tally(expected, dict(sink.deliveries))
    reconnects = log.read_text(errors="replace").count("marking sent failed")
    print(
        f"\ndatabase connections terminated {len(terminated)} times: {counts}, "
        f"marks retried on a new connection: {reconnects}"
    )
    assert terminated, "no connection of the worker was terminated"
    assert counts == {"expected": BATCH, "delivered": BATCH, "duplicated": 0, "lost": 0}


KILL_RUNS = 3
KILL_BATCH = 16
# How long after the relay's acceptance the kill lands: about the time a worker needs to read
# the "250" and commit its one-row mark.
KILL_DELAY = 0.002


def test_a_worker_killed_just_after_the_relay_accepted(tmp_path: Path, queue: str) -> None:
    """The one window email cannot close: measured, never lost, at most the one message."""
    import os
    import signal
    import threading

    def enqueue(ids: list[int]) -> None:
        enqueue_batches(ids, queue=queue, size=8)

    runs = []
    for run in range(KILL_RUNS):
        OutboxMessage.objects.all().delete()
        expected = {r.recipient.email.lower() for r in make_due_messages(KILL_BATCH)}
        log = tmp_path / f"worker-{run}.log"
        with SmtpSink() as sink:
            env = worker_env(smtp_port=sink.port)
            worker = start_worker(queue=queue, env=env, log=log)
            killed = threading.Event()

            def kill_at_acceptance(
                total: int, worker: object = worker, killed: threading.Event = killed
            ) -> None:
                # SIGKILL a moment after the relay answers "250" (this hook runs just before the
                # answer is written): the worker has the answer and is marking the row sent.
                if total == KILL_BATCH // 2 and not killed.is_set():
                    pid = worker.pid  # type: ignore[attr-defined]
                    threading.Timer(KILL_DELAY, os.killpg, [pid, signal.SIGKILL]).start()
                    threading.Timer(KILL_DELAY, killed.set).start()

            sink.on_accept = kill_at_acceptance
            dispatch_due(now=timezone.now(), enqueue=enqueue)
            wait_for(killed.is_set, timeout=60, what=f"the kill ({log.read_text()[-2000:]})")
            kill_worker(worker)
            sink.on_accept = None
            worker = start_worker(queue=queue, env=env, log=log)
            try:
                with override_settings(
                    FOLLOWUP_SENDING_LEASE_SECONDS=2, FOLLOWUP_REQUEUE_SECONDS=2
                ):
                    sweep_until_sent(enqueue, timeout=60)
            finally:
                stop_worker(worker)
            runs.append(tally(expected, dict(sink.deliveries)))
    print(f"\nworker killed at the relay's acceptance, {KILL_RUNS} runs: {runs}")
    duplicated_runs = sum(1 for r in runs if r["duplicated"])
    print(f"duplicate rate: {duplicated_runs}/{KILL_RUNS} kills")
    assert all(r["lost"] == 0 and r["delivered"] == KILL_BATCH for r in runs)
    # Only the message in flight at the kill can go twice.
    assert all(r["duplicated"] <= 1 for r in runs)
