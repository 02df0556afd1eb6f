"""Finding a patient from the workspace (``practice.patient_search``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from portal import policy
from portal.access import signed_in_user, team_required
from portal.models import Clinic
from practice.forms import PatientFindForm
from practice.patient_search import search


@team_required
@never_cache
@require_safe
def patients(request: HttpRequest) -> HttpResponse:
    """Search by name, phone or date of birth; who they are and their next visit, no health
    data (so nothing for the health-read log)."""
    user = signed_in_user(request)
    now = timezone.now()
    form = PatientFindForm(request.GET)
    query = form.query()
    found = search(user, query, now=now) if query is not None else []
    readable = policy.readable_among(user, [f.patient.pk for f in found])
    return render(
        request,
        "practice/patients.html",
        {
            "form": form,
            "query": query,
            "found": found,
            "readable": readable,
            "tz": (user.clinic or Clinic.objects.current()).tz,
        },
        status=200 if form.is_valid() else 400,
    )
