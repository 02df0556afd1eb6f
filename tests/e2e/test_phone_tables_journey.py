"""A patient's past visits on a 375 px phone: the list's last column (the visit's status) is
read without scrolling sideways. Table cells were padded as on a laptop, so "Did not attend"
was cut off at the screen's edge."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from booking.models import BookingStatus, Practitioner, Service
from portal.demo import DEMO_PASSWORD
from portal.models import Clinic, User
from tests.booking.factories import visit_at

from .conftest import log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_past_visits_fit_a_small_phone(page: Page, live_server, demo_clinic: Clinic) -> None:
    alex = User.objects.get(email="alex@patient.example")
    mei = Practitioner.objects.get(user__email="mei@clinic.example")
    initial = Service.objects.get(slug="initial-consultation")
    week_ago = (timezone.now() - timedelta(days=7)).replace(second=0, microsecond=0)
    for days, status in ((0, BookingStatus.NO_SHOW), (7, BookingStatus.ATTENDED)):
        visit_at(
            patient=alex,
            service=initial,
            practitioner=mei,
            starts_at=week_ago - timedelta(days=days),
            status=status,
            price_minor=initial.price_minor,
            currency=demo_clinic.currency,
        )
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server.url, alex.email, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/bookings/")
    table = page.locator("#past ~ .table-wrap table")
    wrap = page.locator("#past ~ .table-wrap")
    assert table.evaluate("t => t.getBoundingClientRect().width") <= wrap.evaluate(
        "w => w.clientWidth"
    )
    badge = page.get_by_text("Did not attend", exact=True)
    assert badge.evaluate("b => b.getBoundingClientRect().right") <= 375
    shot(page, "patient-past-visits-phone-375")
