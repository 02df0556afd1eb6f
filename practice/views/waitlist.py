"""The waiting list for the team: who waits for what, the places out on offer, and by-hand
actions (remove someone, offer a place)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from booking import waitlist
from booking.availability import Slot, find_open_slots
from booking.lookups import signed_in_user
from booking.models import Service
from booking.waitlist_forms import OfferByHandForm
from booking.waitlist_models import (
    HOLDING_STATUSES,
    LIVE_OFFER_STATUSES,
    EntryStatus,
    WaitlistOffer,
    WaitlistPlace,
)
from portal.access import team_required
from portal.policy import waitlist_entries_for

TIMES_OFFERED_BY_HAND = 30


def _open_times(service: Service, now: datetime) -> list[Slot]:
    tz = service.clinic.tz
    first = now.astimezone(tz).date()
    last = (now + timedelta(days=service.clinic.booking_horizon_days)).astimezone(tz).date()
    return find_open_slots(service, first, last, now=now)


def _time_choices(
    slots: list[Slot], service: Service, practitioner_id: int | None, names: dict[int, str]
) -> list[tuple[str, str]]:
    tz = service.clinic.tz
    return [
        (
            f"{s.starts_at.isoformat()}|{s.practitioner_id}",
            f"{s.starts_at.astimezone(tz):%a %-d %b, %H:%M} · {names.get(s.practitioner_id, '')}",
        )
        for s in slots
        if practitioner_id is None or s.practitioner_id == practitioner_id
    ][:TIMES_OFFERED_BY_HAND]


def practitioner_names(service: Service) -> dict[int, str]:
    return {p.pk: p.display_name for p in service.practitioners.all()}


@team_required
@require_safe
def waitlist_page(request: HttpRequest) -> HttpResponse:
    """Every waiting entry per service, in the order places are offered, with offers in flight."""
    user = signed_in_user(request)
    now = timezone.now()
    entries = list(
        waitlist_entries_for(user)
        .filter(status=EntryStatus.WAITING)
        .select_related("patient", "service__clinic", "practitioner")
        .order_by("service__position", "service__name", "joined_at", "pk")
    )
    live = {
        o.entry_id: o
        for o in WaitlistOffer.objects.filter(
            entry__in=entries, status__in=LIVE_OFFER_STATUSES
        ).select_related("place")
    }
    places = (
        WaitlistPlace.objects.filter(clinic=user.clinic, status__in=HOLDING_STATUSES)
        .select_related("service", "practitioner")
        .prefetch_related("offers__entry__patient")
        .order_by("starts_at")
    )
    by_service: dict[int, dict[str, Any]] = {}
    open_times: dict[int, list[Slot]] = {}
    names: dict[int, dict[int, str]] = {}
    for entry in entries:
        service = entry.service
        if service.pk not in by_service:
            # Once per service, not per entry: the open times and who they are with.
            open_times[service.pk] = _open_times(service, now)
            names[service.pk] = practitioner_names(service)
            by_service[service.pk] = {"service": service, "rows": [], "places": []}
        times = _time_choices(
            open_times[service.pk], service, entry.practitioner_id, names[service.pk]
        )
        by_service[service.pk]["rows"].append(
            {
                "entry": entry,
                "wishes": waitlist.wishes_text(entry),
                "offer": live.get(entry.pk),
                "times": times,
                "form": OfferByHandForm(times=times, auto_id=f"offer-{entry.pk}-%s"),
            }
        )
    in_flight: dict[int, list[WaitlistPlace]] = defaultdict(list)
    for place in places:
        in_flight[place.service_id].append(place)
        if place.service_id not in by_service:
            by_service[place.service_id] = {"service": place.service, "rows": [], "places": []}
    for service_id, group in by_service.items():
        group["places"] = in_flight.get(service_id, [])
    return render(
        request,
        "practice/waitlist.html",
        {"groups": list(by_service.values()), "view": "waitlist", "now": now},
    )


@team_required
@require_POST
def remove_entry(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in_user(request)
    entry = get_object_or_404(waitlist_entries_for(user).select_related("patient"), pk=pk)
    if waitlist.waitlist_leave(entry=entry, by=user):
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
    service = entry.service
    now = timezone.now()
    form = OfferByHandForm(
        request.POST,
        times=_time_choices(
            _open_times(service, now), service, entry.practitioner_id, practitioner_names(service)
        ),
    )
    if not form.is_valid():
        for error in form.errors.get("start", []):
            messages.error(request, str(error))
        return redirect("practice:waitlist")
    start_text, practitioner_id = form.cleaned_data["start"].split("|")
    practitioner = service.practitioners.filter(pk=int(practitioner_id)).first()
    try:
        waitlist.offer_by_hand(
            entry=entry,
            starts_at=datetime.fromisoformat(start_text),
            by=user,
            practitioner=practitioner,
            now=now,
        )
    except waitlist.WaitlistError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Offered to {entry.patient.get_full_name() or entry.patient.email}: "
            "we have emailed them the link.",
        )
    return redirect("practice:waitlist")
