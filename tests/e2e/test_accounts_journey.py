"""The account journeys in a real browser: sign up, verify, log out, log in, by role."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from portal.models import Role
from tests.factories import TEST_PASSWORD, UserFactory

from .conftest import CONFIRM_LINK, fill_signup, log_in, shot, shot_both

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_new_patient_signs_up_verifies_and_logs_back_in(page: Page, live_server) -> None:
    base = live_server.url

    page.goto(f"{base}/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    shot_both(page, "home")

    page.get_by_role("main").get_by_role("link", name="Sign up").click()
    expect(page).to_have_url(re.compile(r"/accounts/signup/$"))
    shot_both(page, "signup")

    # Sending the form empty shows an error summary whose links lead to the fields.
    page.get_by_role("button", name="Sign Up").click()
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(page.get_by_label("First name")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("First name")).to_have_attribute(
        "aria-describedby", re.compile("id_first_name_error")
    )
    shot(page, "signup-errors-laptop")

    fill_signup(page, password=TEST_PASSWORD)

    expect(page.get_by_role("heading", level=1)).to_contain_text(
        re.compile("verify your email", re.IGNORECASE)
    )
    shot_both(page, "verify-email")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["robin.hale@example.com"]
    body = str(message.body)
    # No name typed for an unproven address is echoed to it (attacker round 8).
    assert body.startswith("Hello,") and "Robin" not in body
    link = CONFIRM_LINK.search(body)
    assert link, body

    page.goto(link.group(0))
    shot(page, "confirm-email-laptop")
    page.get_by_role("button", name="Confirm").click()

    dashboard = page.locator('[data-dashboard="patient"]')
    expect(dashboard).to_be_visible()
    expect(dashboard).to_contain_text("Robin")
    expect(page.get_by_text("No bookings yet")).to_be_visible()
    shot_both(page, "patient-dashboard")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    expect(page.locator("[data-dashboard]")).to_have_count(0)

    page.goto(f"{base}/accounts/login/")
    shot_both(page, "login")
    log_in(page, base, "robin.hale@example.com")
    expect(page.locator('[data-dashboard="patient"]')).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Done")


def test_wrong_password_is_explained_at_the_top_of_the_form(page: Page, live_server) -> None:
    UserFactory.create(email="sore.back@example.com")
    log_in(page, live_server.url, "sore.back@example.com", "not-the-password")
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(page.locator("[data-dashboard]")).to_have_count(0)
    shot(page, "login-error-laptop")


def test_practitioner_lands_on_practitioner_dashboard(page: Page, live_server) -> None:
    UserFactory.create(email="mei@example.com", first_name="Mei", role=Role.PRACTITIONER)
    log_in(page, live_server.url, "mei@example.com")
    dashboard = page.locator('[data-dashboard="practitioner"]')
    expect(dashboard).to_be_visible()
    expect(page.get_by_role("heading", name="Today's list")).to_be_visible()
    shot_both(page, "practitioner-dashboard")

    # A practitioner who opens a patient page gets the friendly 403, with a way back.
    page.goto(f"{live_server.url}/me/")
    expect(page.locator('[data-error="403"]')).to_be_visible()
    page.get_by_role("main").get_by_role("link", name="Go to your dashboard").click()
    expect(page.locator('[data-dashboard="practitioner"]')).to_be_visible()


def test_staff_lands_on_front_desk_with_admin_links(page: Page, live_server) -> None:
    UserFactory.create(email="desk@example.com", first_name="Sam", role=Role.STAFF)
    log_in(page, live_server.url, "desk@example.com")
    expect(page.locator('[data-dashboard="staff"]')).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Clinic settings"))).to_be_visible()
    shot_both(page, "staff-dashboard")


def test_phone_menu_and_error_pages(phone_page: Page, live_server) -> None:
    page = phone_page
    UserFactory.create(email="alex@example.com", first_name="Alex")
    log_in(page, live_server.url, "alex@example.com")
    expect(page.locator('[data-dashboard="patient"]')).to_be_visible()

    menu = page.locator("details.nav-menu")
    expect(menu.get_by_role("button", name="Log out")).to_be_hidden()
    menu.locator("summary").click()
    expect(menu.get_by_role("button", name="Log out")).to_be_visible()
    shot(page, "phone-menu-open", full_page=False)
    for target in menu.get_by_role("link").all() + menu.get_by_role("button").all():
        box = target.bounding_box()
        assert box and box["height"] >= 44, f"tap target too small: {target}"

    page.goto(f"{live_server.url}/no-such-page/")
    expect(page.locator('[data-error="404"]')).to_be_visible()
    shot(page, "404-phone")
    page.goto(f"{live_server.url}/desk/")
    expect(page.locator('[data-error="403"]')).to_be_visible()
    shot(page, "403-phone")
