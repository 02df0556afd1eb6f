"""Booking emails, sent by the worker after the booking is committed.

The follow-up app's outbox sends them (once, with retries and a record staff can see). It
imports booking, never the other way round, so it registers itself here when Django starts
(``FollowupConfig.ready``) and this task, whose name and arguments other code relies on,
hands each request over.
"""

from __future__ import annotations

from collections.abc import Callable

from celery import shared_task
from django.core.exceptions import ImproperlyConfigured

BookingEmailHandler = Callable[[int, str], None]
_handlers: list[BookingEmailHandler] = []


def register_email_handler(handler: BookingEmailHandler) -> None:
    """Let another app send booking emails (called once from its AppConfig.ready)."""
    if handler not in _handlers:
        _handlers.append(handler)


@shared_task(ignore_result=True)
def send_booking_email(booking_id: int, name: str) -> None:
    """Send a booking's confirmation ("booking_confirmed"), move ("booking_moved") or
    cancellation ("booking_cancelled") email once."""
    if not _handlers:
        raise ImproperlyConfigured("No app sends booking emails: is 'followup' installed?")
    for handler in _handlers:
        handler(booking_id, name)


@shared_task(ignore_result=True)
def offer_waitlist_places(service_id: int | None = None) -> int:
    """Let lapsed waiting-list holds go and offer freed places (one service, or all from beat).

    Idempotent: a second run finds the places already held and the people already offered.
    """
    from booking.waitlist import offer_free_places

    return len(offer_free_places(service_id=service_id))


@shared_task(ignore_result=True)
def send_waitlist_offer(offer_id: int) -> None:
    """Email one waiting-list offer through the registered handlers (the outbox, once)."""
    from booking.waitlist import send_offer

    send_offer(offer_id)
