"""Who may read a patient's health data, and the headers health pages send.

One rule, used by every page that shows answers, notes or charts (the practice
workspace reuses it): the patient; clinic staff of the patient's clinic; a
practitioner of that clinic who has (or had) a booking with the patient, or who
is alerted about them. Everyone else is told the page does not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.cache import add_never_cache_headers, patch_cache_control

from booking.models import Booking
from intake.models import Alert
from portal.models import Role, User

View = Callable[..., HttpResponse]


def can_read_health(viewer: Any, patient: User) -> bool:
    """Whether ``viewer`` may read ``patient``'s health data."""
    if not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return False
    if viewer.pk == patient.pk:
        return True
    if patient.role != Role.PATIENT or patient.clinic_id is None:
        return False
    if viewer.clinic_id != patient.clinic_id:
        return False
    if viewer.role == Role.STAFF:
        return True
    if viewer.role != Role.PRACTITIONER:
        return False
    treats = Booking.objects.filter(patient=patient, practitioner__user=viewer).exists()
    return (
        treats
        or Alert.objects.filter(patient=patient, clinic_id=patient.clinic_id)
        .filter(Q(practitioner__isnull=True) | Q(practitioner__user=viewer))
        .exists()
    )


def patient_for_viewer(viewer: Any, patient_id: int) -> User:
    """The patient whose health data ``viewer`` asks for, or 404 (never 403: no hint it exists)."""
    patient = get_object_or_404(User, pk=patient_id, role=Role.PATIENT)
    if not can_read_health(viewer, patient):
        raise Http404("No such patient")
    return patient


def no_store(view: View) -> View:
    """Health pages must not be kept by browsers or shared caches (back button, proxies)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        return response

    return wrapped
