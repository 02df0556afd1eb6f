"""The waiting list for the team: who waits for what, the places out on offer, and by-hand
actions (remove someone, offer a place)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from booking.lookups import signed_in_user
from booking.waitlist.board import chosen_time, offerable_times, waitlist_board
from booking.waitlist.entries import waitlist_leave
from booking.waitlist.errors import WaitlistError
from booking.waitlist.offers import offer_by_hand
from booking.waitlist_forms import OfferByHandForm
from booking.waitlist_models import EntryStatus
from portal.access import team_required
from portal.policy import waitlist_entries_for


@team_required
@require_safe
def waitlist_page(request: HttpRequest) -> HttpResponse:
    """Every waiting entry per service, in the order places are offered, with offers in flight."""
    now = timezone.now()
    groups = waitlist_board(signed_in_user(request), now=now)
    for row in (row for group in groups for row in group.rows):
        row.form = OfferByHandForm(times=row.times, auto_id=f"offer-{row.entry.pk}-%s")
    return render(
        request, "practice/waitlist.html", {"groups": groups, "view": "waitlist", "now": now}
    )


@team_required
@require_POST
def remove_entry(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    entry = get_object_or_404(waitlist_entries_for(user).select_related("patient"), pk=pk)
    if waitlist_leave(entry=entry, by=user):
        messages.success(
            request, f"{entry.patient.get_full_name() or entry.patient.email} is off the list."
        )
    else:
        messages.info(request, "That person was no longer on the list.")
    return redirect("practice:waitlist")


@team_required
@require_POST
def offer_place(request: HttpRequest, pk: int) -> HttpResponse:
    """Offer one open time to one person by hand; it is held for them like any offer."""
    user = signed_in_user(request)
    entry = get_object_or_404(
        waitlist_entries_for(user).select_related("service__clinic", "patient"),
        pk=pk,
        status=EntryStatus.WAITING,
    )
    now = timezone.now()
    form = OfferByHandForm(request.POST, times=offerable_times(entry, now))
    if not form.is_valid():
        for error in form.errors.get("start", []):
            messages.error(request, str(error))
        return redirect("practice:waitlist")
    starts_at, practitioner_id = chosen_time(form.cleaned_data["start"])
    practitioner = entry.service.practitioners.filter(pk=practitioner_id).first()
    try:
        offer_by_hand(entry=entry, starts_at=starts_at, by=user, practitioner=practitioner, now=now)
    except WaitlistError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Offered to {entry.patient.get_full_name() or entry.patient.email}: "
            "we have emailed them the link.",
        )
    return redirect("practice:waitlist")
