"""Closing the whole clinic on some days: the desk's and the owner's pages (``booking.closures``
has the rules). Adding a closure leads to its page, which lists the visits still booked on
the closed days with the usual move and cancel actions: nothing is cancelled by itself."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from booking.closure_forms import ClosureForm
from booking.closures import (
    ClosureError,
    ClosureRequest,
    closure_add,
    closure_remove,
    upcoming_closures,
    visits_in_closure,
)
from booking.models import ClinicClosure
from portal.access import signed_in_user, staff_required
from portal.forms import id_list
from portal.models import Clinic


@staff_required
@never_cache
@require_http_methods(["GET", "POST"])
def closures(request: HttpRequest) -> HttpResponse:
    """The clinic's coming closures, and the form that adds one."""
    clinic = Clinic.objects.current()
    today = timezone.now().astimezone(clinic.tz).date()
    form = ClosureForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        asked = ClosureRequest(data["first_day"], data["last_day"], data["reason"])
        try:
            closure = closure_add(
                clinic=clinic, asked=asked, by=signed_in_user(request), today=today
            )
        except ClosureError as exc:
            form.add_error(exc.field, exc.message)
        else:
            count = visits_in_closure(closure).count()
            if count:
                messages.warning(
                    request,
                    f"The clinic is closed on those days: nobody can book them now. "
                    f"{count} visit{'s are' if count != 1 else ' is'} still booked on them: "
                    "move or cancel them below.",
                )
            else:
                messages.success(
                    request,
                    "The clinic is closed on those days: nobody can book them now. No visits "
                    "were booked on them.",
                )
            return redirect("booking:closure", pk=closure.pk)
    return render(
        request,
        "booking/closures.html",
        {"form": form, "closures": upcoming_closures(clinic, today=today), "today": today},
        status=400 if form.errors else 200,
    )


@staff_required
@never_cache
@require_http_methods(["GET"])
def closure(request: HttpRequest, pk: int) -> HttpResponse:
    """One closure and the visits still booked on its days, each to move or cancel."""
    clinic = Clinic.objects.current()
    found = get_object_or_404(ClinicClosure.objects.select_related("clinic"), pk=pk, clinic=clinic)
    visits = list(visits_in_closure(found))
    note = found.reason or "The clinic is closed that day."
    return render(
        request,
        "booking/closure.html",
        {
            "closure": found,
            "visits": visits,
            "tz": clinic.tz,
            # Cancelling them all is the practice app's (it refunds through payments).
            "cancel_all": {"visits": id_list(visits), "note": note},
        },
    )


@staff_required
@require_POST
def closure_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    """Remove a closure: its days can be booked again."""
    clinic = Clinic.objects.current()
    if closure_remove(clinic=clinic, closure_id=pk, by=signed_in_user(request)):
        messages.success(request, "Those days are open again: patients can book them.")
    else:
        messages.info(request, "That closure was already removed.")
    return redirect(reverse("booking:closures"))
