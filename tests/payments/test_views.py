"""Payment pages: checkout from the confirm page, the card page, cancel and refund, receipts.

Every page: anonymous, owner, stranger (404) and wrong-method cases.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import reverse

from booking.models import Booking, BookingStatus, PaymentMode, Service
from payments.models import Payment, PaymentStatus
from portal.models import User
from tests.booking.conftest import WED
from tests.booking.factories import book, local
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD
from tests.payments.conftest import intent_event
from tests.payments.factories import approved_floor, checkout_for, pay_and_deliver

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen", "eager_celery")]

START = local(WED, 9)


def confirm_url(service: Service) -> str:
    return f"/book/{service.slug}/confirm/?{urlencode({'start': START.isoformat(), 'with': 'any'})}"


def checkout(client: Client, service: Service, **data: str) -> Any:
    form = {
        "start": START.isoformat(),
        "practitioner": "any",
        "request_key": "8a0e4c54-4f43-4b4e-a1f0-3f4c5a3e7b21",
    }
    return client.post(f"/book/{service.slug}/checkout/", {**form, **data})


# --- the confirm page and checkout --------------------------------------------------------


@pytest.mark.usefixtures("stripe_settings")
def test_the_confirm_page_offers_the_sliding_scale_kindly(sliding: Service, patient: User) -> None:
    page = client_for(patient).get(confirm_url(sliding)).content.decode()
    assert "Pay what you can" in page
    assert "from £15 to £35" in page and "need to explain" in page, page
    # The box for another amount says it takes the scale's steps, as the check does.
    assert "from £15 to £35, in steps of £5)" in page
    assert 'value="25" checked' in page  # the suggested amount is chosen to start with
    assert "Continue to payment" in page and "/checkout/" in page


@pytest.mark.usefixtures("no_stripe")
def test_the_desk_booking_for_a_caller_reads_about_them_not_itself(
    sliding: Service, patient: User, front_desk: User
) -> None:
    """The desk read "Choose what fits your budget today" and "You pay at the clinic"."""
    approved_floor(patient, 1000)
    page = client_for(front_desk).get(f"{confirm_url(sliding)}&for={patient.pk}")
    text = page.content.decode()
    assert "Ask what fits their budget today. They don't need to explain" in text
    assert "Their agreed fee starts at £10" in text
    assert "your budget" not in text and "Your agreed fee" not in text
    own = client_for(patient).get(confirm_url(sliding)).content.decode()
    assert "Choose what fits your budget today" in own and "Your agreed fee starts at £10" in own


@pytest.mark.usefixtures("no_stripe")
def test_without_keys_the_confirm_page_says_online_payment_is_not_set_up(
    online: Service, patient: User
) -> None:
    page = client_for(patient).get(confirm_url(online)).content.decode()
    # The patient is told what to do; the configuration hint is for the team.
    assert "Pay at the clinic on the day" in page
    assert "not set up" not in page and "Stripe" not in page
    assert "Confirm booking" in page


@pytest.mark.usefixtures("no_stripe")
def test_without_keys_the_team_sees_the_configuration_hint(
    online: Service, patient: User, front_desk: User
) -> None:
    url = f"{confirm_url(online)}&for={patient.pk}"
    page = client_for(front_desk).get(url).content.decode()
    assert "Online payment is not set up yet" in page and "Stripe keys" in page


@pytest.mark.usefixtures("stripe_settings")
def test_the_confirm_page_shows_a_patients_own_lower_fee(online: Service, patient: User) -> None:
    approved_floor(patient, 3000)
    page = client_for(patient).get(confirm_url(online)).content.decode()
    assert "Your agreed fee starts at £30" in page


@pytest.mark.usefixtures("stripe_settings")
def test_checkout_holds_the_place_and_opens_the_card_page(sliding: Service, patient: User) -> None:
    response = checkout(
        client_for(patient),
        sliding,
        amount="25",
        amount_other="17.50".replace("17.50", ""),
        currency="GBP",
    )
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/bookings/{booking.pk}/pay/"
    assert booking.status == BookingStatus.HELD and booking.price_minor == 2500


@pytest.mark.usefixtures("stripe_settings")
def test_a_typed_amount_wins_over_the_quick_choice(sliding: Service, patient: User) -> None:
    checkout(client_for(patient), sliding, amount="25", amount_other="30")
    assert Booking.objects.get().price_minor == 3000


@pytest.mark.usefixtures("stripe_settings")
@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("5", "The lowest amount for this visit is £15"),
        ("99", "The highest amount"),
        ("lots", "could not be read"),
        ("-20", "cannot be negative"),
    ],
)
def test_a_refused_amount_is_explained_on_the_same_page_and_kept(
    sliding: Service, patient: User, typed: str, message: str
) -> None:
    response = checkout(client_for(patient), sliding, amount="25", amount_other=typed)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page and 'aria-invalid="true"' in page
    assert f'value="{typed}"' in page  # what they typed is still there
    assert not Booking.objects.exists()


@pytest.mark.usefixtures("stripe_settings")
def test_an_amount_in_another_currency_is_refused(sliding: Service, patient: User) -> None:
    response = checkout(client_for(patient), sliding, amount="25", currency="EUR")
    assert "Prices here are in GBP" in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.usefixtures("stripe_settings")
def test_posting_to_the_booking_confirm_cannot_skip_payment(online: Service, patient: User) -> None:
    client = client_for(patient)
    form = {
        "start": START.isoformat(),
        "practitioner": "any",
        "request_key": "8a0e4c54-4f43-4b4e-a1f0-3f4c5a3e7b21",
    }
    response = client.post(confirm_url(online), form)
    assert response.status_code == 200 and "choose how much to pay" in response.content.decode()
    assert not Booking.objects.exists()


@pytest.mark.usefixtures("stripe_settings")
def test_checkout_a_taken_time_offers_other_times(
    online: Service, patient: User, other_patient: User
) -> None:
    checkout_for(other_patient, online, START)
    response = checkout(client_for(patient), online)
    page = response.content.decode()
    assert "just been taken" in page and "These times are still open" in page


def test_checkout_needs_a_sign_in_and_a_post(online: Service, patient: User) -> None:
    assert Client().post(f"/book/{online.slug}/checkout/").status_code == 302
    assert client_for(patient).get(f"/book/{online.slug}/checkout/").status_code == 405


# --- the card page --------------------------------------------------------------------------


@pytest.fixture
def held(stripe_settings: Any, online: Service, patient: User) -> Payment:
    result = checkout_for(patient, online, START)
    assert result.payment is not None
    return result.payment


def test_the_card_page_loads_stripe_js_from_the_setting_and_says_so_in_its_csp(
    held: Payment, patient: User, stripe_settings: Any, localstripe: str
) -> None:
    response = client_for(patient).get(f"/bookings/{held.booking_id}/pay/")
    page = response.content.decode()
    assert response.status_code == 200
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy)
    assert nonce is not None
    assert f'<script src="{localstripe}/js.stripe.com/v3/" nonce="{nonce.group(1)}">' in page
    assert held.client_secret in page and "Pay £50" in page
    assert f"script-src 'self' 'nonce-{nonce.group(1)}' {localstripe}" in policy
    assert f"frame-src {localstripe}" in policy and "'unsafe-inline'" not in policy
    assert 'payment=(self "https://js.stripe.com")' in response["Permissions-Policy"]
    assert "no-store" in response["Cache-Control"]


def test_the_card_page_is_only_for_the_patient_who_holds_the_place(
    held: Payment, other_patient: User, front_desk: User
) -> None:
    url = f"/bookings/{held.booking_id}/pay/"
    assert client_for(other_patient).get(url).status_code == 404
    assert client_for(front_desk).get(url).status_code == 403
    assert Client().get(url).status_code == 302
    assert client_for(held.patient).delete(url).status_code == 405


def test_a_paid_place_sends_the_card_page_to_the_visit(held: Payment, patient: User) -> None:
    Booking.objects.filter(pk=held.booking_id).update(status=BookingStatus.CONFIRMED)
    response = client_for(patient).get(f"/bookings/{held.booking_id}/pay/")
    assert response["Location"] == f"/bookings/{held.booking_id}/"


def test_the_card_page_retries_when_stripe_was_away(
    stripe_settings: Any, online: Service, patient: User, localstripe: str
) -> None:
    stripe_settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    booking = checkout_for(patient, online, START).booking
    client = client_for(patient)
    assert (
        "could not reach the payment service"
        in client.get(f"/bookings/{booking.pk}/pay/").content.decode()
    )
    stripe_settings.STRIPE_API_BASE = localstripe
    page = client.post(f"/bookings/{booking.pk}/pay/").content.decode()
    assert "Card details" in page and Payment.objects.get().stripe_payment_intent_id


def test_the_status_page_says_confirming_then_booked(held: Payment, patient: User) -> None:
    client = client_for(patient)
    url = f"/bookings/{held.booking_id}/pay/status/"
    assert "Confirming your payment" in client.get(url).content.decode()
    from payments.webhooks import ingest_event

    ingest_event(intent_event("payment_intent.succeeded", held.stripe_payment_intent_id or ""))
    fragment = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "You're booked in" in fragment and "<html" not in fragment
    assert client_for(held.patient).get(url).status_code == 200


def test_the_status_page_says_emailed_only_just_after_the_payment(
    held: Payment, patient: User
) -> None:
    """Weeks later the same page still says "You're booked in", but no longer that an email
    has just gone."""
    client = client_for(patient)
    url = f"/bookings/{held.booking_id}/pay/status/"
    assert "emailed" not in client.get(url, HTTP_HX_REQUEST="true").content.decode()
    from payments.webhooks import ingest_event

    ingest_event(intent_event("payment_intent.succeeded", held.stripe_payment_intent_id or ""))
    first = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "We have emailed you the details with a calendar file." in first
    later = client.get(url).content.decode()
    assert "booked in" in later and "emailed" not in later


@pytest.mark.usefixtures("no_stripe")
def test_a_sliding_scale_paid_at_the_clinic_says_booked_and_emailed_once(
    sliding: Service, patient: User
) -> None:
    client = client_for(patient)
    response = checkout(client, sliding, amount="20", currency="GBP")
    booking = Booking.objects.get()
    assert response["Location"] == f"/bookings/{booking.pk}/"
    first = client.get(response["Location"]).content.decode()
    assert "booked in. We have emailed you the details with a calendar file." in first
    assert "emailed" not in client.get(response["Location"]).content.decode()


def test_the_status_page_is_the_patients_own(held: Payment, other_patient: User) -> None:
    assert (
        client_for(other_patient).get(f"/bookings/{held.booking_id}/pay/status/").status_code == 404
    )


# --- booking pages show the money -----------------------------------------------------------


def test_the_visit_page_offers_to_pay_while_held(held: Payment, patient: User) -> None:
    page = client_for(patient).get(f"/bookings/{held.booking_id}/").content.decode()
    assert "Awaiting payment" in page and "Pay £50 now" in page


def test_my_bookings_lists_payments_with_receipts(
    held: Payment, patient: User, django_assert_max_num_queries: Any
) -> None:
    Payment.objects.filter(pk=held.pk).update(status=PaymentStatus.SUCCEEDED)
    client = client_for(patient)
    with django_assert_max_num_queries(12):
        page = client.get("/bookings/").content.decode()
    assert "Payments and receipts" in page and held.receipt_number in page


# --- cancel and refund ------------------------------------------------------------------------


def test_cancelling_an_online_booking_goes_through_the_refund_page(
    held: Payment, patient: User
) -> None:
    response = client_for(patient).get(f"/bookings/{held.booking_id}/cancel/")
    assert response["Location"] == f"/bookings/{held.booking_id}/cancel-and-refund/"


def test_the_refund_page_says_what_comes_back_then_cancels(
    held: Payment, patient: User, localstripe: str, django_capture_on_commit_callbacks: Any
) -> None:
    pay_and_deliver(localstripe, held)
    client = client_for(patient)
    url = f"/bookings/{held.booking_id}/cancel-and-refund/"
    assert "£50 comes back in full" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "£50 is on its way back" in response.content.decode()
    assert Payment.objects.get().status == PaymentStatus.REFUNDED


def test_the_refund_page_is_not_for_strangers(held: Payment, other_patient: User) -> None:
    url = f"/bookings/{held.booking_id}/cancel-and-refund/"
    assert client_for(other_patient).get(url).status_code == 404
    assert client_for(other_patient).post(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert client_for(held.patient).put(url).status_code == 405
    assert Booking.objects.get().status == BookingStatus.HELD


def test_a_team_member_re_enters_their_password_before_a_refund_then_it_goes_through(
    held: Payment,
    front_desk: User,
    localstripe: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    pay_and_deliver(localstripe, held)
    desk = client_for(front_desk)
    url = f"/bookings/{held.booking_id}/cancel-and-refund/"
    assert desk.get(url).status_code == 200  # the page itself shows what comes back
    asked = desk.post(url)
    assert asked.status_code == 302
    assert asked["Location"] == f"{reverse('account_reauthenticate')}?next={quote(url, safe='')}"
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    # A wrong password does not do it either.
    wrong = desk.post(asked["Location"], {"password": "not-my-password"})
    assert wrong.status_code == 200
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(asked["Location"], {"password": TEST_PASSWORD}, follow=True)
    assert "£50 is on its way back" in response.content.decode()
    assert Booking.objects.get().status == BookingStatus.CANCELLED
    assert Payment.objects.get().status == PaymentStatus.REFUNDED


# --- receipts --------------------------------------------------------------------------------


def test_a_receipt_for_the_patient_and_their_clinic_only(
    held: Payment,
    patient: User,
    other_patient: User,
    front_desk: User,
) -> None:
    url = f"/payments/{held.pk}/receipt/"
    assert client_for(patient).get(url).status_code == 404  # not paid: no receipt
    Payment.objects.filter(pk=held.pk).update(status=PaymentStatus.SUCCEEDED)
    page = client_for(patient).get(url).content.decode()
    assert held.receipt_number in page and "£50" in page
    assert client_for(front_desk).get(url).status_code == 200
    assert client_for(other_patient).get(url).status_code == 404
    assert Client().get(url).status_code == 302
    assert client_for(patient).post(url).status_code == 405


def test_a_booking_paid_at_the_clinic_shows_no_payment_panel(
    private: Service, patient: User
) -> None:
    from tests.booking.conftest import NOW

    booking = book(patient, private, START, now=NOW)
    assert booking.payment_mode == PaymentMode.AT_CLINIC
    page = client_for(patient).get(f"/bookings/{booking.pk}/").content.decode()
    assert "paid at the clinic" in page and "payment-heading" not in page


@pytest.mark.usefixtures("stripe_settings")
def test_a_refused_amount_is_also_in_the_error_summary(sliding: Service, patient: User) -> None:
    page = checkout(client_for(patient), sliding, amount="25", amount_other="500").content.decode()
    summary = re.search(r'<div class="error-summary".*?</div>', page, re.S)
    assert summary, page
    assert 'href="#id_amount_other"' in summary.group(0)
    assert "Amount:" in summary.group(0)
    assert 'id="id_amount_other"' in page
