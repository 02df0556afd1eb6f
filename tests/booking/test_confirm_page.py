"""booking.confirm_page: the confirm page as checkout (payments) draws it after a refusal.

The confirm view's own refusals are covered in test_views.py; these check that checkout,
drawing the same page through the same helper, explains them the same way.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from django.test import Client

from booking.models import Booking, Service
from portal.models import User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import PractitionerFactory, book, local
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def post_checkout(client: Client, service: Service, start: datetime, **data: str) -> Any:
    body = {"start": start.isoformat(), "practitioner": "any", "request_key": str(uuid.uuid4())}
    return client.post(f"/book/{service.slug}/checkout/", {**body, **data})


def messages_of(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"])


def test_a_taken_time_at_checkout_offers_other_times(
    private: Service, patient: User, other_patient: User
) -> None:
    book(patient, private, local(WED, 9), now=NOW)
    response = post_checkout(client_for(other_patient), private, local(WED, 9))
    assert response.status_code == 200
    assert "just been taken" in messages_of(response)
    offered = [s.starts_at for s in response.context["alternatives"]]
    assert offered and local(WED, 9) not in offered
    assert response.context["refused"] is False
    page = response.content.decode()
    assert 'id="alternatives"' in page and "Choose another time" in page
    assert Booking.objects.count() == 1


def test_a_refusal_at_checkout_drops_the_confirm_button(assessment: Service, patient: User) -> None:
    client = client_for(patient)
    post_checkout(client, assessment, local(WED, 9))
    response = post_checkout(client, assessment, local(WED, 10))
    assert response.status_code == 200
    assert "already booked your free assessment" in messages_of(response)
    assert response.context["refused"] is True and response.context["alternatives"] == []
    assert "See my bookings" in response.content.decode()
    assert Booking.objects.count() == 1


def test_checkout_with_a_practitioner_who_does_not_offer_the_service_is_not_found(
    private: Service, patient: User
) -> None:
    far = PractitionerFactory.create()
    response = post_checkout(client_for(patient), private, local(WED, 9), practitioner=str(far.pk))
    assert response.status_code == 404
    assert not Booking.objects.exists()
