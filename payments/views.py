"""Paying pages: checkout, the card page, cancel-and-refund, receipts, fee reductions, webhook."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from csp.decorators import csp_replace, csp_update
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from booking import notices
from booking import services as booking_services
from booking.confirm_page import chosen_practitioner, render_confirm, week_url
from booking.errors import BookingError
from booking.forms import ConfirmBookingForm
from booking.lookups import (
    get_bookable_service,
    get_booking_for_user,
    is_team,
    patient_for,
    signed_in_user,
)
from booking.models import Booking, BookingStatus
from payments import services
from payments import stripe_gateway as gateway
from payments.fee_reductions import (
    FeeReductionError,
    current_floor,
    fee_reduction_approve,
    fee_reduction_change,
    fee_reduction_decline,
    fee_reduction_request,
    highest_full_price,
)
from payments.forms import FeeReductionDecisionForm, FeeReductionRequestForm
from payments.models import FeeReduction, FeeReductionStatus, Payment, PaymentStatus
from payments.pricing import PriceError, format_money
from payments.webhooks import MalformedEvent, ingest_event
from portal import policy
from portal.access import login_required, patient_required, team_required
from portal.headers import allow_features
from portal.messaging import MessageKind, email_on_its_way
from portal.models import Clinic
from portal.team_security import sensitive_team_action

View = Callable[..., HttpResponse]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


# Stripe's documented hosts for Stripe.js and its card frames (its CSP guide). In tests
# STRIPE_JS_URL and STRIPE_API_BASE point at localstripe, whose origins are added instead.
_STRIPE_FRAMES = ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]


def _stripe_sources() -> dict[str, list[str]]:
    """What the card page adds to the site-wide Content-Security-Policy.

    Stripe.js, loaded from ``STRIPE_JS_URL`` (https://js.stripe.com/v3/ in production,
    localstripe in tests), is the one external script the portal allows, and only here: it
    must come from Stripe for the card details to stay out of our pages (PCI SAQ A).
    """
    js = _origin(settings.STRIPE_JS_URL)
    api = (
        _origin(settings.STRIPE_API_BASE) if settings.STRIPE_API_BASE else "https://api.stripe.com"
    )
    return {
        "script-src": [js],
        "frame-src": sorted({js, *_STRIPE_FRAMES}),
        "connect-src": sorted({js, api}),
        "img-src": ["https://*.stripe.com"],
    }


def _stripe_csp(view: View) -> View:
    """The card page's policies: Stripe's hosts on top of the site-wide Content-Security-Policy
    (the nonce and everything else stay as on every page), and ``payment`` for its frames."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        sources = _stripe_sources()
        # The site-wide policy allows no frames at all: here Stripe's replace that 'none'.
        frames = sources.pop("frame-src")
        with_stripe = csp_replace({"frame-src": frames})(csp_update(sources)(view))
        return with_stripe(request, *args, **kwargs)  # type: ignore[return-value]

    return allow_features(lambda: {"payment": ["self", _STRIPE_FRAMES[0]]})(wrapped)


def _own_booking(request: HttpRequest, pk: int) -> Booking:
    """The signed-in patient's own booking (only they can pay for it); 404 for anyone else's."""
    return get_object_or_404(
        Booking.objects.select_related("service", "practitioner", "clinic", "room"),
        pk=pk,
        patient_id=request.user.pk,
    )


@login_required
@require_POST
def checkout(request: HttpRequest, slug: str) -> HttpResponse:
    """The confirm page's POST for a new booking: check the amount, then book or hold and pay."""
    service = get_bookable_service(slug)
    patient = patient_for(request)
    practitioner = chosen_practitioner(service, request.POST.get("practitioner"))
    form = ConfirmBookingForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That time could not be read. Please pick a time again.")
        return redirect(week_url(request, service))
    start = form.cleaned_data["start"]
    # A typed amount wins over the quick choices.
    amount = request.POST.get("amount_other") or request.POST.get("amount", "")
    amount_error = ""
    refusal: BookingError | None = None
    try:
        result = services.checkout(
            patient=patient,
            service=service,
            starts_at=start,
            amount=amount,
            currency=request.POST.get("currency"),
            practitioner=practitioner,
            booked_by=signed_in_user(request),
            request_key=str(form.cleaned_data["request_key"]),
        )
    except PriceError as exc:
        amount_error = exc.message
    except BookingError as exc:
        refusal = exc
    else:
        if result.booking.status == BookingStatus.HELD and result.payment is not None:
            return redirect("payments:pay", pk=result.booking.pk)
        notices.booked(request, result.booking)
        return redirect("booking:detail", pk=result.booking.pk)
    return render_confirm(
        request,
        service=service,
        patient=patient,
        start=start,
        practitioner=practitioner,
        form=form,
        refusal=refusal,
        amount_value=amount,
        amount_error=amount_error,
    )


@patient_required
@require_http_methods(["GET", "POST"])
@never_cache
@_stripe_csp
def pay(request: HttpRequest, pk: int) -> HttpResponse:
    """Pay for a held place by card, in the page (Stripe.js); POST retries starting the payment."""
    booking = _own_booking(request, pk)
    payment = Payment.objects.filter(booking=booking).first()
    if payment is None:
        raise Http404("Nothing to pay for this booking")
    if booking.status == BookingStatus.CONFIRMED:
        messages.success(request, "This visit is paid and booked.")
        return redirect("booking:detail", pk=booking.pk)
    start_failed = False
    if booking.status == BookingStatus.HELD and not payment.stripe_payment_intent_id:
        if request.method == "POST":
            try:
                payment = services.payment_start(payment=payment)
            except (gateway.GatewayError, services.PaymentError):
                start_failed = True
        else:
            start_failed = True
    return render(
        request,
        "payments/pay.html",
        {
            "booking": booking,
            "payment": payment,
            "tz": booking.clinic.tz,
            "start_failed": start_failed,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        },
    )


@patient_required
@require_safe
@never_cache
def pay_status(request: HttpRequest, pk: int) -> HttpResponse:
    """After paying: "confirming..." until the webhook confirms the place (polled by htmx)."""
    booking = _own_booking(request, pk)
    payment = get_object_or_404(Payment, booking=booking)
    template = (
        "payments/_pay_status.html"
        if request.headers.get("HX-Request")
        else "payments/pay_status.html"
    )
    return render(
        request,
        template,
        {
            "booking": booking,
            "payment": payment,
            "tz": booking.clinic.tz,
            "emailed": _emailed_once(request, booking),
        },
    )


def _emailed_once(request: HttpRequest, booking: Booking) -> bool:
    """Whether to say "we have emailed you the details": on the first look at the page once
    the payment confirmed the place (the poll that sees it, or the page just after), and only
    when the confirmation is really on its way; this page is still there weeks later."""
    if booking.status != BookingStatus.CONFIRMED:
        return False
    key = f"payments.told_emailed.{booking.pk}"
    if request.session.get(key):
        return False
    request.session[key] = True
    return email_on_its_way(kind=MessageKind.BOOKING_CONFIRMED, booking=booking)


def _told_patient(done: str, reduction: FeeReduction) -> str:
    """``done``, and that the patient is emailed when they have an address to email."""
    if reduction.patient.has_email:
        return f"{done} We have emailed the patient."
    return f"{done} They have no email address: tell them on the phone."


@login_required
@require_http_methods(["GET", "POST"])
@sensitive_team_action
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    """Cancel a paid (or being paid) visit and refund it by the clinic's policy."""
    booking = get_booking_for_user(request, pk)
    payment = services.payment_for_booking(booking)
    now = timezone.now()
    if request.method == "POST":
        try:
            booking, refund = services.cancel_with_refund(
                booking=booking, by=signed_in_user(request), now=now
            )
        except BookingError as exc:
            messages.error(request, exc.message)
        else:
            then = ""
            if refund is not None:
                amount = format_money(refund.amount_minor, payment.currency if payment else "GBP")
                then = f"{amount} is on its way back to the card it was paid with."
            notices.cancelled(request, booking, then=then)
            return redirect("booking:detail", pk=booking.pk)
    return render(
        request,
        "payments/cancel.html",
        {
            "booking": booking,
            "payment": payment,
            "refund_minor": services.refund_on_cancel(booking=booking, payment=payment, now=now),
            "tz": booking.clinic.tz,
            "can_change": booking_services.can_change_online(booking, now) or is_team(request.user),
        },
    )


@login_required
@require_safe
@never_cache
def receipt(request: HttpRequest, pk: int) -> HttpResponse:
    """A payment's receipt, for whoever may see the payment (``portal.policy``)."""
    payments = (
        policy.payments_for(request.user)
        .select_related("booking__service", "booking__practitioner", "clinic", "patient")
        .prefetch_related("refunds")
    )
    payment = get_object_or_404(payments, pk=pk)
    if not payment.is_paid:
        raise Http404("No receipt for a payment that did not go through")
    return render(request, "payments/receipt.html", {"payment": payment, "tz": payment.clinic.tz})


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    """Stripe's events: signature checked on the raw body (400 if wrong), each id applied once."""
    try:
        event = gateway.verify_event(request.body, request.headers.get("Stripe-Signature"))
        outcome = ingest_event(event)
    except gateway.InvalidSignature:
        return JsonResponse({"error": "invalid signature"}, status=400)
    except MalformedEvent:
        return JsonResponse({"error": "malformed event"}, status=400)
    return JsonResponse({"received": True, "outcome": outcome})


@patient_required
@require_http_methods(["GET", "POST"])
@never_cache
def fee_reduction_mine(request: HttpRequest) -> HttpResponse:
    """Ask privately for a lower fee, and see the answer (only ever inside the account)."""
    patient = signed_in_user(request)
    clinic = patient.clinic or Clinic.objects.current()
    form = FeeReductionRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        fee_reduction_request(patient=patient, clinic=clinic, reason=form.cleaned_data["reason"])
        messages.success(
            request, "Thank you. Your request has gone to the clinic team; we will email you."
        )
        return redirect("payments:fee_reduction")
    today = timezone.now().astimezone(clinic.tz).date()
    mine = FeeReduction.objects.filter(patient=patient).order_by("-created_at")
    floor = current_floor(patient=patient, clinic=clinic, today=today)
    return render(
        request,
        "payments/fee_reduction.html",
        {
            "form": form,
            "pending": mine.filter(status=FeeReductionStatus.PENDING).first(),
            "floor": floor,
            "approved": mine.filter(status=FeeReductionStatus.APPROVED, floor_minor=floor).first()
            if floor is not None
            else None,
            "latest": mine.first(),
        },
    )


@team_required
@require_safe
@never_cache
def fee_reduction_list(request: HttpRequest) -> HttpResponse:
    """Requests waiting for an answer, oldest first, and the latest answered."""
    mine = policy.fee_requests_for(signed_in_user(request)).select_related("patient", "decided_by")
    return render(
        request,
        "payments/fee_reduction_list.html",
        {
            "pending": mine.filter(status=FeeReductionStatus.PENDING).order_by("created_at"),
            "answered": mine.exclude(status=FeeReductionStatus.PENDING).order_by("-decided_at")[
                :20
            ],
        },
    )


@team_required
@require_http_methods(["GET", "POST"])
@never_cache
def fee_reduction_decide(request: HttpRequest, pk: int) -> HttpResponse:
    """Approve (the patient's own floor, maybe until a date) or decline a request, kindly."""
    user = signed_in_user(request)
    reduction = get_object_or_404(
        policy.fee_requests_for(user).select_related("patient", "clinic"), pk=pk
    )
    clinic = reduction.clinic
    today = timezone.now().astimezone(clinic.tz).date()
    answered = reduction.status != FeeReductionStatus.PENDING
    initial = {}
    if answered:
        # Changing an answer starts from the one given.
        initial = {
            "decision": "approve" if reduction.status == FeeReductionStatus.APPROVED else "decline",
            "floor": f"{reduction.floor_minor / 100:g}"
            if reduction.floor_minor is not None
            else "",
            "ends_on": reduction.ends_on,
            "reply": reduction.reply,
        }
    form = FeeReductionDecisionForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        currency=clinic.currency,
        today=today,
        highest_price_minor=highest_full_price(clinic),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if answered:
                fee_reduction_change(
                    reduction=reduction,
                    by=user,
                    approve=data["decision"] == "approve",
                    floor_minor=data.get("floor_minor"),
                    ends_on=data.get("ends_on"),
                    reply=data.get("reply", ""),
                )
                messages.success(request, _told_patient("Decision changed.", reduction))
            elif data["decision"] == "approve":
                fee_reduction_approve(
                    reduction=reduction,
                    by=user,
                    floor_minor=data["floor_minor"],
                    ends_on=data.get("ends_on"),
                    reply=data.get("reply", ""),
                )
                messages.success(request, _told_patient("Approved.", reduction))
            else:
                fee_reduction_decline(reduction=reduction, by=user, reply=data.get("reply", ""))
                messages.success(request, _told_patient("Answered.", reduction))
            return redirect("payments:fee_reductions")
        except FeeReductionError as exc:
            messages.error(request, exc.message)
    paid = Payment.objects.filter(patient=reduction.patient, status=PaymentStatus.SUCCEEDED).count()
    return render(
        request,
        "payments/fee_reduction_decide.html",
        {"reduction": reduction, "form": form, "paid_visits": paid, "answered": answered},
    )
