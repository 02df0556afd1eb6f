"""Front desk pages that are not about one booking: adding a caller who has no account."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from portal.access import staff_required
from portal.forms import DeskPatientForm
from portal.models import User
from portal.params import has_nul
from portal.patients import AlreadyRegistered, NewCaller, desk_add_patient
from portal.phones import parse_phone


def _initial_from_search(request: HttpRequest) -> dict[str, str]:
    """What the desk already typed into "Book for a patient": a number, or a name."""
    query = request.GET.get("q", "").strip()[:100]
    if not query or has_nul(query):
        return {}
    if parse_phone(query) is not None:
        return {"phone": query}
    if "@" in query:
        return {"email": query}
    first, _, last = query.partition(" ")
    return {"first_name": first, "last_name": last}


@staff_required
@require_http_methods(["GET", "POST"])
def add_caller(request: HttpRequest) -> HttpResponse:
    """Add a caller as a patient, then go straight on to book for them."""
    form = DeskPatientForm(
        request.POST if request.method == "POST" else None,
        initial=_initial_from_search(request),
    )
    existing: AlreadyRegistered | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        caller = NewCaller(
            first_name=data["first_name"],
            last_name=data["last_name"],
            phone=data["phone"],
            date_of_birth=data["date_of_birth"],
            email=data["email"] or "",
        )
        desk = request.user
        assert isinstance(desk, User)
        try:
            patient = desk_add_patient(by=desk, caller=caller)
        except AlreadyRegistered as found:
            existing = found
        else:
            added = f"{patient.get_full_name()} is added. Now choose their visit."
            messages.success(request, added)
            if not patient.has_email:
                messages.warning(
                    request,
                    f"{patient.first_name} has no email address: the clinic will send them "
                    "nothing, so tell them the date and time of their visit now.",
                )
            return redirect(f"{reverse('booking:services')}?for={patient.pk}")
    return render(
        request,
        "portal/desk_add_caller.html",
        {"form": form, "existing": existing},
        status=400 if form.errors else 200,
    )
