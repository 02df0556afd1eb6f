"""What the person who just booked, moved or cancelled a visit is told, once (Django's messages,
shown on the next page), and never again on later visits to the visit's page. An email is
promised only when it is really on its way (``portal.messaging.email_on_its_way``)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest

from booking.models import Booking
from portal.messaging import MessageKind, email_on_its_way


def _told(
    request: HttpRequest, booking: Booking, *, kind: MessageKind, done: str, sent: str
) -> str:
    """``done``, then ``sent`` when the email is on its way; to the team, about the patient."""
    own = booking.patient_id == request.user.pk
    who = "you" if own else "them"
    text = done
    if email_on_its_way(kind=kind, booking=booking):
        text += " " + sent.format(who=who)
    elif not own and not booking.patient.has_email:
        text += " They have no email address: tell them on the phone."
    return text


def booked(request: HttpRequest, booking: Booking) -> None:
    """Just booked (confirmed, not held for a payment)."""
    own = booking.patient_id == request.user.pk
    done = "You're booked in." if own else f"{_name(booking)} is booked in."
    text = _told(
        request,
        booking,
        kind=MessageKind.BOOKING_CONFIRMED,
        done=done,
        sent="We have emailed {who} the details with a calendar file.",
    )
    messages.success(request, text)


def moved(request: HttpRequest, booking: Booking) -> None:
    """Just moved: ``booking`` is the visit at its new time."""
    own = booking.patient_id == request.user.pk
    text = _told(
        request,
        booking,
        kind=MessageKind.BOOKING_MOVED,
        done="Your visit has moved." if own else f"{_name(booking)}'s visit has moved.",
        sent="We have emailed {who} the new time with a calendar file that updates the visit "
        "already in the calendar.",
    )
    messages.success(request, text)


def cancelled(request: HttpRequest, booking: Booking, *, then: str = "") -> None:
    """Just cancelled; ``then`` adds what happens next (a refund)."""
    own = booking.patient_id == request.user.pk
    text = _told(
        request,
        booking,
        kind=MessageKind.BOOKING_CANCELLED,
        done="Your visit is cancelled." if own else "The visit is cancelled.",
        sent="We have emailed {who} to confirm.",
    )
    messages.success(request, f"{text} {then}".strip())


def _name(booking: Booking) -> str:
    patient = booking.patient
    return patient.get_full_name() or "The patient"
