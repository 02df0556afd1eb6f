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


def _enqueue(ids: list[int]) -> None:
    for pk in ids:
        send_outbox_message.delay(pk)


@shared_task(ignore_result=True)
def dispatch_due() -> int:
    """Plan what has come due, then put every due outbox row on the broker (beat, every minute)."""
    now = timezone.now()
    plan(now)
    return outbox.dispatch_due(now=now, enqueue=_enqueue)


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
