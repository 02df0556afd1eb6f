"""Booking pages: pick a service, a practitioner and a time; see, move and cancel visits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from booking import notices, services
from booking.availability_cache import (
    cached_bookable_service,
    cached_closures,
    cached_runs_between,
)
from booking.confirm_page import chosen_practitioner, render_confirm, week_url
from booking.eligibility import booking_standing, check_eligibility
from booking.errors import BookingError
from booking.forms import (
    BookingQueryForm,
    ConfirmBookingForm,
    PatientSearchForm,
    parse_practitioner,
)
from booking.gates import Gate, gates_for
from booking.lookups import (
    carry_query,
    get_bookable_service,
    get_booking_for_user,
    is_team,
    moving_booking,
    patient_for,
    signed_in_user,
    visitor_patient,
)
from booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    PaymentMode,
    Practitioner,
    Service,
)
from booking.week_page import build_week, open_week
from portal import policy
from portal.access import login_required, team_required
from portal.models import Clinic, User
from portal.phones import e164


@require_safe
def service_list(request: HttpRequest) -> HttpResponse:
    """Public: every service with its price and who offers it; no account needed to look."""
    patient = visitor_patient(request)
    clinic = Clinic.objects.current()
    services_ = Service.objects.filter(clinic=clinic, is_active=True)
    team = (
        Practitioner.objects.bookable()
        .filter(clinic=clinic, services__in=services_)
        .distinct()
        .order_by("display_name")
    )
    return render(
        request,
        "booking/service_list.html",
        {
            "services": services_,
            "practitioners": team,
            **_patient_context(request, patient, clinic),
            "carry": carry_query(request),
        },
    )


@require_safe
def choose_practitioner(request: HttpRequest, slug: str) -> HttpResponse:
    """Public: who offers the service, with their profiles."""
    service = get_bookable_service(slug)
    patient = visitor_patient(request)
    practitioners = list(service.practitioners.bookable())
    if service.is_multibed or len(practitioners) == 1:
        only = practitioners[0].pk if len(practitioners) == 1 else "any"
        return redirect(
            f"{reverse('booking:week', args=[slug])}?{carry_query(request, **{'with': only})}"
        )
    return render(
        request,
        "booking/choose_practitioner.html",
        {
            "service": service,
            "practitioners": practitioners,
            **_patient_context(request, patient, service.clinic),
            "carry": carry_query(request),
        },
    )


def _already_changed(request: HttpRequest, moving: Booking) -> HttpResponse:
    """A move started from a visit since moved or cancelled (another tab, the back button):
    its page, which links to where it went, instead of times to move it that end in a refusal."""
    messages.info(
        request, "That visit has already been moved or cancelled. Here is what happened to it."
    )
    return redirect("booking:detail", moving.pk)


@require_safe
def week(request: HttpRequest, slug: str) -> HttpResponse:
    """Public: a week of open start times, Monday to Sunday, in the clinic's time zone, one
    button per time; choosing one asks a visitor to sign in (the confirm page needs it)."""
    bookable = cached_bookable_service(slug)
    service = bookable.service
    patient = visitor_patient(request)
    moving = moving_booking(request) if patient is not None else None
    if moving is not None and not moving.is_changeable:
        return _already_changed(request, moving)
    gates = _gates(request, patient, service, moving) if patient is not None else []
    if gates and not is_team(request.user):
        return _gate_page(request, service, gates)
    tz = service.clinic.tz
    now = timezone.now()
    query = BookingQueryForm(request.GET)
    wanted = query.get("with")
    practitioner = parse_practitioner(bookable.practitioners, wanted)
    carry = carry_query(request)
    if practitioner is None and isinstance(wanted, int):
        carry = carry_query(request, **{"with": "any"})
        messages.info(
            request,
            f"That practitioner does not take {service.name} bookings online, so these are "
            "everyone's open times.",
        )
    monday, slots, next_open = open_week(
        service,
        asked=query.get("week"),
        now=now,
        practitioner=practitioner,
        moving=moving,
    )
    # Each time's link names its practitioner, so "any practitioner" books who it says.
    link = f"{reverse('booking:confirm', args=[slug])}?{'&'.join(filter(None, (carry, 'start=')))}"
    sunday = monday + timedelta(days=6)
    shown = build_week(
        slots,
        link=link,
        closures=cached_closures(service, monday, sunday, practitioner=practitioner),
        monday=monday,
        today=now.astimezone(tz).date(),
        horizon_end=(now + timedelta(days=service.clinic.booking_horizon_days))
        .astimezone(tz)
        .date(),
        tz=tz,
    )
    # No open time: fully booked, or no session at all (closed days, nobody working)?
    no_sessions = not slots and not cached_runs_between(
        service, monday, sunday, now=now, practitioner=practitioner
    )
    return render(
        request,
        "booking/week.html",
        {
            "service": service,
            **_patient_context(request, patient, service.clinic),
            "week": shown,
            "next_open": next_open,
            "no_sessions": no_sessions,
            "tz": tz,
            "practitioner": practitioner,
            # Everyone offering the service, for "who you may see" (read with it).
            "offered_by": [p.display_name for p in bookable.practitioners if p.is_bookable],
            "moving": moving,
            "moving_label": moving.starts_at.astimezone(tz).strftime("%A %-d %B, %H:%M")
            if moving
            else "",
            "carry": carry,
            # Already loaded with the service: saves the context processor a query.
            "clinic": service.clinic,
            "gate_warnings": gates,
        },
    )


def _patient_context(request: HttpRequest, patient: User | None, clinic: Clinic) -> dict[str, Any]:
    """Who the public booking pages speak to: a visitor, a patient (new or returning), or
    the team booking ``for`` a patient; and the limit on upcoming visits, said up front."""
    if patient is None:
        return {
            "patient": None,
            "booking_for": None,
            "is_new_patient": True,
            "new_patient_limit": clinic.new_patient_booking_limit,
            "at_limit": False,
        }
    booking_for = patient if patient != request.user else None
    standing = booking_standing(patient, clinic, timezone.now(), by_patient=booking_for is None)
    return {
        "patient": patient,
        "booking_for": booking_for,
        "is_new_patient": standing.is_new,
        "new_patient_limit": standing.limit if standing.is_new else 0,
        "at_limit": standing.at_limit,
        "held": standing.held,
    }


@login_required
@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, slug: str) -> HttpResponse:
    """Show the chosen time; on POST make (or move) the booking through the service."""
    service = get_bookable_service(slug)
    patient = patient_for(request)
    moving = moving_booking(request)
    if request.method == "GET" and moving is not None and not moving.is_changeable:
        return _already_changed(request, moving)
    gates = _gates(request, patient, service, moving)
    if gates and not is_team(request.user):
        return _gate_page(request, service, gates)
    query = BookingQueryForm(request.POST if request.method == "POST" else request.GET)
    start = query.get("start")
    practitioner = chosen_practitioner(service, query.get("practitioner") or query.get("with"))
    if start is None:
        messages.error(request, "That time could not be read. Please pick a time again.")
        return redirect(week_url(request, service))
    form = ConfirmBookingForm(
        request.POST or None,
        initial={
            "start": start.isoformat(),
            "practitioner": practitioner.pk if practitioner else "any",
        },
    )
    refusal: BookingError | None = None
    if request.method == "GET" and moving is None:
        # Said before the patient picks an amount or presses Confirm: a new patient at the
        # clinic's cap, or a second free assessment, is refused the same way on POST.
        try:
            check_eligibility(
                patient=patient,
                service=service,
                now=timezone.now(),
                ignoring=None,
                by_patient=patient == request.user,
            )
        except BookingError as exc:
            refusal = exc
    if request.method == "POST" and moving is None and service.needs_checkout:
        # The amount and the online payment are settled by checkout (the page posts there).
        messages.error(request, "Please choose how much to pay, then confirm.")
    elif request.method == "POST" and form.is_valid():
        try:
            if moving is not None:
                booking = _move(request, moving, start=start, practitioner=practitioner)
                notices.moved(request, booking)
            else:
                booking = services.booking_create(
                    services.BookingRequest(
                        patient=patient,
                        service=service,
                        starts_at=start,
                        practitioner=practitioner,
                        booked_by=signed_in_user(request),
                        request_key=str(form.cleaned_data["request_key"]),
                    )
                )
                notices.booked(request, booking)
            return redirect("booking:detail", pk=booking.pk)
        except BookingError as exc:
            refusal = exc
    return render_confirm(
        request,
        service=service,
        patient=patient,
        start=start,
        practitioner=practitioner,
        form=form,
        moving=moving,
        refusal=refusal,
        gate_warnings=gates,
    )


def _move(
    request: HttpRequest, moving: Booking, *, start: datetime, practitioner: Practitioner | None
) -> Booking:
    """The confirm page reached from "Move": the same visit at the chosen time."""
    return services.booking_reschedule(
        booking=moving, starts_at=start, by=signed_in_user(request), practitioner=practitioner
    )


@login_required
@require_safe
def my_bookings(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    mine = Booking.objects.filter(patient=signed_in_user(request)).select_related(
        "service", "practitioner"
    )
    upcoming = mine.filter(status__in=ACTIVE_STATUSES, starts_at__gte=now).order_by("starts_at")
    past = mine.filter(Q(starts_at__lt=now) | ~Q(status__in=ACTIVE_STATUSES)).order_by(
        "-starts_at"
    )[:30]
    return render(request, "booking/my_bookings.html", {"upcoming": upcoming, "past": past})


@login_required
@require_safe
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_booking_for_user(request, pk)
    return render(
        request,
        "booking/detail.html",
        {
            "booking": booking,
            "tz": booking.clinic.tz,
            "can_change": services.can_change_online(booking) or is_team(request.user),
            "on_hold": _on_hold(booking),
            # One visit that moved: each page links to the other.
            "moved_to": Booking.objects.filter(rescheduled_from=booking).first(),
            "moved_from": booking.rescheduled_from,
        },
    )


def _on_hold(booking: Booking) -> bool:
    """A visit still to come that another app's urgent gate (intake: a flag that holds
    treatment) would stop the patient booking today: it waits for a practitioner's call."""
    if booking.status != BookingStatus.CONFIRMED or booking.starts_at <= timezone.now():
        return False
    return any(gate.urgent for gate in gates_for(booking.patient, booking.service))


@login_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = get_booking_for_user(request, pk)
    if booking.payment_mode == PaymentMode.ONLINE:
        # Paid online: cancelling also refunds, by the clinic's policy.
        return redirect("payments:cancel", pk=booking.pk)
    if request.method == "POST":
        try:
            booking = services.booking_cancel(booking=booking, by=signed_in_user(request))
            notices.cancelled(request, booking)
            return redirect("booking:detail", pk=booking.pk)
        except BookingError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "booking/cancel.html",
        {
            "booking": booking,
            "tz": booking.clinic.tz,
            "can_change": services.can_change_online(booking) or is_team(request.user),
        },
    )


@team_required
@require_safe
def book_for_patient(request: HttpRequest) -> HttpResponse:
    """Clinic staff booking for a caller: find the patient, then the usual booking pages.

    Found among ``policy.findable_patients``, as on the workspace's patient search: the desk
    every patient of the clinic, a practitioner only their own patients."""
    form = PatientSearchForm(request.GET)
    query = form.search_text()
    patients = User.objects.none()
    if len(query) >= 2:
        patients = (
            policy.findable_patients(signed_in_user(request))
            .filter(
                Q(email__icontains=query)
                | Q(first_name__icontains=query)
                | Q(last_name__icontains=query)
                | Q(phone__icontains=query)
                # Numbers are stored as E.164: "07700 900123" finds "+447700900123".
                | Q(phone=e164(query) or query)
            )
            .order_by("last_name", "first_name")[:20]
        )
    return render(
        request,
        "booking/book_for_patient.html",
        {"form": form, "query": query, "patients": patients},
        status=200 if form.is_valid() else 400,
    )


def _gates(
    request: HttpRequest, patient: User, service: Service, moving: Booking | None
) -> list[Gate]:
    """What other apps say stands in the way of this booking (moving a visit is never gated)."""
    if moving is not None:
        return []
    return gates_for(patient, service, return_url=request.get_full_path())


def _gate_page(request: HttpRequest, service: Service, gates: list[Gate]) -> HttpResponse:
    """A patient booking for themself is stopped by a gate, with what to do next."""
    return render(request, "booking/gated.html", {"service": service, "gates": gates})
