"""payments.demo: the demo's sliding scale, online private visit and pending fee request."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from booking.availability import find_open_slots
from booking.models import Booking, BookingStatus, PaymentMode, PriceRule, Service, ServiceKind
from payments.models import FeeReduction, FeeReductionStatus
from payments.services import checkout_mode, prices_for
from portal.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_seed_demo_sets_prices_and_a_pending_request_once() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    community = Service.objects.get(slug="community-clinic")
    assert community.price_rule == PriceRule.SLIDING
    jordan = User.objects.get(email="jordan@patient.example")
    prices = prices_for(service=community, patient=jordan)
    assert (prices.low, prices.suggested, prices.high) == (1500, 2500, 3500)
    assert Service.objects.get(slug="initial-consultation").payment_mode == PaymentMode.ONLINE
    (request,) = FeeReduction.objects.all()
    assert request.patient == jordan and request.status == FeeReductionStatus.PENDING


@pytest.mark.usefixtures("no_stripe")
def test_without_stripe_keys_the_demo_takes_payment_at_the_clinic() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    alex = User.objects.get(email="alex@patient.example")
    consult = Service.objects.get(slug="initial-consultation")
    assert (
        checkout_mode(service=consult, amount_minor=6500, patient=alex, booked_by=alex) == "clinic"
    )


@pytest.mark.usefixtures("no_stripe")
def test_the_demo_has_a_private_treatment_whose_price_the_patient_chooses() -> None:
    call_command("seed_demo", stdout=io.StringIO())
    call_command("seed_demo", stdout=io.StringIO())
    (sliding,) = Service.objects.filter(price_rule=PriceRule.SLIDING, kind=ServiceKind.PRIVATE)
    follow_up = Service.objects.get(slug="follow-up")
    assert set(sliding.practitioners.all()) == set(follow_up.practitioners.all())
    assert sliding.is_active and sliding.needs_checkout
    alex = User.objects.get(email="alex@patient.example")
    prices = prices_for(service=sliding, patient=alex)
    assert (prices.low, prices.suggested, prices.high) == (3000, 4000, 5000)

    # A visitor sees the range on the public list; Alex picks an amount for a real time.
    listing = Client().get("/book/").content.decode()
    assert "£30\u2013£50, you choose" in listing
    now = timezone.now()
    taken = [(b.blocked_from, b.blocked_until) for b in Booking.objects.filter(patient=alex)]
    start = next(
        s.starts_at
        for s in find_open_slots(
            sliding, timezone.localdate(), timezone.localdate() + timedelta(days=13), now=now
        )
        if s.starts_at > now + timedelta(days=2)
        and all(
            not (a - timedelta(hours=2) < s.starts_at < b + timedelta(hours=2)) for a, b in taken
        )
    )
    client = client_for(alex)
    confirm = client.get(
        f"/book/{sliding.slug}/confirm/?" + urlencode({"start": start.isoformat(), "with": "any"})
    ).content.decode()
    assert 'name="amount"' in confirm and "£30" in confirm and "£50" in confirm
    response = client.post(
        f"/book/{sliding.slug}/checkout/",
        {
            "start": start.isoformat(),
            "practitioner": "any",
            "request_key": str(uuid.uuid4()),
            "amount": "40",
            "amount_other": "35",
        },
    )
    booking = Booking.objects.get(service=sliding)
    assert response["Location"] == f"/bookings/{booking.pk}/"
    assert booking.status == BookingStatus.CONFIRMED and booking.price_minor == 3500
