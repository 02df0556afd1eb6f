"""Waiting-list pages for patients: join for a service, leave, and answer an offer's link."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from booking import notices
from booking.errors import BookingError
from booking.lookups import carry_query, get_bookable_service, is_team, patient_for, signed_in_user
from booking.waitlist.claims import offer_claim
from booking.waitlist.entries import DEFAULT_WAITING_WEEKS, waitlist_join, waitlist_leave
from booking.waitlist.errors import PlaceGone, WaitlistError
from booking.waitlist.links import offer_from_token
from booking.waitlist.wishes import never_offered, runs_text
from booking.waitlist_forms import WaitlistJoinForm
from booking.waitlist_models import EntryStatus, OfferStatus, PlaceStatus, WaitlistPlace
from portal.access import login_required, patient_required
from portal.policy import waitlist_entries_for


@login_required
@require_http_methods(["GET", "POST"])
def join(request: HttpRequest, slug: str) -> HttpResponse:
    """Ask for a place of this service on some days and times (or change the wishes)."""
    service = get_bookable_service(slug)
    patient = patient_for(request)
    entry = (
        waitlist_entries_for(patient).filter(service=service, status=EntryStatus.WAITING).first()
    )
    initial = (
        {
            "weekdays": entry.weekdays,
            "day_parts": entry.day_parts,
            "practitioner": entry.practitioner_id or "any",
        }
        if entry
        else {"practitioner": "any"}
    )
    form = WaitlistJoinForm(request.POST or None, service=service, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            joined = waitlist_join(
                patient=patient,
                service=service,
                weekdays=form.cleaned_data["weekdays"],
                day_parts=form.cleaned_data["day_parts"],
                practitioner=form.chosen_practitioner(),
                weeks=form.cleaned_data["weeks"],
                by=signed_in_user(request),
            )
        except WaitlistError as exc:
            form.add_error(None, exc.message)
        else:
            runs = never_offered(joined, now=timezone.now())
            if runs:
                # Monday mornings for a clinic that runs on Tuesday evenings: joined, but told.
                messages.warning(
                    request,
                    f"{'They are' if is_team(request.user) else 'You are'} on the waiting "
                    f"list, but {service.name} runs on {runs} at the moment: none of the days "
                    "and times chosen, so no place can be offered unless that changes. Change "
                    "the days to one of those to be offered a place.",
                )
            else:
                messages.success(
                    request,
                    "You are on the waiting list. We will email you as soon as a place frees "
                    "on the days you chose, until the date you chose.",
                )
            if is_team(request.user):
                return redirect("practice:waitlist")
            return redirect(reverse("booking:mine") + "#waiting-list")
    return render(
        request,
        "booking/waitlist_join.html",
        {
            "service": service,
            "patient": patient,
            "form": form,
            "entry": entry,
            "carry": carry_query(request),
            "runs": runs_text(service, weeks=DEFAULT_WAITING_WEEKS, now=timezone.now()),
        },
        status=400 if request.method == "POST" else 200,
    )


@patient_required
@require_POST
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    """The patient takes themself off the list."""
    entry = get_object_or_404(waitlist_entries_for(signed_in_user(request)), pk=pk)
    if waitlist_leave(entry=entry, by=signed_in_user(request)):
        messages.success(request, f"You have left the waiting list for {entry.service.name}.")
    else:
        messages.info(request, "You were no longer on that waiting list.")
    return redirect(reverse("booking:mine") + "#waiting-list")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def offer(request: HttpRequest, token: str) -> HttpResponse:
    """The offer email's link: see the held place and confirm it (the first to confirm gets it)."""
    found = offer_from_token(token)
    if found is None:
        raise Http404("This link is not valid or is too old.")
    user = signed_in_user(request)
    if found.entry.patient_id != user.pk:
        # Nothing about the place or the person it was offered to.
        raise PermissionDenied("This link was sent to someone else.")
    place = found.place
    service = place.service
    gone = ""
    if request.method == "POST":
        try:
            claimed = offer_claim(offer=found, patient=user)
        except PlaceGone as exc:
            gone = exc.message
        except (WaitlistError, BookingError) as exc:
            messages.error(request, exc.message)
        else:
            if claimed.booking is not None:
                notices.booked(request, claimed.booking)
                return redirect("booking:detail", pk=claimed.booking.pk)
            # An amount to choose or a payment to make: the usual confirm page books it.
            messages.success(
                request,
                "The place is held for you. Choose your amount and confirm to book it.",
            )
            return redirect(
                f"{reverse('booking:confirm', args=[service.slug])}?{_confirm_query(place)}"
            )
        found.refresh_from_db()
        place.refresh_from_db()
    now = timezone.now()
    if not gone and (
        found.status in (OfferStatus.GONE, OfferStatus.EXPIRED, OfferStatus.WITHDRAWN)
        or (found.status == OfferStatus.SENT and (not place.is_holding or place.expires_at <= now))
    ):
        gone = PlaceGone().message
    return render(
        request,
        "booking/waitlist_offer.html",
        {
            "offer": found,
            "place": place,
            "service": service,
            "tz": service.clinic.tz,
            "gone": gone,
            "claimed": found.status == OfferStatus.CLAIMED and place.status == PlaceStatus.CLAIMED,
            "booked": found.status == OfferStatus.BOOKED,
            "needs_checkout": service.needs_checkout,
            "confirm_query": _confirm_query(place),
        },
        status=410 if gone else 200,
    )


def _confirm_query(place: WaitlistPlace) -> str:
    """The usual confirm page's query for a held place (multibed: whoever runs the room)."""
    chosen = "any" if place.service.is_multibed else str(place.practitioner_id)
    return urlencode({"start": place.starts_at.isoformat(), "practitioner": chosen})
