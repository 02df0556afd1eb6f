"""A late cancellation recorded from the visit page applies the clinic's rule to an online
payment: the refund is written with the status change and sent to Stripe (localstripe) by
a task after the commit."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from booking.models import Booking, BookingStatus, Service
from payments.models import Payment, PaymentStatus, Refund, RefundReason, RefundStatus
from portal.models import Clinic, User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import book, local
from tests.conftest import reauthenticated
from tests.payments.conftest import localstripe, online, stripe_settings  # noqa: F401
from tests.payments.factories import checkout_for, pay_and_deliver, reload

# Real commits: the refund task is queued on commit, as in production.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery", "stripe_settings", "no_quiet_hours"),
]


@pytest.fixture
def paid(online: Service, patient: User, localstripe: str) -> Booking:  # noqa: F811
    """Alex's £50 visit with Mei on Wednesday at 09:00, paid online."""
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    pay_and_deliver(localstripe, result.payment)
    mail.outbox.clear()
    return reload(result.booking)


def record_late(user: User, booking: Booking, *, via: str = "visit") -> str:
    """Record the late cancellation three hours before the visit; the page's message."""
    with time_machine.travel(booking.starts_at - timedelta(hours=3), tick=False):
        # Signed in then (a session from today would have expired), and the password re-entered:
        # the refund of a visit paid online asks for it, as "Cancel and refund" does.
        client = reauthenticated(user)
        if via == "visit":
            response = client.post(
                f"/practice/bookings/{booking.pk}/attendance/",
                {"outcome": "late_cancelled"},
                follow=True,
            )
        else:
            response = client.post(
                f"/practice/bookings/{booking.pk}/cancel/", {"how": "late", "note": ""}, follow=True
            )
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def test_the_fee_is_kept_and_the_rest_refunded(practitioner: User, paid: Booking) -> None:
    said = record_late(practitioner, paid)
    assert reload(paid).status == BookingStatus.LATE_CANCELLED
    refund = Refund.objects.get()
    assert (refund.amount_minor, refund.reason, refund.status) == (
        4000,
        RefundReason.LATE_CANCELLED,
        RefundStatus.SUCCEEDED,  # sent to localstripe by the task after the commit
    )
    payment = Payment.objects.get()
    assert (payment.status, payment.refunded_minor) == (PaymentStatus.PARTLY_REFUNDED, 4000)
    assert "£40 is being refunded" in said and "keeps £10" in said
    assert [m.subject for m in mail.outbox] == ["Refund of £40"]


def test_the_cancel_page_applies_the_same_rule(front_desk: User, paid: Booking) -> None:
    record_late(front_desk, paid, via="cancel")
    assert reload(paid).status == BookingStatus.LATE_CANCELLED
    assert Refund.objects.get().amount_minor == 4000


def test_no_refund_rule_refunds_nothing(practitioner: User, paid: Booking, clinic: Clinic) -> None:
    clinic.late_cancellation_rule = "no_refund"
    clinic.save()
    said = record_late(practitioner, paid)
    assert reload(paid).status == BookingStatus.LATE_CANCELLED
    assert not Refund.objects.exists()
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert "nothing is refunded" in said


def test_recording_it_twice_refunds_once(
    practitioner: User, front_desk: User, paid: Booking
) -> None:
    record_late(practitioner, paid)
    record_late(front_desk, paid)
    assert Refund.objects.count() == 1


def test_a_visit_paid_at_the_clinic_just_records_it(
    practitioner: User,
    private: Service,
    patient: User,
) -> None:
    visit = book(patient, private, local(WED, 9), now=NOW)
    said = record_late(practitioner, visit)
    assert reload(visit).status == BookingStatus.LATE_CANCELLED
    assert not Refund.objects.exists()
    assert said == "Recorded as a late cancellation."


def test_outside_the_cutoff_nothing_changes(practitioner: User, paid: Booking) -> None:
    with time_machine.travel(paid.starts_at - timedelta(days=2), tick=False):
        client = reauthenticated(practitioner)
        response = client.post(
            f"/practice/bookings/{paid.pk}/attendance/", {"outcome": "late_cancelled"}, follow=True
        )
    said = " ".join(str(m) for m in response.context["messages"])
    assert "cancel it normally" in said
    assert reload(paid).status == BookingStatus.CONFIRMED
    assert not Refund.objects.exists()
