"""Money taken at the clinic: recording it for a visit, undoing a slip, and the day's takings."""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from payments.at_clinic import (
    NOT_TAKEN_HERE,
    ClinicPaymentError,
    already_recorded,
    record_clinic_payment,
    takes_payment_here,
    takings_for_day,
    undo_clinic_payment,
)
from payments.forms import ClinicPaymentForm
from payments.models import ClinicPayment
from payments.pricing import format_money
from portal.access import signed_in_user, staff_required, team_required
from portal.models import Clinic
from portal.params import date_param
from practice.access import get_booking_for_team


@team_required
@never_cache
@require_http_methods(["GET", "POST"])
def take_payment(request: HttpRequest, pk: int) -> HttpResponse:
    """Record what the patient paid at the clinic for this visit; a slip keeps what was typed."""
    booking = get_booking_for_team(request, pk)
    recorded = ClinicPayment.objects.filter(booking=booking).first()
    form = ClinicPaymentForm(request.POST or None, booking=booking)
    if request.method == "POST" and recorded is None and form.is_valid():
        try:
            payment = record_clinic_payment(
                booking_id=booking.pk,
                amount_minor=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                by=signed_in_user(request),
            )
        except ClinicPaymentError as exc:
            form.add_error(None, exc.message)
        else:
            amount = format_money(payment.amount_minor, payment.currency)
            messages.success(request, f"Payment of {amount} recorded.")
            return redirect("practice:booking", pk=pk)
    return render(
        request,
        "practice/take_payment.html",
        {
            "booking": booking,
            "form": form,
            "recorded": recorded,
            "recorded_note": already_recorded(recorded) if recorded else "",
            "takes_payment": takes_payment_here(booking),
            "not_taken_here": NOT_TAKEN_HERE,
            "tz": booking.clinic.tz,
        },
    )


@team_required
@require_POST
def undo_payment(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_booking_for_team(request, pk)
    try:
        payment = undo_clinic_payment(booking_id=booking.pk, by=signed_in_user(request))
    except ClinicPaymentError as exc:
        messages.error(request, exc.message)
    else:
        amount = format_money(payment.amount_minor, payment.currency)
        messages.success(request, f"The payment of {amount} is no longer recorded.")
    return redirect("practice:booking", pk=pk)


@staff_required
@never_cache
@require_safe
def takings(request: HttpRequest) -> HttpResponse:
    """One day's takings: at the clinic by method, online, and the visits that still owe."""
    clinic = signed_in_user(request).clinic or Clinic.objects.current()
    now = timezone.now()
    today = now.astimezone(clinic.tz).date()
    day = min(date_param(request, "date") or today, today)
    report = takings_for_day(clinic, day, now=now)
    return render(
        request,
        "practice/takings.html",
        {
            "report": report,
            "today": today,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1) if day < today else None,
            "tz": clinic.tz,
        },
    )
