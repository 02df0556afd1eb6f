"""The community room in the admin: its shifts fit a laptop window and read in words."""

from __future__ import annotations

import pytest
from django.urls import reverse

from booking.models import MultibedShift, Room
from portal.models import Clinic, User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_the_rooms_shifts_are_stacked_plain_inputs(
    owner: User, room: Room, shift: MultibedShift
) -> None:
    """Each shift was a table row 1,450 px wide at a 1,280 px window (edit, add and view icons
    by each choice, "Now" and a clock by each time, seconds), and the clinic a list of one."""
    page = client_for(owner).get(reverse("admin:booking_room_change", args=[room.pk]))
    html = page.content.decode()
    assert "clinic" not in page.context["adminform"].form.fields
    assert 'type="time" name="shifts-0-start_time" value="17:30"' in html
    assert "inline-related" in html and "tabular" not in html
    assert 'id="change_id_shifts-0-practitioner"' not in html
    assert "Minutes between arrivals" in html


def test_a_new_room_belongs_to_the_clinic(owner: User, clinic: Clinic) -> None:
    client = client_for(owner)
    answer = client.post(
        reverse("admin:booking_room_add"),
        {
            "name": "Quiet room",
            "recliners": "4",
            "shifts-TOTAL_FORMS": "0",
            "shifts-INITIAL_FORMS": "0",
            "shifts-MIN_NUM_FORMS": "0",
            "shifts-MAX_NUM_FORMS": "1000",
        },
    )
    assert answer.status_code == 302
    assert Room.objects.get(name="Quiet room").clinic_id == clinic.pk
