"""Front desk pages that are not about one booking: adding a caller who has no account."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from portal.access import staff_required
from portal.forms import DeskPatientForm
from portal.models import User
from portal.params import has_nul, typed_date
from portal.patients import AlreadyRegistered, NewCaller, desk_add_patient
from portal.phones import parse_phone

# What the caller search accepts as a phone number once spaces and dialling signs are gone.
_PHONE_SIGNS = re.compile(r"[\s()+\-.]")


def initial_from_search(query: str) -> dict[str, str]:
    """What the desk typed into "Book for a caller", in the field it belongs to: an email
    address, a phone number (or part of one), a date of birth, or a name ("Mair Owen",
    "Owen, Mair", "Mary Ann Jones": the last word is the last name)."""
    text = " ".join(query.split())[:100]
    if not text or has_nul(text):
        return {}
    if "@" in text:
        return {"email": text.replace(" ", "")}
    # A date before a number: "1948-02-14" is all digits once its dashes are gone.
    born = typed_date(text)
    if born is not None:
        # ISO, the only value a date input shows, whatever the clinic's date format.
        return {"date_of_birth": born.isoformat()}
    if parse_phone(text) is not None or _PHONE_SIGNS.sub("", text).isdigit():
        return {"phone": text}
    if "," in text:
        last, _, first = text.partition(",")
    else:
        first, _, last = text.rpartition(" ")
        if not first:
            first, last = last, ""
    return {"first_name": first.strip(), "last_name": last.strip()}


@staff_required
@require_http_methods(["GET", "POST"])
def add_caller(request: HttpRequest) -> HttpResponse:
    """Add a caller as a patient, then go straight on to book for them."""
    form = DeskPatientForm(
        request.POST if request.method == "POST" else None,
        initial=initial_from_search(request.GET.get("q", "")),
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
