"""Cancelling every visit still booked on a clinic closure's days, from the closure's page.

The closure pages are the booking app's (``booking.closure_views``); cancelling is here because
a visit paid online is refunded on the way (``payments``), which ``booking`` never imports."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views.decorators.http import require_POST

from booking.models import Booking, ClinicClosure
from portal.access import signed_in_user, staff_required
from portal.models import Clinic
from practice import schedule
from practice.access import ask_password_before_refund
from practice.forms import ClosureCancelForm


@staff_required
@require_POST
def cancel_closure_visits(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel the visits the closure's page listed, each patient emailed the note."""
    clinic = Clinic.objects.current()
    closure = get_object_or_404(
        ClinicClosure.objects.select_related("clinic"), pk=pk, clinic=clinic
    )
    form = ClosureCancelForm(request.POST)
    if not form.is_valid():
        messages.error(
            request, "Nothing was cancelled: the form could not be read. Please try again."
        )
        return redirect("booking:closure", pk=closure.pk)
    shown = form.cleaned_data["visits"]
    ask_password_before_refund(request, Booking.objects.filter(pk__in=shown, clinic=clinic))
    cancelled = schedule.closure_cancel_visits(
        closure=closure,
        booking_ids=shown,
        by=signed_in_user(request),
        note=form.cleaned_data["note"].strip(),
        now=timezone.now(),
    )
    n = len(cancelled)
    if n:
        messages.success(
            request,
            f"{n} visit{'s' if n != 1 else ''} cancelled. Each patient with an email address "
            "has been emailed, and visits paid online are refunded.",
        )
    else:
        messages.info(request, "No visits were cancelled: they had been moved or cancelled.")
    return redirect("booking:closure", pk=closure.pk)
