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


def test_the_confirm_page_says_until_when_the_visit_can_be_changed_online(
    private: Service, patient: User
) -> None:
    """Before confirming, the patient learns the clinic's cutoff; a visit inside it is flagged,
    since once booked it could only be changed by phone (the demo's patient booked tomorrow
    morning, or moved a visit there, and found out only afterwards)."""
    from tests.booking.conftest import MON, TUE

    client = client_for(patient)
    url = f"/book/{private.slug}/confirm/"
    later = client.get(url, {"start": local(TUE, 10).isoformat(), "with": "any"})
    assert later.status_code == 200
    page = later.content.decode()
    assert 'data-change-policy="online"' in page
    assert "online until Monday 1 March, 10:00" in page
    assert "0117 496 0000" in page

    soon = client.get(url, {"start": local(MON, 14).isoformat(), "with": "any"})
    assert soon.status_code == 200
    page = soon.content.decode()
    assert 'data-change-policy="call"' in page
    assert "less than 24 hours away" in page


def test_the_team_booking_for_a_caller_is_not_told_the_patients_cutoff(
    private: Service, patient: User, front_desk: User
) -> None:
    from tests.booking.conftest import TUE

    page = client_for(front_desk).get(
        f"/book/{private.slug}/confirm/",
        {"start": local(TUE, 10).isoformat(), "with": "any", "for": str(patient.pk)},
    )
    assert page.status_code == 200
    assert "data-change-policy" not in page.content.decode()
