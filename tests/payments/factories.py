"""Helpers for payment tests: book through checkout, pay at localstripe, deliver the webhook."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from booking.models import Booking, Service
from payments.models import FeeReduction, FeeReductionStatus, Payment
from payments.services import CheckoutResult, checkout
from payments.webhooks import ingest_event
from portal.models import Clinic, User
from tests.booking.conftest import NOW
from tests.payments.conftest import intent_event, pay_with_test_card


def checkout_for(
    patient: User,
    service: Service,
    starts_at: datetime,
    *,
    amount: str | None = None,
    now: datetime = NOW,
    booked_by: User | None = None,
    request_key: str | None = None,
) -> CheckoutResult:
    return checkout(
        patient=patient,
        service=service,
        starts_at=starts_at,
        amount=amount,
        booked_by=booked_by,
        request_key=request_key or str(uuid.uuid4()),
        now=now,
    )


def pay_and_deliver(localstripe: str, payment: Payment, **ingest: Any) -> str:
    """Pay the intent with the test card at localstripe, then deliver its succeeded event."""
    paid = pay_with_test_card(localstripe, payment.client_secret)
    assert paid["status"] == "succeeded", paid
    assert payment.stripe_payment_intent_id
    return ingest_event(
        intent_event(
            "payment_intent.succeeded",
            payment.stripe_payment_intent_id,
            amount=payment.amount_minor,
        ),
        **ingest,
    )


def approved_floor(patient: User, floor_minor: int, **extra: Any) -> FeeReduction:
    return FeeReduction.objects.create(
        clinic=Clinic.objects.current(),
        patient=patient,
        status=FeeReductionStatus.APPROVED,
        floor_minor=floor_minor,
        **extra,
    )


def reload(booking: Booking) -> Booking:
    booking.refresh_from_db()
    return booking
