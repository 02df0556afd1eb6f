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
        assert claimed == CONCURRENCY, "the killed worker's claims should be left behind"
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
