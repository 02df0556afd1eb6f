"""payments.services against localstripe: checkout, holds, late payments, expiry, refunds."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from celery.result import allow_join_result
from django.core import mail

from booking.errors import ChangeNotAllowed, SlotUnavailable
from booking.models import Booking, BookingStatus, PaymentMode, Service
from booking.services import booking_reschedule
from payments import services
from payments.models import Payment, PaymentStatus, Refund, RefundReason, RefundStatus
from payments.pricing import PriceError
from portal.models import User
from tests.booking.conftest import NOW, TUE, WED
from tests.booking.factories import book, local
from tests.concurrency import at_once
from tests.payments.conftest import pay_with_test_card
from tests.payments.factories import approved_floor, checkout_for, pay_and_deliver, reload

# Real commits: refunds and emails are queued on commit, as in production.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_celery")]


# --- checkout ------------------------------------------------------------------


def test_a_fixed_price_paid_at_the_clinic_is_booked_straight_away(
    private: Service, patient: User
) -> None:
    result = checkout_for(patient, private, local(WED, 9))
    assert result.payment is None
    assert result.booking.status == BookingStatus.CONFIRMED
    assert (result.booking.price_minor, result.booking.payment_mode) == (
        5000,
        PaymentMode.AT_CLINIC,
    )


@pytest.mark.usefixtures("stripe_settings")
def test_a_sliding_scale_amount_is_held_and_an_intent_made_for_exactly_it(
    sliding: Service, patient: User
) -> None:
    result = checkout_for(patient, sliding, local(WED, 9), amount="20")
    booking, payment = result.booking, result.payment
    assert booking.status == BookingStatus.HELD
    assert booking.hold_expires_at == NOW + timedelta(minutes=15)
    assert (booking.price_minor, booking.payment_mode) == (2000, PaymentMode.ONLINE)
    assert payment is not None and payment.amount_minor == 2000 and payment.currency == "GBP"
    assert (payment.stripe_payment_intent_id or "").startswith("pi_")
    assert payment.client_secret.startswith(payment.stripe_payment_intent_id or "-")
    assert mail.outbox == []  # no confirmation for a place not yet paid


@pytest.mark.usefixtures("stripe_settings")
def test_the_patients_floor_lets_them_choose_less(sliding: Service, patient: User) -> None:
    approved_floor(patient, 500)
    assert checkout_for(patient, sliding, local(WED, 9), amount="5").booking.price_minor == 500


@pytest.mark.usefixtures("stripe_settings")
def test_an_expired_floor_no_longer_applies(sliding: Service, patient: User) -> None:
    approved_floor(patient, 500, ends_on=(NOW - timedelta(days=1)).date())
    with pytest.raises(PriceError):
        checkout_for(patient, sliding, local(WED, 9), amount="5")


@pytest.mark.usefixtures("stripe_settings")
@pytest.mark.parametrize("amount", ["10", "40", "abc", "-25", "", "22"])
def test_a_refused_amount_books_nothing(sliding: Service, patient: User, amount: str) -> None:
    with pytest.raises(PriceError):
        checkout_for(patient, sliding, local(WED, 9), amount=amount)
    assert not sliding.bookings.exists()
    assert not Payment.objects.exists()


@pytest.mark.usefixtures("no_stripe")
def test_without_stripe_keys_online_services_are_paid_at_the_clinic(
    online: Service, patient: User
) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is None
    assert result.booking.status == BookingStatus.CONFIRMED
    assert result.booking.payment_mode == PaymentMode.AT_CLINIC


@pytest.mark.usefixtures("stripe_settings")
def test_the_front_desk_booking_for_a_caller_takes_payment_at_the_clinic(
    online: Service, patient: User, front_desk: User
) -> None:
    result = checkout_for(patient, online, local(WED, 9), booked_by=front_desk)
    assert result.booking.status == BookingStatus.CONFIRMED
    assert result.booking.payment_mode == PaymentMode.AT_CLINIC


@pytest.mark.usefixtures("stripe_settings")
def test_a_double_submit_makes_one_hold_one_payment_one_intent(
    online: Service, patient: User
) -> None:
    first = checkout_for(
        patient, online, local(WED, 9), request_key="3b1e4a32-4a4e-4b0e-9d55-5d2f1c0b7a11"
    )
    again = checkout_for(
        patient, online, local(WED, 9), request_key="3b1e4a32-4a4e-4b0e-9d55-5d2f1c0b7a11"
    )
    assert again.booking.pk == first.booking.pk
    assert again.payment is not None and first.payment is not None
    assert again.payment.stripe_payment_intent_id == first.payment.stripe_payment_intent_id
    assert Payment.objects.count() == 1


@pytest.mark.usefixtures("stripe_settings")
def test_a_held_place_is_taken_from_everyone_else(
    online: Service, patient: User, other_patient: User
) -> None:
    checkout_for(patient, online, local(WED, 9))
    with pytest.raises(SlotUnavailable):
        checkout_for(other_patient, online, local(WED, 9))


def test_stripe_out_of_reach_keeps_the_hold_and_the_pay_page_retries(
    stripe_settings: Any, online: Service, patient: User, localstripe: str
) -> None:
    stripe_settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    result = checkout_for(patient, online, local(WED, 9))
    assert result.booking.status == BookingStatus.HELD
    assert result.payment is not None and not result.payment.stripe_payment_intent_id
    stripe_settings.STRIPE_API_BASE = localstripe
    assert services.payment_start(payment=result.payment).stripe_payment_intent_id


# --- money arriving ----------------------------------------------------------------


@pytest.mark.usefixtures("stripe_settings")
def test_payment_confirms_the_place_and_sends_one_confirmation(
    online: Service, patient: User, localstripe: str
) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    assert pay_and_deliver(localstripe, result.payment) == "handled"
    booking = reload(result.booking)
    assert booking.status == BookingStatus.CONFIRMED and booking.hold_expires_at is None
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.SUCCEEDED and payment.paid_at is not None
    (message,) = mail.outbox
    assert message.to == [patient.email] and "paid online" in message.body


@pytest.mark.usefixtures("stripe_settings")
def test_a_late_payment_for_a_place_still_free_confirms_it(
    online: Service, patient: User, localstripe: str
) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    # The hold lapsed (its intent not cancelled, say Stripe was unreachable then).
    services.booking_expire_hold(booking_id=result.booking.pk, now=NOW + timedelta(minutes=16))
    assert reload(result.booking).status == BookingStatus.EXPIRED
    pay_and_deliver(localstripe, result.payment, now=NOW + timedelta(minutes=20))
    assert reload(result.booking).status == BookingStatus.CONFIRMED
    assert not Refund.objects.exists()
    assert len(mail.outbox) == 1 and "booked in" in mail.outbox[0].body.lower()


@pytest.mark.usefixtures("stripe_settings")
def test_a_late_payment_for_a_place_someone_took_is_refunded_and_the_patient_told(
    online: Service, patient: User, other_patient: User, localstripe: str
) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    services.booking_expire_hold(booking_id=result.booking.pk, now=NOW + timedelta(minutes=16))
    taken = book(other_patient, online, local(WED, 9), now=NOW + timedelta(minutes=17))
    mail.outbox.clear()
    pay_and_deliver(localstripe, result.payment, now=NOW + timedelta(minutes=20))
    assert reload(result.booking).status == BookingStatus.EXPIRED
    assert reload(taken).status == BookingStatus.CONFIRMED
    refund = Refund.objects.get()
    assert (refund.amount_minor, refund.reason, refund.status) == (
        5000,
        RefundReason.PLACE_GONE,
        RefundStatus.SUCCEEDED,
    )
    assert (refund.stripe_refund_id or "").startswith("re_")
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_minor) == (PaymentStatus.REFUNDED, 5000)
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert "someone else had booked that place" in message.body and "£50" in message.body


# --- holds running out ------------------------------------------------------------------


@pytest.mark.usefixtures("stripe_settings")
def test_an_unpaid_hold_expires_its_intent_is_cancelled_and_the_place_freed(
    online: Service, patient: User, other_patient: User
) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    later = NOW + timedelta(minutes=16)
    assert services.lapsed_hold_ids(now=NOW + timedelta(minutes=14)) == []
    assert services.lapsed_hold_ids(now=later) == [result.booking.pk]
    assert services.hold_expire(booking_id=result.booking.pk, now=later) == "expired"
    assert reload(result.booking).status == BookingStatus.EXPIRED
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.CANCELED
    from payments import stripe_gateway

    assert (
        stripe_gateway.retrieve_intent(payment.stripe_payment_intent_id or "").status == "canceled"
    )
    # The place is free again.
    assert book(other_patient, online, local(WED, 9), now=later).status == BookingStatus.CONFIRMED
    # Running it again changes nothing.
    assert services.hold_expire(booking_id=result.booking.pk, now=later) == "unchanged"


@pytest.mark.usefixtures("stripe_settings")
def test_a_hold_paid_just_before_expiry_is_confirmed_not_expired(
    online: Service, patient: User, localstripe: str
) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    pay_with_test_card(localstripe, result.payment.client_secret)  # the webhook is late
    outcome = services.hold_expire(booking_id=result.booking.pk, now=NOW + timedelta(minutes=16))
    assert outcome == "paid"
    assert reload(result.booking).status == BookingStatus.CONFIRMED
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


@pytest.mark.usefixtures("stripe_settings")
def test_a_hold_whose_intent_was_never_made_just_expires(
    stripe_settings: Any, online: Service, patient: User
) -> None:
    stripe_settings.STRIPE_API_BASE = "http://127.0.0.1:9"
    result = checkout_for(patient, online, local(WED, 9))
    assert (
        services.hold_expire(booking_id=result.booking.pk, now=NOW + timedelta(minutes=16))
        == "expired"
    )
    assert Payment.objects.get().status == PaymentStatus.CANCELED


# --- cancelling and refunds ---------------------------------------------------------------


def paid_booking(service: Service, patient: User, localstripe: str, **kw: Any) -> Any:
    result = checkout_for(patient, service, local(WED, 9), **kw)
    assert result.payment is not None
    pay_and_deliver(localstripe, result.payment)
    mail.outbox.clear()
    return reload(result.booking)


@pytest.mark.usefixtures("stripe_settings")
def test_cancelling_before_the_cutoff_refunds_in_full(
    sliding: Service, patient: User, localstripe: str
) -> None:
    booking = paid_booking(sliding, patient, localstripe, amount="30")
    booking, refund = services.cancel_with_refund(booking=booking, by=patient, now=NOW)
    assert booking.status == BookingStatus.CANCELLED
    assert refund is not None and refund.amount_minor == 3000
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_minor) == (PaymentStatus.REFUNDED, 3000)
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects[0].startswith("Cancelled") and subjects[1] == "Refund of £30"


@pytest.mark.usefixtures("stripe_settings")
def test_a_late_cancellation_by_the_clinic_keeps_the_fee(
    online: Service, patient: User, front_desk: User, localstripe: str, clinic: Any
) -> None:
    booking = paid_booking(online, patient, localstripe)
    late = booking.starts_at - timedelta(hours=3)
    _, refund = services.cancel_with_refund(booking=booking, by=front_desk, now=late)
    assert (
        refund is not None
        and refund.amount_minor == 4000
        and refund.reason == RefundReason.LATE_CANCELLED
    )
    assert Payment.objects.get().status == PaymentStatus.PARTLY_REFUNDED


@pytest.mark.usefixtures("stripe_settings")
def test_a_late_cancellation_under_no_refund_refunds_nothing(
    online: Service, patient: User, front_desk: User, localstripe: str, clinic: Any
) -> None:
    clinic.late_cancellation_rule = "no_refund"
    clinic.save()
    booking = paid_booking(online, patient, localstripe)
    booking, refund = services.cancel_with_refund(
        booking=booking, by=front_desk, now=booking.starts_at - timedelta(hours=3)
    )
    assert booking.status == BookingStatus.CANCELLED and refund is None
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED


@pytest.mark.usefixtures("stripe_settings")
def test_a_patient_cannot_cancel_online_after_the_cutoff_and_nothing_is_refunded(
    online: Service, patient: User, localstripe: str
) -> None:
    booking = paid_booking(online, patient, localstripe)
    with pytest.raises(ChangeNotAllowed):
        services.cancel_with_refund(
            booking=booking, by=patient, now=booking.starts_at - timedelta(hours=3)
        )
    assert reload(booking).status == BookingStatus.CONFIRMED
    assert not Refund.objects.exists()


@pytest.mark.usefixtures("stripe_settings")
def test_cancelling_a_held_place_stops_its_payment(online: Service, patient: User) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    booking, refund = services.cancel_with_refund(booking=result.booking, by=patient, now=NOW)
    assert booking.status == BookingStatus.CANCELLED and refund is None
    assert Payment.objects.get().status == PaymentStatus.CANCELED


@pytest.mark.usefixtures("stripe_settings")
def test_money_arriving_for_a_cancelled_hold_goes_back(
    online: Service, patient: User, localstripe: str
) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    pay_with_test_card(localstripe, result.payment.client_secret)  # paid in another tab
    services.cancel_with_refund(booking=result.booking, by=patient, now=NOW)
    from payments.webhooks import ingest_event
    from tests.payments.conftest import intent_event

    ingest_event(
        intent_event("payment_intent.succeeded", result.payment.stripe_payment_intent_id or "")
    )
    assert reload(result.booking).status == BookingStatus.CANCELLED
    assert Refund.objects.get().reason == RefundReason.PLACE_GONE
    assert Payment.objects.get().status == PaymentStatus.REFUNDED


@pytest.mark.usefixtures("stripe_settings")
def test_never_more_than_was_paid_is_refunded(
    online: Service, patient: User, front_desk: User, localstripe: str
) -> None:
    paid_booking(online, patient, localstripe)
    payment = Payment.objects.get()
    services.refund_create(
        payment=payment, amount_minor=3000, reason=RefundReason.STAFF, by=front_desk
    )
    with pytest.raises(services.PaymentError, match="more than is left"):
        services.refund_create(
            payment=payment, amount_minor=2001, reason=RefundReason.STAFF, by=front_desk
        )
    services.refund_create(
        payment=payment, amount_minor=2000, reason=RefundReason.STAFF, by=front_desk
    )
    payment.refresh_from_db()
    assert (payment.refunded_minor, payment.status) == (5000, PaymentStatus.REFUNDED)


@pytest.mark.usefixtures("stripe_settings")
def test_an_unpaid_payment_cannot_be_refunded(online: Service, patient: User) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    with pytest.raises(services.PaymentError):
        services.refund_create(payment=result.payment, amount_minor=100, reason=RefundReason.STAFF)


# --- moves --------------------------------------------------------------------------------


@pytest.mark.usefixtures("stripe_settings")
def test_a_held_place_cannot_be_moved(online: Service, patient: User) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    with pytest.raises(ChangeNotAllowed, match="waiting for payment"):
        booking_reschedule(booking=result.booking, starts_at=local(WED, 14), by=patient, now=NOW)


@pytest.mark.usefixtures("stripe_settings")
def test_a_paid_visit_moved_keeps_its_amount_and_its_refund(
    sliding: Service, patient: User, localstripe: str
) -> None:
    booking = paid_booking(sliding, patient, localstripe, amount="20")
    moved = booking_reschedule(booking=booking, starts_at=local(TUE, 14), by=patient, now=NOW)
    assert (moved.price_minor, moved.payment_mode) == (2000, PaymentMode.ONLINE)
    assert services.payment_for_booking(moved) == Payment.objects.get()
    _, refund = services.cancel_with_refund(booking=moved, by=patient, now=NOW)
    assert refund is not None and refund.amount_minor == 2000


def test_a_booking_without_online_payment_has_none(private: Service, patient: User) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    assert services.payment_for_booking(booking) is None


@pytest.mark.usefixtures("stripe_settings")
def test_a_staff_refund_racing_a_cancellation_never_deadlocks(
    online: Service, patient: User, front_desk: User, localstripe: str
) -> None:
    """The desk refunds what is left (the admin's action) while someone cancels the visit with
    its refund, and each refund is sent to Stripe as soon as it commits: every step takes the
    patient first, so one waits for the other instead of PostgreSQL killing one of them as a
    deadlock, the cancellation still goes through, and never more than was paid goes back."""
    for _ in range(3):
        booking = paid_booking(online, patient, localstripe)
        payment = Payment.objects.get(booking=booking)

        def cancel(pk: int = booking.pk) -> str:
            services.cancel_with_refund(booking=Booking.objects.get(pk=pk), by=front_desk, now=NOW)
            return "cancelled"

        def refund(pk: int = payment.pk) -> str:
            services.refund_create(
                payment=Payment.objects.get(pk=pk),
                amount_minor=1000,
                reason=RefundReason.STAFF,
                by=front_desk,
            )
            return "refunded"

        # Eager Celery keeps one process-wide "inside a task" flag, which tasks run on several
        # threads at once can leave set: allow_join_result puts it back after the race.
        with allow_join_result():
            outcomes = [
                o.value if o.error is None else repr(o.error)
                for o in at_once([cancel, refund, cancel, refund])
            ]
        assert not [o for o in outcomes if "eadlock" in o], outcomes
        assert "cancelled" in outcomes, outcomes
        payment.refresh_from_db()
        assert payment.refunded_minor <= payment.amount_minor
