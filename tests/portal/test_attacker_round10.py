"""Round 10 of the attacker tests: what a browser keeps, and what outlives a reset."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django.urls import reverse

from intake.models import AlertLevel
from intake.services import alert_raise
from portal.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _cookie_text(client: Client) -> str:
    """Every cookie the browser now holds, values decoded as far as a curious reader would."""
    said = []
    for morsel in client.cookies.values():
        said.append(morsel.value)
        for part in morsel.value.split(":"):
            try:
                said.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode())
            except (ValueError, UnicodeDecodeError):
                continue
    return " ".join(said)


def test_a_flash_message_about_a_patients_health_stays_off_the_browsers_cookies(
    patient: User, front_desk: User
) -> None:
    """Acknowledging an alert said "Emergency alert about <name> acknowledged." and clearing
    a flag "Flag cleared for <name>. They can book treatment online again": the messages
    framework kept each in a cookie (signed, not encrypted: anyone at the browser, its profile
    on disk or a proxy logging headers reads it) until the next page showed it. Messages now
    stay in the server-side session, which signing out empties."""
    patient.first_name, patient.last_name = "Quentin", "Marlowe"
    patient.save()
    alert, _ = alert_raise(
        patient=patient,
        level=AlertLevel.EMERGENCY,
        kind="intake_red_flag",
        source_key="round10",
        summary="Saddle numbness",
    )
    desk = client_for(front_desk)
    response = desk.post(reverse("intake:acknowledge_alert", args=[alert.pk]))
    assert response.status_code == 302
    kept = _cookie_text(desk)
    assert "Marlowe" not in kept and "Emergency" not in kept
    # The message itself still reaches the page that follows.
    page = desk.get(response["Location"], follow=True).content.decode()
    assert "Emergency alert about Quentin Marlowe acknowledged" in page
