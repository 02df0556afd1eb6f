"""Follow-up tasks: the every-minute planner and dispatcher, and the one-message sender.

Tasks take ids and hold no state: the outbox row says what is due and whether it was sent, so
a task delivered twice (a Redis redelivery, a requeue after a lost task) sends nothing twice.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from followup import outbox
from followup.planner import plan

# Messages per task: one broker round trip and one mail-server session for this many, small
# enough that a batch held by a dead worker (queued again after FOLLOWUP_REQUEUE_SECONDS) is
# not a long wait for anyone.
SEND_BATCH = 50


def enqueue_batches(ids: list[int], *, queue: str | None = None, size: int = SEND_BATCH) -> None:
    """Put due outbox rows on the broker, ``size`` ids per task (``queue``: a test's own)."""
    for start in range(0, len(ids), size):
        batch = send_outbox_batch.s(ids[start : start + size])
        (batch.set(queue=queue) if queue else batch).apply_async()


@shared_task(ignore_result=True)
def dispatch_due() -> int:
    """Plan what has come due, then put every due outbox row on the broker (beat, every minute)."""
    now = timezone.now()
    plan(now)
    return outbox.dispatch_due(now=now, enqueue=enqueue_batches)


# Email errors are handled by the outbox (backoff on the row, no broker-side ETA); only a
# database hiccup is retried here, a few times, quickly.
@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=3,
)
def send_outbox_message(message_id: int) -> str:
    """Send one outbox message if it is still due and unclaimed."""
    return outbox.deliver(message_id)


@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=3,
)
def send_outbox_batch(message_ids: list[int]) -> dict[str, int]:
    """Send the due, unclaimed ones of ``message_ids`` over one mail-server connection."""
    return outbox.deliver_batch(message_ids)
