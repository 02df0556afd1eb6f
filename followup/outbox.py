"""The outbox: put a message in once, find what is due, claim it, send it, mark it.

Exactly once, as far as email allows: a row is unique per (kind, booking or recipient,
extra), so planning twice adds nothing; a worker claims its batch of rows at once (a locking
read that skips rows another worker holds, then pending/held -> sending) so a duplicated or
retried task finds them claimed and sends nothing; it then sends them in turn, each marked sent
straight after the mail server accepts it (on a new database connection if the old one
dropped). Rows are put by every app through ``portal.messaging.outbox_put``, in the transaction
of what they announce. A worker killed mid-send leaves its claims behind; once a claim is
older than the lease the dispatcher puts the row back. The one gap email cannot close: a
worker killed after the server accepted a message but before the mark is committed sends that
message again (at least once, never lost).
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import InterfaceError, OperationalError, transaction
from django.db import connection as db_connection
from django.db.models import F, Q
from django.utils import timezone

from followup import backlog
from followup.messages import Skip, prepare
from followup.models import WAITING_STATUSES, OutboxMessage, OutboxStatus
from followup.schedule import quiet_until, retry_delay
from portal.messaging import send_email
from portal.models import Clinic

log = logging.getLogger(__name__)


NO_EMAIL_REASON = "No email address: the front desk added this patient without one."


def lease() -> timedelta:
    """How long a claim may last before its worker is presumed dead."""
    return timedelta(seconds=settings.FOLLOWUP_SENDING_LEASE_SECONDS)


def requeue_after() -> timedelta:
    """How long a row put on the broker may wait for a worker before it is put on again."""
    return timedelta(seconds=settings.FOLLOWUP_REQUEUE_SECONDS)


def _is_permanent(exc: Exception) -> bool:
    """A refusal that will not change on retry (bad address, policy), as opposed to an outage."""
    if isinstance(exc, AnymailRecipientsRefused):
        return True
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in exc.recipients.values())
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return True
    return not isinstance(exc, OSError | AnymailError)


def _finish(message_id: int, **fields: object) -> None:
    # Only the claim's holder moves the row on: a claim taken back by the dispatcher (lease
    # expired) and claimed again by another worker is that worker's to finish.
    OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.SENDING).update(**fields)


# What sending a message reads besides its row, in the one query that loads it after the claim.
MESSAGE_RELATIONS = (
    "recipient",
    "booking__service",
    "booking__practitioner",
    "booking__clinic",
    "booking__patient",
    "booking__room",
)


def claim(message_ids: list[int], *, now: datetime) -> list[OutboxMessage]:
    """Claim the due, waiting ones of ``message_ids`` for this worker, loaded with what sending
    them reads (one locking read and one UPDATE for the lot).

    SKIP LOCKED and the status filter make a duplicated or retried task, or a second worker
    handed the same ids, claim nothing that is already taken, sent or not due.
    """
    with transaction.atomic():
        messages = list(
            OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related(*MESSAGE_RELATIONS)
            .filter(pk__in=message_ids, status__in=WAITING_STATUSES, due_at__lte=now)
            .order_by("due_at", "pk")
        )
        if not messages:
            return []
        claimed_at = timezone.now()
        OutboxMessage.objects.filter(pk__in=[m.pk for m in messages]).update(
            status=OutboxStatus.SENDING, claimed_at=claimed_at, attempts=F("attempts") + 1
        )
    for message in messages:
        message.status, message.claimed_at = OutboxStatus.SENDING, claimed_at
        message.attempts += 1
    return messages


def deliver(
    message_id: int,
    *,
    now: datetime | None = None,
    connection: BaseEmailBackend | None = None,
    clinic: Clinic | None = None,
) -> str:
    """Claim one due message, re-check it still makes sense, send it, mark it; returns the outcome.

    Outcomes: "sent", "skipped", "expired" (too late, or replaced: ``followup.backlog``), "held"
    (quiet hours, an open alert, or the patient's one routine message of the day already went),
    "retry", "failed" or "not-claimed" (already taken, sent, or not due). Transient errors
    reschedule the row with backoff here, so the caller never needs a broker-side retry.
    """
    now = now or timezone.now()
    claimed = claim([message_id], now=now)
    if not claimed:
        return "not-claimed"
    return send_claimed(claimed[0], now=now, connection=connection, clinic=clinic)


def send_claimed(
    message: OutboxMessage,
    *,
    now: datetime,
    connection: BaseEmailBackend | None = None,
    clinic: Clinic | None = None,
    batch: frozenset[int] = frozenset(),
) -> str:
    """Re-check, send and mark one message this worker has claimed (``claim``); returns the
    outcome as ``deliver`` does. ``batch``: the other rows this worker claimed with it."""
    message_id = message.pk
    if not message.recipient.has_email:
        # A caller the desk added without an email address: nothing to send to, ever.
        _finish(message_id, status=OutboxStatus.SKIPPED, last_error=NO_EMAIL_REASON)
        return "skipped"
    if message.booking is not None:
        clinic = message.booking.clinic
    elif clinic is None:
        clinic = Clinic.objects.current()
    verdict = backlog.before_sending(message, booking=message.booking, clinic=clinic, now=now)
    if isinstance(verdict, backlog.Expire):
        backlog.expire(message_id, verdict.reason)
        return "expired"
    if isinstance(verdict, backlog.Hold):
        backlog.park(message_id, verdict)
        return "held"
    if not message.is_urgent:
        morning = quiet_until(
            now, start=clinic.quiet_hours_start, end=clinic.quiet_hours_end, tz=clinic.tz
        )
        if morning is not None:
            _finish(message_id, status=OutboxStatus.HELD, due_at=morning, enqueued_at=None)
            return "held"
    prepared = prepare(message, clinic=clinic, now=now)
    if isinstance(prepared, Skip):
        _finish(message_id, status=OutboxStatus.SKIPPED, last_error=prepared.reason[:500])
        return "skipped"
    # Last, under a lock on the patient: the check and the send must be as close as they can be.
    if backlog.take_daily_slot(message, clinic=clinic, now=now, batch=batch) is not None:
        return "held"
    try:
        send_email(message.recipient.email, prepared.email, connection=connection, clinic=clinic)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        if _is_permanent(exc) or message.attempts >= settings.FOLLOWUP_MAX_ATTEMPTS:
            log.warning("outbox %s failed for good: %s", message_id, error)
            _finish(message_id, status=OutboxStatus.FAILED, last_error=error)
            return "failed"
        _finish(
            message_id,
            status=OutboxStatus.PENDING,
            due_at=now + retry_delay(message.attempts),
            enqueued_at=None,
            last_error=error,
        )
        return "retry"
    _mark_sent(message_id, subject=prepared.email.subject)
    return "sent"


# Marking a message sent after the relay accepted it: tries, and the pause before each retry.
MARK_TRIES = 5
MARK_PAUSE_SECONDS = 0.2


def _mark_sent(message_id: int, *, subject: str) -> None:
    """Mark the claimed row sent, surviving a dropped database connection.

    The mail is already with the relay, so giving up here would leave the claim to expire and
    the message to go again: a connection terminated under us (a database restart, a failover,
    ``pg_terminate_backend``) is closed and the one update retried on a fresh connection. Only a
    database away for longer than the retries (or a dead worker) leaves the lease to expire.
    """
    for attempt in range(1, MARK_TRIES + 1):
        try:
            _finish(message_id, status=OutboxStatus.SENT, sent_at=timezone.now(), subject=subject)
            return
        except (OperationalError, InterfaceError) as exc:
            if attempt == MARK_TRIES or db_connection.in_atomic_block:
                raise
            log.warning("outbox %s: marking sent failed (%s); reconnecting", message_id, exc)
            db_connection.close()
            time.sleep(MARK_PAUSE_SECONDS * attempt)


def deliver_batch(message_ids: list[int], *, now: datetime | None = None) -> dict[str, int]:
    """Claim the due ones of ``message_ids`` together, then send them in turn over one
    mail-server connection, each marked as soon as the server took it; returns outcome counts.

    A worker killed mid-batch leaves its unsent claims for the dispatcher to put back after the
    lease, and at most the one message it was sending may go twice. A batch that runs slow (a
    stalled relay) gives back what it has not reached by half the lease, so no claim it still
    means to use can expire under it and be sent by another worker too.
    """
    claimed = claim(message_ids, now=now or timezone.now())
    outcomes: dict[str, int] = {}
    if len(claimed) < len(message_ids):
        outcomes["not-claimed"] = len(message_ids) - len(claimed)
    if not claimed:
        return outcomes
    batch = frozenset(m.pk for m in claimed)
    give_back_at = timezone.now() + lease() / 2
    clinic = Clinic.objects.current()
    connection = get_connection()
    _open(connection)
    try:
        for index, message in enumerate(claimed):
            if timezone.now() > give_back_at:
                outcomes["given-back"] = _give_back([m.pk for m in claimed[index:]])
                break
            outcome = send_claimed(
                message,
                now=now or timezone.now(),
                connection=connection,
                clinic=clinic,
                batch=batch,
            )
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if outcome in ("retry", "failed"):
                # The session may be broken: the next message starts a fresh one.
                connection.close()
                _open(connection)
    finally:
        connection.close()
    return outcomes


def _give_back(message_ids: list[int]) -> int:
    # Not a try: the attempt the claim counted is returned with the row.
    return OutboxMessage.objects.filter(pk__in=message_ids, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.PENDING, enqueued_at=None, attempts=F("attempts") - 1
    )


def _open(connection: BaseEmailBackend) -> None:
    # A backend left closed opens (and closes) a session per message, so an outage here only
    # costs speed: each message then fails, and is retried, on its own.
    try:
        connection.open()
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("outbox: could not open a mail-server session: %s", exc)


def recover_stale_claims(*, now: datetime) -> int:
    """Put back rows claimed by a worker that died mid-send (claim older than the lease)."""
    return OutboxMessage.objects.filter(
        status=OutboxStatus.SENDING, claimed_at__lt=now - lease()
    ).update(
        status=OutboxStatus.PENDING,
        enqueued_at=None,
        last_error="The worker stopped while sending; sending again.",
    )


def dispatch_due(*, now: datetime, enqueue: Callable[[list[int]], None], batch: int = 1000) -> int:
    """Hand every due, waiting row to ``enqueue`` (after marking it enqueued); returns how many.

    Rows put on the broker less than ``requeue_after()`` ago are left alone, so a backlog is not
    queued again every minute; older ones are queued again (their task was lost).
    """
    recover_stale_claims(now=now)
    stale = now - requeue_after()
    total = 0
    while True:
        with transaction.atomic():
            # SKIP LOCKED: two dispatchers (an overlapping beat tick, a manual run) split the
            # rows between them instead of queueing each row twice.
            ids = list(
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(status__in=WAITING_STATUSES, due_at__lte=now)
                .filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=stale))
                .order_by("due_at")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                return total
            OutboxMessage.objects.filter(pk__in=ids).update(enqueued_at=now)
        # Published after the commit: a worker must find the row already marked.
        enqueue(ids)
        total += len(ids)
        if len(ids) < batch:
            return total
