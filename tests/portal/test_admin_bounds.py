"""Numbers typed into the admin's clinic, service and room pages have sensible bounds and a
friendly message: never a 500, never a value the rest of the portal cannot use (an
acknowledgement time of 9,999,999,999 minutes put the alert planner's deadline before year 1)."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client

from booking.models import MAX_PRICE_MINOR, PriceRule, Room, Service, ServiceKind
from payments.pricing import MAX_MINOR
from portal.models import Clinic, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

HUGE = ["99999999999999999999", "2147483648", "9" * 5000]
ODD = ["-5", "2.5", "1e3", "ten", "\x00", ""]


def _errors(response: Any) -> list[str]:
    found = re.findall(
        r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S
    )
    return [html.unescape(re.sub(r"<[^>]+>", " ", e)).strip() for e in found]


def _clinic_form(clinic: Clinic, **changes: str) -> dict[str, str]:
    data = {
        "name": clinic.name,
        "slug": clinic.slug,
        "address": clinic.address,
        "phone": clinic.phone,
        "email": clinic.email,
        "email_from": clinic.email_from,
        "time_zone": clinic.time_zone,
        "currency": clinic.currency,
        "urgent_care_advice": clinic.urgent_care_advice,
        "emergency_numbers": clinic.emergency_numbers,
        "duty_contact": "",
        "alert_ack_minutes": str(clinic.alert_ack_minutes),
        "opens_at": clinic.opens_at.strftime("%H:%M"),
        "closes_at": clinic.closes_at.strftime("%H:%M"),
        "open_days": clinic.open_days,
        "team_idle_minutes": str(clinic.team_idle_minutes),
        "waitlist_hold_minutes": str(clinic.waitlist_hold_minutes),
        "waitlist_offers_per_place": str(clinic.waitlist_offers_per_place),
    }
    data.update(changes)
    return data


@pytest.fixture
def owner_client(owner: User) -> Client:
    return client_for(owner)


@pytest.mark.parametrize("typed", [*HUGE, *ODD, "0", "481"])
def test_the_acknowledgement_minutes_are_1_to_480(
    owner_client: Client, clinic: Clinic, typed: str
) -> None:
    url = f"/admin/portal/clinic/{clinic.pk}/change/"
    response = owner_client.post(url, _clinic_form(clinic, alert_ack_minutes=typed))
    assert response.status_code == 200
    errors = _errors(response)
    assert any("for “Alert ack minutes”" in e or "Alert ack minutes" in e for e in errors), errors
    assert not any("Ensure this value" in e or "This field is required" in e for e in errors)
    clinic.refresh_from_db()
    assert clinic.alert_ack_minutes == 30


def test_the_acknowledgement_minutes_up_to_480_are_saved(
    owner_client: Client, clinic: Clinic
) -> None:
    url = f"/admin/portal/clinic/{clinic.pk}/change/"
    response = owner_client.post(url, _clinic_form(clinic, alert_ack_minutes="480"))
    assert response.status_code == 302, _errors(response)
    clinic.refresh_from_db()
    assert clinic.alert_ack_minutes == 480


def _service_form(clinic: Clinic, **changes: str) -> dict[str, str]:
    data = {
        "clinic": str(clinic.pk),
        "name": "Treatment, sliding scale",
        "slug": "treatment-sliding",
        "kind": ServiceKind.PRIVATE,
        "description": "",
        "duration_minutes": "45",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "15",
        "slot_step_minutes": "15",
        "price_rule": PriceRule.SLIDING,
        "price_minor": "4000",
        "price_min_minor": "3000",
        "price_max_minor": "5000",
        "price_step_minor": "500",
        "payment_mode": "",
        "is_active": "on",
        "position": "5",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        *[("duration_minutes", t, "for “Duration minutes”") for t in [*HUGE, "0", "481"]],
        *[("buffer_after_minutes", t, "for “Buffer after minutes”") for t in [*HUGE, "121"]],
        *[("price_max_minor", t, "for “Price max minor”") for t in [*HUGE, "10000001"]],
        *[("position", t, "for “Position”") for t in HUGE],
        ("price_max_minor", "2000", "The highest amount must be above the lowest amount."),
        ("price_minor", "6000", "The suggested amount must be within the range"),
        ("price_step_minor", "700", "The range must be a whole number of steps"),
    ],
)
def test_a_services_numbers_are_bounded_and_a_sliding_scale_must_make_sense(
    owner_client: Client, clinic: Clinic, field: str, typed: str, message: str
) -> None:
    response = owner_client.post(
        "/admin/booking/service/add/", _service_form(clinic, **{field: typed})
    )
    assert response.status_code == 200
    errors = _errors(response)
    assert any(message in e for e in errors), errors
    assert not Service.objects.exists()


def test_a_sensible_sliding_scale_is_saved(owner_client: Client, clinic: Clinic) -> None:
    response = owner_client.post("/admin/booking/service/add/", _service_form(clinic))
    assert response.status_code == 302, _errors(response)
    assert Service.objects.get().price_max_minor == 5000


@pytest.mark.parametrize("typed", [*HUGE, *ODD, "0", "21"])
def test_a_rooms_recliners_are_1_to_20(owner_client: Client, clinic: Clinic, typed: str) -> None:
    data = {
        "clinic": str(clinic.pk),
        "name": "Community room",
        "recliners": typed,
        "shifts-TOTAL_FORMS": "0",
        "shifts-INITIAL_FORMS": "0",
        "shifts-MIN_NUM_FORMS": "0",
        "shifts-MAX_NUM_FORMS": "1000",
    }
    response = owner_client.post("/admin/booking/room/add/", data)
    assert response.status_code == 200
    errors = _errors(response)
    assert any("“Recliners”" in e for e in errors), errors
    assert not Room.objects.exists()


def test_the_highest_price_is_the_one_payments_reads() -> None:
    # booking cannot import payments: the two ceilings are kept equal here.
    assert MAX_PRICE_MINOR == MAX_MINOR
