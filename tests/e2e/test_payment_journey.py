"""Paying in a real browser: a sliding-scale amount, card 4242 via localstripe's Stripe.js
stand-in, "confirming..." until localstripe's signed webhook books the place; a fee
reduction asked for and approved; the demo without keys offering pay-at-clinic."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from booking.models import Booking, BookingStatus, Practitioner, Service
from payments.demo import seed_payments
from payments.models import FeeReduction, Payment, PaymentStatus
from portal.demo import DEMO_PASSWORD
from portal.models import Clinic, User
from tests.booking.factories import visit_at
from tests.payments.conftest import (  # noqa: F401 - fixtures
    localstripe,
    localstripe_webhooks,
    no_stripe,
    stripe_settings,
)

from .conftest import log_in, pick_slot, shot, shot_both

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]


@pytest.fixture
def demo_clinic(demo_clinic: Clinic) -> Clinic:
    """The booking demo with the payments demo's prices, payments and fee reductions."""
    seed_payments(demo_clinic)
    return demo_clinic


@pytest.mark.usefixtures("stripe_settings", "localstripe_webhooks")
def test_a_patient_picks_what_to_pay_and_pays_by_card(
    page: Page, live_server: Any, demo_clinic: Clinic
) -> None:
    base = live_server.url
    log_in(page, base, "jordan@patient.example", DEMO_PASSWORD)
    page.goto(f"{base}/book/community-clinic/")
    pick_slot(page)
    expect(page.get_by_role("group", name="Pay what you can")).to_be_visible()
    expect(page.get_by_text("You don't need to explain or show anything")).to_be_visible()
    shot_both(page, "payments-confirm-sliding-scale")

    # An amount below the range is refused on the same page, and nothing is booked.
    page.get_by_label(re.compile("Or another amount")).fill("9")
    page.get_by_role("button", name="Continue to payment").click()
    # Said beside the field and in the error summary, which links to the field.
    expect(page.locator("#amount-error")).to_contain_text("The lowest amount for this visit is £15")
    expect(page.locator(".error-summary a[href='#id_amount_other']")).to_contain_text(
        "The lowest amount for this visit is £15"
    )
    assert not Booking.objects.exists()
    shot(page, "payments-amount-refused-laptop")

    page.get_by_label(re.compile("Or another amount")).fill("")
    page.locator("label.amount-chip", has_text="£20").click()
    page.get_by_role("button", name="Continue to payment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay for your visit")
    booking = Booking.objects.get()
    assert (booking.status, booking.price_minor) == (BookingStatus.HELD, 2000)
    expect(page.get_by_role("button", name="Pay £20")).to_be_visible()

    # localstripe's card element: plain inputs named by their placeholders.
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill("4242424242424242")
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("30")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("BS1 4XE")
    shot_both(page, "payments-card-page")
    page.get_by_role("button", name="Pay £20").click()

    expect(
        page.get_by_role("heading", name=re.compile("Confirming your payment|You're booked in"))
    ).to_be_visible()
    # localstripe delivers the signed webhook about a second later; htmx polls every 2s.
    expect(page.get_by_role("heading", name="You're booked in")).to_be_visible(timeout=15_000)
    shot_both(page, "payments-booked")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED

    page.get_by_role("link", name="Receipt").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"R-\d{4}-\d{6}"))
    shot_both(page, "payments-receipt")

    page.goto(f"{base}/bookings/")
    expect(page.get_by_role("heading", name="Payments and receipts")).to_be_visible()
    shot_both(page, "payments-my-bookings")

    # Cancelling before the cutoff refunds in full.
    page.goto(f"{base}/bookings/{booking.pk}/cancel/")
    expect(page.get_by_text("£20 comes back in full")).to_be_visible()
    shot_both(page, "payments-cancel-refund")
    page.get_by_role("button", name="Yes, cancel this visit").click()
    expect(page.get_by_text("£20 is on its way back")).to_be_visible()
    assert Payment.objects.get().status == PaymentStatus.REFUNDED


def test_a_fee_reduction_is_asked_for_and_approved(
    page: Page, live_server: Any, demo_clinic: Clinic
) -> None:
    base = live_server.url
    FeeReduction.objects.all().delete()
    # Priya has a visit with Mei next week: Mei answers fee requests from patients in her care
    # (portal.policy); a request from someone with no visit is the front desk's.
    follow_up = Service.objects.get(slug="follow-up")
    visit_at(
        patient=User.objects.get(email="priya@patient.example"),
        service=follow_up,
        practitioner=Practitioner.objects.get(user__email="mei@clinic.example"),
        starts_at=timezone.now() + timedelta(days=7),
        price_minor=follow_up.price_minor,
        currency=follow_up.clinic.currency,
    )
    log_in(page, base, "priya@patient.example", DEMO_PASSWORD)
    page.goto(f"{base}/bookings/")
    page.get_by_role("link", name="ask us privately about a lower fee").click()
    shot_both(page, "payments-fee-request")
    page.get_by_label("Anything you would like us to know").fill("My hours were cut at work.")
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", name="We have your request")).to_be_visible()
    page.context.clear_cookies()

    log_in(page, base, "mei@clinic.example", DEMO_PASSWORD)
    page.get_by_role("link", name=re.compile("Fee requests")).click()
    expect(page.get_by_text("My hours were cut at work.")).to_be_visible()
    shot_both(page, "payments-fee-requests-team")
    page.get_by_role("link", name=re.compile("Answer")).click()
    page.get_by_label("Approve a reduced fee").check()
    page.get_by_label(re.compile("Their lowest fee")).fill("fifteen")
    page.get_by_role("button", name="Send answer").click()
    expect(page.locator(".field__error", has_text="could not be read")).to_be_visible()
    page.get_by_label(re.compile("Their lowest fee")).fill("15")
    page.get_by_label(re.compile("A note to the patient")).fill("Of course, Priya. Take care.")
    shot_both(page, "payments-fee-answer")
    page.get_by_role("button", name="Send answer").click()
    expect(page.get_by_text("Approved. We have emailed the patient.")).to_be_visible()
    assert FeeReduction.objects.get().floor_minor == 1500


@pytest.mark.usefixtures("no_stripe")
def test_without_stripe_keys_the_demo_offers_pay_at_the_clinic(
    page: Page, live_server: Any, demo_clinic: Clinic
) -> None:
    base = live_server.url
    log_in(page, base, "alex@patient.example", DEMO_PASSWORD)
    page.goto(f"{base}/book/initial-consultation/times/?with=any")
    pick_slot(page)
    expect(page.get_by_text("Pay at the clinic on the day")).to_be_visible()
    shot_both(page, "payments-demo-no-keys")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("You're booked in")).to_be_visible()
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
