"""Booking emails, sent by the worker after the booking is committed."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from booking.ics import booking_ics
from booking.models import Booking, BookingStatus
from portal.messaging import Attachment, render_email, send_email

# Each email's "sent" marker, claimed before sending so it goes out once.
SENT_FIELD = {
    "booking_confirmed": "confirmation_sent_at",
    "booking_cancelled": "cancellation_sent_at",
}
# The status a booking must still have for its email to make sense.
REQUIRED_STATUS = {
    "booking_confirmed": BookingStatus.CONFIRMED,
    "booking_cancelled": BookingStatus.CANCELLED,
}


@shared_task(
    bind=True, ignore_result=True, max_retries=5, autoretry_for=(OSError,), retry_backoff=True
)
def send_booking_email(self: object, booking_id: int, name: str, note: str = "") -> None:
    """Send a booking's confirmation or cancellation email once (``note``: from the clinic)."""
    if name not in SENT_FIELD:
        return
    booking = (
        Booking.objects.select_related("service", "practitioner", "clinic", "patient", "room")
        .filter(pk=booking_id)
        .first()
    )
    if booking is None:
        return
    # A confirmation for a visit cancelled or moved since it was queued is not sent.
    if booking.status != REQUIRED_STATUS[name]:
        return
    sent_field = SENT_FIELD[name]
    # Claim by conditional UPDATE so a duplicate or retried task sends nothing.
    claimed = Booking.objects.filter(pk=booking_id, **{f"{sent_field}__isnull": True}).update(
        **{sent_field: timezone.now()}
    )
    if not claimed:
        return
    email = render_email(name, {"booking": booking, "patient": booking.patient, "note": note})
    email.attachments.append(Attachment("visit.ics", booking_ics(booking), "text/calendar"))
    try:
        send_email(booking.patient.email, email)
    except OSError:
        # Give the claim back so the retry can send it.
        Booking.objects.filter(pk=booking_id).update(**{sent_field: None})
        raise
