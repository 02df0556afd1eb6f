"""practice feeds: the secret .ics address, initials only, revocable."""

from __future__ import annotations

import pytest
from django.test import Client
from icalendar import Calendar

from booking.models import Booking, Practitioner
from intake.models import FlagKind
from intake.services import flag_raise
from portal.models import Role
from portal.services import user_set_role
from practice import services
from practice.feeds import initials
from practice.models import CalendarFeed
from tests.conftest import reauthenticated
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def test_initials() -> None:
    assert initials(UserFactory.build(first_name="Alex", last_name="Morgan")) == "A.M."
    assert initials(UserFactory.build(first_name="", last_name="", email="zoe@x.org")) == "Z."


def test_feed_has_times_service_and_initials_only(
    client: Client, mei: Practitioner, visit: Booking
) -> None:
    visit.patient.last_name = "Morgan"
    visit.patient.save()
    flag_raise(patient=visit.patient, kind=FlagKind.TREAT_GENTLY, reason="Sore for a week")
    feed = services.feed_enable(practitioner=mei)
    response = client.get(f"/feeds/{feed.token}.ics")  # no sign-in: calendar apps fetch it
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert "no-store" in response["Cache-Control"]
    body = response.content.decode()
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert str(event["summary"]) == "A.M. · Treatment"
    assert event.decoded("dtstart") == visit.starts_at
    for private in ("Alex", "Morgan", visit.patient.email, "Sore", "gently"):
        assert private not in body
    feed.refresh_from_db()
    assert feed.last_fetched_at is not None


def test_a_revoked_or_made_up_token_is_404(client: Client, mei: Practitioner) -> None:
    feed = services.feed_enable(practitioner=mei)
    services.feed_revoke(practitioner=mei)
    assert client.get(f"/feeds/{feed.token}.ics").status_code == 404
    assert client.get("/feeds/not-a-real-token-at-all-xx.ics").status_code == 404
    assert client.get("/feeds/short.ics").status_code == 404


@pytest.mark.parametrize("change", ["deactivated", "no_longer_a_practitioner"])
def test_a_feed_stops_when_its_practitioner_leaves_the_team(
    client: Client, mei: Practitioner, visit: Booking, change: str
) -> None:
    # The address lives on in a phone's calendar app: once the owner deactivates the account,
    # or moves it off the practitioner role, it must stop showing the clinic's bookings.
    feed = services.feed_enable(practitioner=mei)
    url = f"/feeds/{feed.token}.ics"
    assert client.get(url).status_code == 200
    user = mei.user
    if change == "deactivated":
        user.is_active = False
        user.save(update_fields=["is_active"])
    else:
        user_set_role(user=user, role=Role.PATIENT)
    response = client.get(url)
    assert response.status_code == 404
    assert b"VEVENT" not in response.content


def test_settings_page_turns_the_feed_on_renews_and_off(
    practitioner: object, mei: Practitioner
) -> None:
    client = reauthenticated(mei.user)
    client.post("/practice/feed/", {"action": "enable"})
    first = CalendarFeed.objects.get(practitioner=mei).token
    assert first in client.get("/practice/feed/").content.decode()
    client.post("/practice/feed/", {"action": "renew"})
    second = CalendarFeed.objects.get(practitioner=mei).token
    assert second != first
    client.post("/practice/feed/", {"action": "revoke"})
    assert not CalendarFeed.objects.exists()
