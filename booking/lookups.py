"""Lookups the booking pages share with other apps' pages (payments, the workspace).

Each returns what the signed-in person may see, or raises Http404.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.db.models import Subquery
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from booking.forms import BookingQueryForm
from booking.models import Booking, Service
from portal import policy
from portal.access import signed_in_user as signed_in_user  # re-exported for the pages
from portal.models import Clinic, Role, User
from portal.params import int_param


def is_team(user: Any) -> bool:
    """Practitioners and staff: they book for patients and see the clinic's bookings."""
    return getattr(user, "role", None) in (Role.PRACTITIONER, Role.STAFF)


def get_bookable_service(slug: str) -> Service:
    """An active service of the current clinic, or 404."""
    # The clinic is Clinic.objects.current(): the oldest one, read in the same query.
    current = Clinic.objects.order_by("pk").values("pk")[:1]
    return get_object_or_404(
        Service.objects.select_related("clinic"),
        clinic_id=Subquery(current),
        slug=slug,
        is_active=True,
    )


def visitor_patient(request: HttpRequest) -> User | None:
    """Who the public booking pages are for: the signed-in patient, the team's ``for``
    patient, or None (a visitor, or a team member looking without a patient chosen)."""
    user = request.user
    if not user.is_authenticated:
        return None
    if not is_team(user):
        return signed_in_user(request)
    return patient_for(request) if request.GET.get("for") else None


def patient_for(request: HttpRequest) -> User:
    """Who the booking is for: the patient themself, or (for the team) the ``for`` patient."""
    user = signed_in_user(request)
    if not is_team(user):
        return user
    wanted = int_param(request, "for") or int_param(request, "for", post=True)
    if wanted is None:
        raise Http404("Choose a patient first")
    # The same patients the team may find by name: a practitioner never learns a stranger's
    # name by trying ids.
    return get_object_or_404(policy.findable_patients(user), pk=wanted)


def get_booking_for_user(request: HttpRequest, pk: int) -> Booking:
    """The booking if the user may open and act on it (``portal.policy``); else 404."""
    qs = policy.bookings_for(request.user).select_related(
        "service", "practitioner", "clinic", "patient", "room"
    )
    return get_object_or_404(qs, pk=pk)


def moving_booking(request: HttpRequest) -> Booking | None:
    """The visit being moved (``?reschedule=``), None for a new booking; 404 when it is
    malformed or not the user's to move, so a bad value never books a second visit."""
    if not request.GET.get("reschedule"):
        return None
    pk = int_param(request, "reschedule")
    if pk is None:
        raise Http404("No such booking")
    return get_booking_for_user(request, pk)


def carry_query(request: HttpRequest, **extra: Any) -> str:
    """Query string that keeps the booking context (for whom, with whom, what is moved)."""
    query = BookingQueryForm(request.GET)
    keep = {k: v for k in ("for", "reschedule", "with") if (v := query.get(k)) is not None}
    keep.update({k: v for k, v in extra.items() if v is not None})
    return urlencode(keep)
