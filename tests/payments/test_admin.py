"""The payments admin: staff see payments and refund what is left by hand."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from booking.models import Service
from payments.models import Payment, PaymentStatus, Refund, RefundReason
from portal.models import User
from tests.booking.conftest import WED
from tests.booking.factories import local
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD
from tests.payments.factories import checkout_for, pay_and_deliver

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("stripe_settings", "eager_celery"),
]


@pytest.fixture
def admin_client(front_desk: User) -> Client:
    # The owner: refunds by hand are theirs.
    front_desk.is_staff = front_desk.is_superuser = True
    front_desk.save()
    return client_for(front_desk)


def test_staff_see_payments_and_refund_the_rest_by_hand(
    admin_client: Client, online: Service, patient: User, localstripe: str
) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    pay_and_deliver(localstripe, result.payment)
    payment = Payment.objects.get()
    assert admin_client.get("/admin/payments/payment/").status_code == 200
    assert admin_client.get(f"/admin/payments/payment/{payment.pk}/change/").status_code == 200
    mail.outbox.clear()
    asked = admin_client.post(
        "/admin/payments/payment/",
        {"action": "refund_remaining", "_selected_action": [payment.pk]},
    )
    # Money back is sensitive: the password first, then the held request goes through.
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert not Refund.objects.exists()
    response = admin_client.post(asked["Location"], {"password": TEST_PASSWORD}, follow=True)
    assert "1 refund(s) are being sent" in response.content.decode()
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_minor) == (PaymentStatus.REFUNDED, 5000)
    assert Refund.objects.get().reason == RefundReason.STAFF
    assert [m.subject for m in mail.outbox] == ["Refund of £50"]
    # Nothing left: a second go refunds nothing more.
    again = admin_client.post(
        "/admin/payments/payment/",
        {"action": "refund_remaining", "_selected_action": [payment.pk]},
        follow=True,
    )
    assert "nothing is left to refund" in again.content.decode()
    assert Refund.objects.count() == 1


def test_payments_cannot_be_added_or_deleted_by_hand(admin_client: Client) -> None:
    assert admin_client.get("/admin/payments/payment/add/").status_code == 403


def test_front_desk_sees_payments_but_cannot_refund_by_hand(
    front_desk: User, online: Service, patient: User, localstripe: str
) -> None:
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    pay_and_deliver(localstripe, result.payment)
    payment = Payment.objects.get()
    desk = client_for(front_desk)
    listing = desk.get("/admin/payments/payment/")
    assert listing.status_code == 200
    assert "refund_remaining" not in listing.content.decode()
    desk.post(
        "/admin/payments/payment/",
        {"action": "refund_remaining", "_selected_action": [payment.pk]},
        follow=True,
    )
    assert not Refund.objects.exists()
    payment.refresh_from_db()
    assert payment.refunded_minor == 0
