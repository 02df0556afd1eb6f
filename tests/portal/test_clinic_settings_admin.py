"""The clinic's settings page as the owner reads it: words, pounds, day boxes, kind refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from portal.models import User
from tests.conftest import client_for
from tests.portal.test_admin_privileges import _clinic_form_data

pytestmark = pytest.mark.django_db


def _post(owner: User, clinic: Any, **changes: Any) -> Any:
    client = client_for(owner)
    url = reverse("admin:portal_clinic_change", args=[clinic.pk])
    return client.post(url, {**_clinic_form_data(client, clinic), **changes})


def test_the_late_cancellation_fee_is_typed_in_pounds(owner: User, clinic: Any) -> None:
    """It was whole pence: an owner typing 10 for a £10 fee kept 10p."""
    page = client_for(owner).get(reverse("admin:portal_clinic_change", args=[clinic.pk]))
    field = page.context["adminform"].form["late_cancellation_fee_minor"]
    assert field.label == "Late cancellation fee (£)"
    assert field.value() == "10.00"
    assert _post(owner, clinic, late_cancellation_fee_minor="12.50").status_code == 302
    clinic.refresh_from_db()
    assert clinic.late_cancellation_fee_minor == 1250


def test_open_days_are_a_box_per_day(owner: User, clinic: Any) -> None:
    page = client_for(owner).get(reverse("admin:portal_clinic_change", args=[clinic.pk]))
    assert b'type="checkbox" name="open_days" value="5"' in page.content
    assert _post(owner, clinic, open_days=["0", "2", "4"]).status_code == 302
    clinic.refresh_from_db()
    assert clinic.open_days == "024"
    answer = _post(owner, clinic, open_days=[])
    assert answer.context["adminform"].form.errors["open_days"] == [
        "Tick at least one day the clinic is open."
    ]


@pytest.mark.parametrize(
    ("field", "posted", "message"),
    [
        ("alert_ack_minutes", "600", "At most 240 minutes (4 hours): urgent means today."),
        ("min_notice_minutes", "99999", "At most 20,160 minutes (14 days)."),
        ("booking_horizon_days", "0", "At least 1 day: 0 would close online booking."),
        ("late_cancellation_fee_minor", "5000", "At most 1,000.00."),
    ],
)
def test_silly_values_are_refused_in_words(
    owner: User, clinic: Any, field: str, posted: str, message: str
) -> None:
    """An urgent alert chased after 600 minutes of opening hours waited a working day; the
    refusals name the bound in the owner's units, not the validator's arithmetic."""
    before = getattr(clinic, field)
    answer = _post(owner, clinic, **{field: posted})
    assert answer.status_code == 200
    assert answer.context["adminform"].form.errors[field] == [message]
    clinic.refresh_from_db()
    assert getattr(clinic, field) == before


def test_health_records_are_kept_at_least_the_uk_eight_years(owner: User, clinic: Any) -> None:
    """One year was accepted: the monthly run would then list records for anonymising seven
    years before the guidance the README cites allows."""
    answer = _post(owner, clinic, health_record_retention_years="1")
    (message,) = answer.context["adminform"].form.errors["health_record_retention_years"]
    assert message.startswith("At least 8 years")
    assert _post(owner, clinic, health_record_retention_years="10").status_code == 302


def test_the_from_address_example_reads_whole(owner: User, clinic: Any) -> None:
    """The admin shows help text as HTML: the example's <address> vanished as a tag."""
    page = client_for(owner).get(reverse("admin:portal_clinic_change", args=[clinic.pk]))
    assert "Riverside Acupuncture &lt;bookings@example.org&gt;" in page.content.decode()
    assert "DEFAULT_FROM_EMAIL" not in page.content.decode()
