"""Services in the admin as the owner prices them: pounds, a sliding scale that makes sense."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from booking.models import PriceRule, Service
from portal.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _change_form_data(client: Any, url: str) -> dict[str, Any]:
    """What the change form would post back unchanged (its editable fields)."""
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        prepared = field.prepare_value(form.initial.get(name, field.initial))
        if isinstance(prepared, list):
            data[name] = [str(v.pk if hasattr(v, "pk") else v) for v in prepared]
        else:
            data[name] = "" if prepared is None else prepared
    return data


def _post(owner: User, service: Service, **changes: Any) -> Any:
    client = client_for(owner)
    url = reverse("admin:booking_service_change", args=[service.pk])
    return client.post(url, {**_change_form_data(client, url), **changes})


def test_prices_are_typed_in_pounds(owner: User, private: Service) -> None:
    """They were whole pence: an owner typing 65 for a £65 treatment priced it at 65p."""
    page = client_for(owner).get(reverse("admin:booking_service_change", args=[private.pk]))
    field = page.context["adminform"].form["price_minor"]
    assert (field.label, field.value()) == ("Price (£)", "50.00")
    assert _post(owner, private, price_minor="65").status_code == 302
    private.refresh_from_db()
    assert private.price_minor == 6500


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"price_min_minor": "35", "price_max_minor": "15"},
            "price_max_minor",
            "The highest amount must be above the lowest.",
        ),
        (
            {"price_max_minor": "0"},
            "price_max_minor",
            "The highest amount must be above the lowest.",
        ),
        (
            {"price_minor": "40"},
            "price_minor",
            "The suggested amount must be within the sliding scale.",
        ),
        (
            {"price_step_minor": "7"},
            "price_step_minor",
            "The scale should be a whole number of steps.",
        ),
    ],
)
def test_a_muddled_sliding_scale_is_refused(
    owner: User, multibed: Service, changes: dict[str, str], field: str, message: str
) -> None:
    """The booking pages forgave these silently: a top of 0 made the community clinic free,
    reversed ends were swapped, a suggestion above the top was clamped to it."""
    Service.objects.filter(pk=multibed.pk).update(
        price_rule=PriceRule.SLIDING,
        price_min_minor=1500,
        price_max_minor=3500,
        price_step_minor=500,
    )
    answer = _post(owner, multibed, **changes)
    assert answer.status_code == 200
    assert answer.context["adminform"].form.errors[field] == [message]
    multibed.refresh_from_db()
    assert (multibed.price_min_minor, multibed.price_max_minor, multibed.price_minor) == (
        1500,
        3500,
        2500,
    )


def test_a_free_service_with_a_price_is_refused(owner: User, private: Service) -> None:
    answer = _post(owner, private, price_rule=PriceRule.FREE)
    assert answer.context["adminform"].form.errors["price_rule"] == [
        "A free service has no price: choose Fixed price, or set it to 0."
    ]


def test_the_list_shows_prices_as_patients_read_them(
    owner: User, private: Service, multibed: Service
) -> None:
    Service.objects.filter(pk=multibed.pk).update(
        price_rule=PriceRule.SLIDING, price_min_minor=1500, price_max_minor=3500
    )
    page = client_for(owner).get(reverse("admin:booking_service_changelist"))
    text = page.content.decode()
    assert "£50" in text
    assert "£15 to £35, suggested £25" in text
    assert "5000" not in text


def test_a_new_service_belongs_to_the_clinic_and_its_address_is_its_own(
    owner: User, private: Service, clinic: Any
) -> None:
    """The clinic is no longer a list of one on the form; a repeated booking address is a form
    error, not a database error."""
    client = client_for(owner)
    url = reverse("admin:booking_service_add")
    data = {
        "name": "Cupping",
        "slug": private.slug,
        "kind": "private",
        "duration_minutes": "30",
        "buffer_before_minutes": "0",
        "buffer_after_minutes": "0",
        "slot_step_minutes": "15",
        "price_rule": PriceRule.FIXED,
        "price_minor": "30",
        "price_min_minor": "0",
        "price_max_minor": "0",
        "price_step_minor": "0",
        "position": "5",
    }
    page = client.get(url)
    assert "clinic" not in page.context["adminform"].form.fields
    answer = client.post(url, data)
    assert answer.context["adminform"].form.errors["slug"] == [
        "Another service already uses this in its booking address."
    ]
    assert client.post(url, {**data, "slug": "cupping"}).status_code == 302
    added = Service.objects.get(slug="cupping")
    assert (added.clinic_id, added.price_minor) == (clinic.pk, 3000)
