"""Alerts leave intake here: the worker hands each new urgent alert, once committed, to the app
that tells the practitioners.

The follow-up app's outbox emails them (once per practitioner, with retries and a record staff
can see). It imports intake, never the other way round, so it registers itself here when Django
starts (``FollowupConfig.ready``), as it does with booking emails in ``booking.tasks``.
"""

from __future__ import annotations

from collections.abc import Callable

from celery import shared_task
from django.core.exceptions import ImproperlyConfigured
from django.db import InterfaceError, OperationalError

AlertHandler = Callable[[int], None]
_handlers: list[AlertHandler] = []


def register_alert_handler(handler: AlertHandler) -> None:
    """Let another app deliver urgent alerts (called once from its AppConfig.ready)."""
    if handler not in _handlers:
        _handlers.append(handler)


# Delivery errors are the handler's to keep (the outbox reschedules a failed email itself); only
# a database hiccup is retried here, a few times, quickly.
@shared_task(
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    max_retries=3,
)
def hand_off_alert(alert_id: int) -> None:
    """Pass a newly raised urgent alert to every registered handler (each must be idempotent)."""
    if not _handlers:
        raise ImproperlyConfigured("No app delivers alerts: is 'followup' installed?")
    for handler in _handlers:
        handler(alert_id)
