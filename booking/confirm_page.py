"""The confirm page, drawn by booking's confirm view and by payments' checkout (its POST for
a new booking), so both read the chosen time the same way and explain a refusal alike."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from booking.errors import BookingError, SlotUnavailable
from booking.forms import parse_practitioner
from booking.gates import Gate
from booking.lookups import carry_query
from booking.models import Booking, Practitioner, Service
from booking.services import change_online_until
from portal.models import User
from portal.params import parse_id


def chosen_practitioner(service: Service, chosen: str | int | None) -> Practitioner | None:
    """The practitioner picked for this service (None for "whoever is free"), or 404."""
    practitioner = parse_practitioner(service.practitioners.bookable(), chosen)
    if practitioner is None and (isinstance(chosen, int) or parse_id(chosen) is not None):
        # A practitioner id that does not offer this service (another clinic's, a tampered
        # form): refuse rather than quietly booking whoever is free.
        raise Http404("No such practitioner for this service")
    return practitioner


def week_url(request: HttpRequest, service: Service) -> str:
    """Back to the service's week of times, keeping who it is for and what is being moved."""
    return f"{reverse('booking:week', args=[service.slug])}?{carry_query(request)}"


def render_confirm(
    request: HttpRequest,
    *,
    service: Service,
    patient: User,
    start: datetime,
    practitioner: Practitioner | None,
    form: Form,
    moving: Booking | None = None,
    refusal: BookingError | None = None,
    gate_warnings: Sequence[Gate] = (),
    amount_value: str = "",
    amount_error: str = "",
) -> HttpResponse:
    """The chosen time with its confirm form; a ``refusal`` is shown as an error, with the
    nearest open times when the slot was taken, or without the confirm button when the
    patient may not book it (confirming again cannot succeed)."""
    if refusal is not None:
        messages.error(request, refusal.message)
    # Said before confirming, not only after: until when the patient can move or cancel it.
    change_until = change_online_until(service.clinic, start)
    return render(
        request,
        "booking/confirm.html",
        {
            "service": service,
            "patient": patient,
            "start": start,
            "end": start + service.duration,
            "practitioner": practitioner,
            "form": form,
            "moving": moving,
            "tz": service.clinic.tz,
            "alternatives": refusal.alternatives if isinstance(refusal, SlotUnavailable) else [],
            "week_url": week_url(request, service),
            "refused": refusal is not None and not isinstance(refusal, SlotUnavailable),
            "carry": carry_query(request),
            "gate_warnings": gate_warnings,
            "amount_value": amount_value,
            "amount_error": amount_error,
            "change_until": change_until,
            "changeable_online": timezone.now() <= change_until,
            "cutoff_hours": service.clinic.cancellation_cutoff_hours,
        },
    )
