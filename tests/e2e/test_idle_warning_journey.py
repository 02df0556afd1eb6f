"""The team's idle limit in a real browser (WCAG 2.2.1, timing adjustable): two minutes before
it signs a practitioner out, a warning with one button to stay; staying keeps the session, and
once the limit has passed the page says so instead of letting them type on into a dead form."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.demo import DEMO_PASSWORD
from portal.models import Clinic

from .conftest import PHONE, log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_practitioner_is_warned_before_the_idle_limit_and_can_stay(
    page: Page, live_server, demo_clinic: Clinic
) -> None:
    base = live_server.url
    page.clock.install()
    page.set_viewport_size(PHONE)
    log_in(page, base, "mei@clinic.example", DEMO_PASSWORD)
    page.goto(f"{base}/practice/availability/")
    warning = page.locator("#idle-warning")
    expect(warning).to_be_hidden()

    # 30 minutes idle by default; the warning comes two minutes (and a minute's slack) early.
    page.clock.fast_forward("26:00")
    expect(warning).to_be_hidden()
    page.clock.fast_forward("01:30")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("signed out in about 2 minutes")
    stay = warning.get_by_role("button", name="Stay signed in")
    expect(stay).to_be_focused()
    shot(page, "team-idle-warning-phone", full_page=False)

    with page.expect_response(lambda r: r.url.endswith("/session/still-here/")) as answer:
        page.keyboard.press("Enter")
    assert answer.value.status == 204
    expect(warning).to_be_hidden()
    # Still signed in: the page opens again without a sign-in.
    page.reload()
    expect(page).to_have_url(f"{base}/practice/availability/")

    page.clock.fast_forward("29:30")
    expect(warning).to_contain_text("You have been signed out")
    sign_in = warning.get_by_role("link", name="Sign in again")
    expect(sign_in).to_be_focused()
    expect(warning.get_by_role("button", name="Stay signed in")).to_be_hidden()
    # Not modal any more: what was typed on the page can still be selected and copied.
    page.get_by_label("Reason (optional)").fill("Dentist")
    expect(page.get_by_label("Reason (optional)")).to_have_value("Dentist")
    shot(page, "team-idle-signed-out-phone", full_page=False)


def test_patients_get_no_idle_warning(page: Page, live_server, demo_clinic: Clinic) -> None:
    page.clock.install()
    log_in(page, live_server.url, "alex@patient.example", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/me/diary/")
    assert page.locator("#idle-warning").count() == 0
