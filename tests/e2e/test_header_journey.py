"""The team's header on laptops: every workspace link in one row, or the menu, and never a
page that scrolls sideways. The front desk and the owner have one link more ("Admin") and a
longer first one ("Front desk") than a practitioner."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from portal.models import Clinic, User

from .conftest import LAPTOP, log_in, shot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _overflow(page: Page) -> int:
    """How far the page is wider than the window (0 when nothing scrolls sideways)."""
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


@pytest.mark.parametrize("width", [LAPTOP["width"], 1600])
def test_the_front_desk_header_fits_a_laptop(
    page: Page, live_server, demo_clinic: Clinic, owner: User, width: int
) -> None:
    """At 1280 px the desk's row of links ran 25 px past the window, so every desk page
    scrolled sideways and "Log out" sat off screen."""
    log_in(page, live_server.url, owner.email)
    page.set_viewport_size({"width": width, "height": LAPTOP["height"]})
    page.goto(f"{live_server.url}/desk/")
    nav = page.locator(".nav-desktop")
    expect(nav.get_by_role("link", name="Admin")).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_in_viewport()
    shot(page, f"header-desk-{width}", full_page=False)
    assert _overflow(page) == 0


@pytest.mark.parametrize("width", [1100, 1200])
def test_narrower_laptops_give_the_team_the_menu_or_a_row_that_fits(
    page: Page, live_server, demo_clinic: Clinic, practitioner: User, owner: User, width: int
) -> None:
    """Between 1088 and 1150 px a practitioner's row overflowed too; the front desk's below
    1280. Each either fits or becomes the menu."""
    for user in (practitioner, owner):
        page.context.clear_cookies()
        log_in(page, live_server.url, user.email)
        page.set_viewport_size({"width": width, "height": LAPTOP["height"]})
        page.goto(f"{live_server.url}/practice/calendar/")
        assert _overflow(page) == 0, f"{user.email} at {width} px"
