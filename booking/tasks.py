"""Booking tasks: only the hand-over of requests queued by an older version.

Confirmations and cancellations are outbox rows written in the booking's own transaction
(``booking.services.confirmation_put``); a ``send_booking_email`` message still on the broker
from before that change puts the same row (a no-op if it exists), and the outbox sends it.
"""

from __future__ import annotations

from celery import shared_task

from booking.models import Booking, BookingStatus
from portal.messaging import MessageKind, outbox_put

LEGACY_EMAILS = {
    "booking_confirmed": (MessageKind.BOOKING_CONFIRMED, (BookingStatus.CONFIRMED,)),
    "booking_cancelled": (
        MessageKind.BOOKING_CANCELLED,
        (BookingStatus.CANCELLED, BookingStatus.LATE_CANCELLED),
    ),
}


@shared_task(ignore_result=True)
def send_booking_email(booking_id: int, name: str) -> None:
    """Put a booking's confirmation or cancellation in the outbox (queued by an older version)."""
    if name not in LEGACY_EMAILS:
        return
    kind, statuses = LEGACY_EMAILS[name]
    booking = Booking.objects.filter(pk=booking_id, status__in=statuses).first()
    if booking is not None:
        outbox_put(kind=kind, to_user=booking.patient_id, booking=booking)


@shared_task(ignore_result=True)
def offer_waitlist_places(service_id: int | None = None) -> int:
    """Let lapsed waiting-list holds go and offer freed places (one service, or all from beat).

    Idempotent: a second run finds the places already held and the people already offered.
    """
    from booking.waitlist.offers import offer_free_places

    return len(offer_free_places(service_id=service_id))
