"""Who may read a patient's health data, and the headers health pages send.

The rule itself is ``portal.policy`` (the one access policy): the patient, and the
practitioners caring for them or holding a "see this record anyway" grant. A practitioner
of the clinic outside the care relationship is told so and offered that step (403); anyone
else is told the page does not exist (404).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import add_never_cache_headers, patch_cache_control

from portal import policy
from portal.models import Role, User

View = Callable[..., HttpResponse]


class OutsideCare(PermissionDenied):
    """A practitioner asked for a patient outside their care: they may ask to see it anyway."""

    def __init__(self, patient: User) -> None:
        super().__init__("This patient is not in your care")
        self.patient = patient


def can_read_health(viewer: Any, patient: User) -> bool:
    """Whether ``viewer`` may read ``patient``'s health data (``portal.policy``)."""
    return policy.may_read_record(viewer, patient)


def patient_for_viewer(viewer: Any, patient_id: int) -> User:
    """The patient whose health data ``viewer`` asks for; ``OutsideCare`` for a practitioner of
    their clinic outside the care relationship, else 404 (no hint the patient exists)."""
    patient = get_object_or_404(User, pk=patient_id, role=Role.PATIENT)
    if policy.may_read_record(viewer, patient):
        return patient
    if policy.may_ask_to_see_anyway(viewer, patient):
        raise OutsideCare(patient)
    raise Http404("No such patient")


def offers_see_anyway(view: View) -> View:
    """Turn ``OutsideCare`` into a page that explains and links to "see this record anyway"."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except OutsideCare as refused:
            return render(
                request,
                "intake/outside_care.html",
                {
                    "patient": refused.patient,
                    "named": policy.may_name_patient(request.user, refused.patient),
                    "next": request.get_full_path(),
                },
                status=403,
            )

    return wrapped


def no_store(view: View) -> View:
    """Health pages must not be kept by browsers or shared caches (back button, proxies)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        patch_cache_control(response, no_store=True, private=True)
        return response

    return wrapped
