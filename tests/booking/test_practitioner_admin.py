"""A practitioner's hours, dated changes and time off show on the admin's practitioner page but
are changed only on the workspace's "Hours & time off" page, which takes the booking locks and
shows the visits already booked in time being closed; the admin's inlines did neither."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from booking.models import Practitioner, TimeOff, WeeklyHours
from portal.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _posted_unchanged(client: Any, url: str) -> dict[str, Any]:
    """The change form's own fields and every inline's management form, as the page posts."""
    page = client.get(url)
    form = page.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = field.prepare_value(form.initial.get(name, field.initial))
        data[name] = "" if value is None else value
    for formset in page.context["inline_admin_formsets"]:
        management = formset.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data


def test_the_schedule_is_shown_but_not_changed_in_the_admin(owner: User, mei: Practitioner) -> None:
    WeeklyHours.objects.filter(practitioner=mei).delete()
    url = reverse("admin:booking_practitioner_change", args=[mei.pk])
    client = client_for(owner)
    page = client.get(url).content.decode()
    assert "Time off (changed on the workspace" in page
    assert 'id="time_off-empty"' not in page  # no "Add another" row to fill in
    data = _posted_unchanged(client, url)
    prefix = "time_off"
    data |= {
        f"{prefix}-TOTAL_FORMS": "1",
        f"{prefix}-0-starts_at_0": "2027-03-03",
        f"{prefix}-0-starts_at_1": "09:00",
        f"{prefix}-0-ends_at_0": "2027-03-03",
        f"{prefix}-0-ends_at_1": "17:00",
        f"{prefix}-0-reason": "Course",
        f"{prefix}-0-practitioner": str(mei.pk),
    }
    response = client.post(url, data)
    assert response.status_code in (200, 302)
    assert not TimeOff.objects.exists()
