"""Marking a message sent survives a dropped database connection: the relay has the message, so
the worker reconnects and retries that one update instead of leaving the claim to expire (which
would send it again). Real PostgreSQL: the worker's connection is terminated by the server."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.core import mail
from django.db import OperationalError
from django.db import connection as db
from django.test import override_settings

from booking.models import Booking, Service
from followup import outbox
from followup.models import MessageKind, OutboxMessage, OutboxStatus
from followup.outbox import deliver
from portal.messaging import RenderedEmail, outbox_put
from portal.models import Clinic, User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import local
from tests.followup.conftest import book
from tests.followup.realworld import database_url

pytestmark = pytest.mark.django_db(transaction=True)


def terminate(pid: int) -> None:
    """Have PostgreSQL drop backend ``pid``, as a restart or a failover does."""
    with psycopg.connect(database_url(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [pid])


@pytest.fixture
def confirmation(private: Service, patient: User) -> OutboxMessage:
    clinic = Clinic.objects.current()
    clinic.quiet_hours_start = clinic.quiet_hours_end = clinic.opens_at  # no quiet hours
    clinic.save()
    booking: Booking = book(patient, private, local(WED, 9), now=NOW)
    row, _ = outbox_put(
        kind=MessageKind.BOOKING_CONFIRMED,
        to_user=patient,
        booking=booking,
        due_at=NOW,
        send_now=False,
    )
    return row


def test_the_connection_dropped_after_the_relay_accepted_is_marked_sent_on_a_new_one(
    confirmation: OutboxMessage, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert db.vendor == "postgresql"
    sent = outbox.send_email
    dropped: list[int] = []

    def send_then_lose_the_database(to: str, email: RenderedEmail, **kwargs: Any) -> None:
        sent(to, email, **kwargs)  # the relay accepted it
        pid = db.connection.info.backend_pid
        terminate(pid)
        dropped.append(pid)

    monkeypatch.setattr(outbox, "send_email", send_then_lose_the_database)
    assert deliver(confirmation.pk, now=NOW) == "sent"
    assert len(mail.outbox) == 1 and dropped
    row = OutboxMessage.objects.get(pk=confirmation.pk)
    assert row.status == OutboxStatus.SENT
    assert db.connection.info.backend_pid != dropped[0]  # a new connection marked it


def test_a_database_away_for_longer_than_the_retries_leaves_the_claim(
    confirmation: OutboxMessage, monkeypatch: pytest.MonkeyPatch
) -> None:
    tries: list[int] = []

    def finish_fails(message_id: int, **fields: object) -> None:
        tries.append(message_id)
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(outbox, "_finish", finish_fails)
    monkeypatch.setattr(outbox, "MARK_PAUSE_SECONDS", 0)
    with pytest.raises(OperationalError):
        deliver(confirmation.pk, now=NOW)
    assert len(tries) == outbox.MARK_TRIES
    monkeypatch.undo()
    # The claim stays "sending": after the lease the dispatcher sends it again (at least once).
    assert OutboxMessage.objects.get(pk=confirmation.pk).status == OutboxStatus.SENDING


@override_settings(FOLLOWUP_MAX_ATTEMPTS=5)
def test_a_mark_that_fails_once_is_retried_once(
    confirmation: OutboxMessage, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = outbox._finish
    calls: list[dict[str, object]] = []

    def flaky(message_id: int, **fields: object) -> None:
        calls.append(fields)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        real(message_id, **fields)

    monkeypatch.setattr(outbox, "_finish", flaky)
    monkeypatch.setattr(outbox, "MARK_PAUSE_SECONDS", 0)
    assert deliver(confirmation.pk, now=NOW) == "sent"
    assert [c["status"] for c in calls] == [OutboxStatus.SENT, OutboxStatus.SENT]
    assert len(mail.outbox) == 1
