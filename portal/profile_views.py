"""A patient's own details: name and phone (the email and password have allauth's pages)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal.access import patient_required
from portal.forms import PatientDetailsForm
from portal.models import User
from portal.phones import as_typed


@patient_required
@require_http_methods(["GET", "POST"])
def my_details(request: HttpRequest) -> HttpResponse:
    """Change name and phone; the number is shown as it was given at sign-up, to edit."""
    user = request.user
    assert isinstance(user, User)
    form = PatientDetailsForm(
        request.POST if request.method == "POST" else None,
        initial={
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": as_typed(user.phone),
        },
    )
    if request.method == "POST" and form.is_valid():
        user.first_name = form.cleaned_data["first_name"].strip()
        user.last_name = form.cleaned_data["last_name"].strip()
        user.phone = form.cleaned_data["phone"]
        user.save(update_fields=["first_name", "last_name", "phone"])
        messages.success(request, "Your details are saved.")
        return redirect("patient_dashboard")
    return render(
        request,
        "portal/my_details.html",
        {"form": form},
        status=400 if form.errors else 200,
    )
