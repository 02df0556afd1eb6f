"""Who on the clinic team may see which bookings and patients.

Both follow the one access policy (``portal.policy``): a practitioner opens their own
bookings, clinic staff every booking of their clinic; a patient's record opens to the
practitioners caring for them. Anything else is a 404 (or, for a practitioner outside the
care relationship, the offer to see the record anyway), so an id never reveals whether it
exists.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from booking.models import Booking, PaymentMode, Practitioner
from intake.access import patient_for_viewer
from portal import policy
from portal.access import signed_in_user
from portal.models import Role, User
from portal.params import parse_id
from portal.team_security import require_recent_authentication


def own_practitioner(user: User) -> Practitioner | None:
    """The practitioner profile of a practitioner user; None for staff (or a missing profile)."""
    if user.role != Role.PRACTITIONER:
        return None
    return Practitioner.objects.filter(user=user).select_related("clinic").first()


def visible_bookings(user: User) -> QuerySet[Booking]:
    """Bookings this team member may open (``portal.policy.bookings_for``)."""
    return policy.bookings_for(user)


def get_booking_for_team(request: HttpRequest, pk: int) -> Booking:
    """The booking if this team member may open it, with what its pages show; else 404."""
    qs = visible_bookings(signed_in_user(request)).select_related(
        "service", "practitioner", "clinic", "patient", "room"
    )
    return get_object_or_404(qs, pk=pk)


def get_patient_for_team(request: HttpRequest, pk: int) -> User:
    """The patient if this team member may read their record (intake's one rule); else 404."""
    return patient_for_viewer(signed_in_user(request), pk)


def practitioner_for_request(request: HttpRequest) -> Practitioner:
    """The signed-in practitioner's own profile; 404 for anyone without one."""
    practitioner = own_practitioner(signed_in_user(request))
    if practitioner is None:
        raise Http404("No practitioner profile")
    return practitioner


def practitioner_to_manage(request: HttpRequest) -> Practitioner:
    """Whose hours and time off this request edits: a practitioner their own; staff any
    practitioner of the clinic, named by ``p`` (the first one when not named). An unknown
    or malformed id is a 404."""
    user = signed_in_user(request)
    if user.role != Role.STAFF:
        return practitioner_for_request(request)
    if user.clinic_id is None:
        raise Http404("Not part of a clinic")
    team = Practitioner.objects.filter(clinic_id=user.clinic_id).select_related("clinic")
    named = request.POST.get("p") or request.GET.get("p")
    if named is None:
        first = team.order_by("display_name", "pk").first()
        if first is None:
            raise Http404("No practitioners yet")
        return first
    wanted = parse_id(named)
    if wanted is None:
        raise Http404("No such practitioner")
    return get_object_or_404(team, pk=wanted)


def ask_password_before_refund(
    request: HttpRequest, bookings: QuerySet[Booking] | list[Booking]
) -> None:
    """Before the clinic cancels visits paid online (each is refunded by the policy), the team
    member re-enters their password or a code, as on the booking pages' "Cancel and refund"
    (``payments:cancel``): an unlocked workspace must not cancel and refund unasked."""
    if any(b.payment_mode == PaymentMode.ONLINE for b in bookings):
        require_recent_authentication(request)
