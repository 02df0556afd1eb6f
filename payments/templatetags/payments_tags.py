"""Money on the booking pages: the price choice at checkout and a visit's payment panel.

The booking app's templates load these so that ``booking`` never imports ``payments``.
"""

from __future__ import annotations

from typing import Any

from django import template

from booking.models import Booking, PaymentMode, Service
from payments import services
from payments import stripe_gateway as gateway
from payments.models import FeeReductionStatus, Payment, PaymentStatus
from payments.pricing import format_money, payment_mode_for
from portal import policy
from portal.models import Role

register = template.Library()


@register.inclusion_tag("payments/_price_choice.html", takes_context=True)
def price_choice(
    context: dict[str, Any], service: Service, patient: Any, amount: str = "", error: str = ""
) -> dict[str, Any]:
    """The price on the confirm page: fixed, free, or a kind sliding-scale choice."""
    booked_by = context["request"].user
    prices = services.prices_for(service=service, patient=patient)
    chosen = amount if amount not in (None, "") else f"{prices.suggested / 100:g}"
    mode = services.checkout_mode(
        service=service, amount_minor=prices.suggested, patient=patient, booked_by=booked_by
    )
    wanted_online = payment_mode_for(service, prices.suggested) == PaymentMode.ONLINE
    steps = [(a, f"{a / 100:g}") for a in prices.steps()] if prices.is_choice else []
    return {
        "prices": prices,
        "amount": chosen,
        "error": error,
        "mode": mode,
        "for_someone_else": patient != booked_by,
        # The configuration hint is for the team; a patient is only told what to do.
        "viewer_is_team": getattr(booked_by, "role", None) in (Role.PRACTITIONER, Role.STAFF),
        "online_unconfigured": wanted_online
        and mode != PaymentMode.ONLINE
        and not gateway.is_configured(),
        "steps": steps,
        "amount_is_other": chosen not in [value for _, value in steps],
        "currency": prices.currency,
        "clinic": service.clinic,
    }


@register.inclusion_tag("payments/_booking_payment.html", takes_context=True)
def booking_payment(context: dict[str, Any], booking: Booking) -> dict[str, Any]:
    """A visit's payment: pay now while held, paid with a receipt, refunds."""
    payment = (
        services.payment_for_booking(booking)
        if booking.payment_mode == PaymentMode.ONLINE
        else None
    )
    return {
        "booking": booking,
        "payment": payment,
        "refunds": list(payment.refunds.all()) if payment else [],
        "user": context["request"].user,
    }


@register.inclusion_tag("payments/_patient_payments.html")
def patient_payments(patient: Any) -> dict[str, Any]:
    """Every online payment of a patient, with receipts, for My bookings (two queries)."""
    payments = (
        Payment.objects.filter(patient=patient)
        .exclude(status__in=(PaymentStatus.PENDING, PaymentStatus.CANCELED))
        .select_related("booking__service")
        .prefetch_related("refunds")
        .order_by("-created_at")[:50]
    )
    return {"payments": payments}


@register.simple_tag(takes_context=True)
def checkout_mode(context: dict[str, Any], service: Service, patient: Any) -> str:
    """How a new booking of ``service`` would be paid (online, clinic, free), for the button."""
    prices = services.prices_for(service=service, patient=patient)
    return services.checkout_mode(
        service=service,
        amount_minor=prices.suggested,
        patient=patient,
        booked_by=context["request"].user,
    )


@register.inclusion_tag("payments/_fee_requests_link.html")
def fee_requests_link(user: Any) -> dict[str, Any]:
    """The team's way in to fee-reduction requests, with how many wait for an answer."""
    waiting = policy.fee_requests_for(user).filter(status=FeeReductionStatus.PENDING).count()
    return {"waiting": waiting}


@register.simple_tag(takes_context=True)
def price_summary(context: dict[str, Any], service: Service, patient: Any) -> str:
    """One line for the confirm page's details: "£25, paid at the clinic", "£15 to £35"..."""
    prices = services.prices_for(service=service, patient=patient)
    if prices.is_free:
        return "Free"
    mode = services.checkout_mode(
        service=service,
        amount_minor=prices.suggested,
        patient=patient,
        booked_by=context["request"].user,
    )
    how = "paid online when you book" if mode == PaymentMode.ONLINE else "paid at the clinic"
    if prices.is_choice:
        low, high = (
            format_money(prices.low, prices.currency),
            format_money(prices.high, prices.currency),
        )
        return f"{low} to {high}, you choose below; {how}"
    return f"{format_money(prices.high, prices.currency)}, {how}"
