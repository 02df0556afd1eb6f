"""Numbers typed into the admin's clinic, service and room pages have sensible bounds and a
friendly message: never a 500, never a value the rest of the portal cannot use (an
acknowledgement time of 9,999,999,999 minutes put the alert planner's deadline before year 1).
The owner's words for each refusal are in ``tests/portal/test_clinic_settings_admin.py`` and
``tests/booking/test_service_admin.py``; here every odd value is refused on its field, never with
one of Django's stock messages."""

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
from tests.portal.test_admin_privileges import _clinic_form_data

pytestmark = pytest.mark.django_db

HUGE = ["99999999999999999999", "2147483648", "9" * 5000]
ODD = ["-5", "2.5", "1e3", "ten", "\x00", ""]


def _errors(response: Any) -> list[str]:
    found = re.findall(
        r'<ul class="errorlist[^"]*"[^>]*>(.*?)</ul>', response.content.decode(), re.S
    )
    return [html.unescape(re.sub(r"<[^>]+>", " ", e)).strip() for e in found]


STOCK = ("Ensure this value", "This field is required", "Enter a whole number", "Enter a number")


def _field_errors(response: Any, field: str) -> list[str]:
    """The errors the admin's form put on ``field`` (none: the post was saved)."""
    assert response.status_code == 200, "saved, not refused"
    return list(response.context["adminform"].form.errors.get(field, []))


@pytest.fixture
def owner_client(owner: User) -> Client:
    return client_for(owner)


@pytest.mark.parametrize("typed", [*HUGE, *ODD, "0", "241"])
def test_the_acknowledgement_minutes_are_1_to_240(
    owner_client: Client, clinic: Clinic, typed: str
) -> None:
    url = f"/admin/portal/clinic/{clinic.pk}/change/"
    data = {**_clinic_form_data(owner_client, clinic), "alert_ack_minutes": typed}
    errors = _field_errors(owner_client.post(url, data), "alert_ack_minutes")
    assert errors and not any(stock in e for e in errors for stock in STOCK), errors
    clinic.refresh_from_db()
    assert clinic.alert_ack_minutes == 30


def test_the_acknowledgement_minutes_up_to_240_are_saved(
    owner_client: Client, clinic: Clinic
) -> None:
    url = f"/admin/portal/clinic/{clinic.pk}/change/"
    data = {**_clinic_form_data(owner_client, clinic), "alert_ack_minutes": "240"}
    response = owner_client.post(url, data)
    assert response.status_code == 302, _errors(response)
    clinic.refresh_from_db()
    assert clinic.alert_ack_minutes == 240


def _service_form(clinic: Clinic, **changes: str) -> dict[str, str]:
    data = {
        "name": "Treatment, sliding scale",
        "slug": "treatment-sliding",
        "kind": ServiceKind.PRIVATE,
        "description": "",
        "duration_minutes": "45",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "15",
        "slot_step_minutes": "15",
        "price_rule": PriceRule.SLIDING,
        # In pounds, as the admin types them (``portal.money_fields.MinorUnitsField``).
        "price_minor": "40",
        "price_min_minor": "30",
        "price_max_minor": "50",
        "price_step_minor": "5",
        "payment_mode": "",
        "is_active": "on",
        "position": "5",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        *[("duration_minutes", t, "") for t in [*HUGE, "0", "481"]],
        *[("buffer_after_minutes", t, "") for t in [*HUGE, "121"]],
        *[("price_max_minor", t, "") for t in [*HUGE, "100000.01"]],
        *[("position", t, "") for t in HUGE],
        ("price_max_minor", "20", "The highest amount must be above the lowest."),
        ("price_minor", "60", "The suggested amount must be within the sliding scale."),
        ("price_step_minor", "7", "The scale should be a whole number of steps."),
    ],
)
def test_a_services_numbers_are_bounded_and_a_sliding_scale_must_make_sense(
    owner_client: Client, clinic: Clinic, field: str, typed: str, message: str
) -> None:
    response = owner_client.post(
        "/admin/booking/service/add/", _service_form(clinic, **{field: typed})
    )
    errors = _field_errors(response, field)
    assert errors and not any(stock in e for e in errors for stock in STOCK), errors
    assert not message or any(message in e for e in errors), errors
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
