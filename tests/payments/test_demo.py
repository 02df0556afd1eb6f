"""payments.demo: the demo's sliding scale, online private visit and pending fee request."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from booking.models import PaymentMode, PriceRule, Service
from payments.models import FeeReduction, FeeReductionStatus
from payments.services import checkout_mode, prices_for
from portal.models import User

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
