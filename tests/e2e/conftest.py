"""Browser fixtures: Debian's Chromium driven by Playwright's sync API against live_server."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; Django would then refuse the
# ORM calls that tests and factories make in that same thread. The live server runs its own
# threads, so this only relaxes the guard for the test code itself.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

from portal.models import Clinic

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LAPTOP: ViewportSize = {"width": 1280, "height": 800}
PHONE: ViewportSize = {"width": 390, "height": 844}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _chromium_available() -> bool:
    if Path(CHROMIUM).is_file():
        return os.access(CHROMIUM, os.X_OK)
    return shutil.which(CHROMIUM) is not None


@pytest.fixture(autouse=True)
def clinic_details(clinic: Clinic) -> Clinic:
    """A clinic with real-looking contact details, so header, footer and pages are complete."""
    clinic.name = "Riverside Acupuncture"
    clinic.address = "12 Mill Lane, Bristol BS1 4XE"
    clinic.phone = "0117 496 0123"
    clinic.email = "hello@riverside-acupuncture.example"
    clinic.save()
    return clinic


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    if not _chromium_available():
        reason = f"Chromium not found at {CHROMIUM}: install it (make browser) to run e2e tests"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(reason + " (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(reason)
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, at laptop size."""
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A fresh context that behaves like a phone: small viewport, touch, mobile user agent."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def laptop(page: Page) -> Page:
    page.set_viewport_size(LAPTOP)
    return page


def phone(page: Page) -> Page:
    page.set_viewport_size(PHONE)
    return page


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save a (by default full-page) screenshot to test-artifacts/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.wait_for_load_state("load")  # a click's navigation may still be streaming in
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def shot_both(page: Page, name: str) -> None:
    """Screenshots of the current page at laptop and phone sizes, leaving it at laptop size."""
    shot(laptop(page), f"{name}-laptop")
    shot(phone(page), f"{name}-phone")
    laptop(page)


def fill_signup(page: Page, *, password: str) -> None:
    """Fill the sign-up form as a new patient (Robin Hale) and submit it."""
    page.get_by_label("First name").fill("Robin")
    page.get_by_label("Last name").fill("Hale")
    page.get_by_label("Email").fill("robin.hale@example.com")
    page.get_by_label("Phone").fill("07700 900123")
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_label("Password (again)").fill(password)
    page.get_by_role("button", name="Sign Up").click()
