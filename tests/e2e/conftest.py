"""Browser fixtures: Debian's Chromium driven by Playwright's sync API against live_server."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

# Playwright's sync API runs an event loop in the test thread; Django would then refuse the
# ORM calls that tests and factories make in that same thread. The live server runs its own
# threads, so this only relaxes the guard for the test code itself.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from booking.demo import seed_booking
from portal.authenticators import totp_code, totp_secret
from portal.demo import seed_clinic
from portal.models import Clinic, Role, User
from tests.factories import TEST_PASSWORD
from tests.intake.factories import IntakeResponseFactory

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
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+")


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


@pytest.fixture(autouse=True)
def _any_hour(no_quiet_hours: None) -> None:
    """Journeys run at whatever hour CI does: routine emails (refunds, fee decisions) are not
    held for the clinic's quiet hours here; quiet hours are tested in tests/followup."""


@pytest.fixture
def eager_celery() -> Iterator[None]:
    """Run queued tasks (emails, refunds) in the live server's thread right after the commit.

    Tasks are queued with ``transaction.on_commit`` for a worker; the tests have none, and
    Celery is not eager by default (it read its config at start-up, so set it on the app).
    """
    from portal.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture
def demo_clinic(clinic_details: Clinic) -> Clinic:
    """The demo team and patients, four services, weekly hours and the community room. The
    patients have sent their questionnaires, as in ``make run``'s demo, so booking's gates let
    them book; the gate's own journey is in test_public_booking_journey.py."""
    clinic, _ = seed_clinic()
    seed_booking(clinic)
    for patient in User.objects.filter(role=Role.PATIENT):
        IntakeResponseFactory.create(patient=patient)
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


def _watch_csp(context: BrowserContext) -> list[str]:
    """Console messages where Chromium reports a Content-Security-Policy violation, from
    every page of the context: a journey that needs something the policy blocks fails."""
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    context.on("page", lambda page: page.on("console", on_console))
    return violations


def _no_violations(violations: list[str]) -> None:
    assert not violations, "Content-Security-Policy violations:\n" + "\n".join(violations)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test, at laptop size."""
    context = browser.new_context(viewport=LAPTOP, locale="en-GB")
    context.set_default_timeout(10_000)
    violations = _watch_csp(context)
    page = context.new_page()
    yield page
    context.close()
    _no_violations(violations)


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A fresh context that behaves like a phone: small viewport, touch, mobile user agent."""
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="en-GB"
    )
    context.set_default_timeout(10_000)
    violations = _watch_csp(context)
    page = context.new_page()
    yield page
    context.close()
    _no_violations(violations)


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


def sign_up(page: Page, base_url: str) -> User:
    """Sign up as a new patient (Robin Hale) and follow the link in the email."""
    page.goto(f"{base_url}/accounts/signup/")
    fill_signup(page, password=TEST_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        re.compile("verify your email", re.IGNORECASE)
    )
    wait_for_mail(1)
    link = CONFIRM_LINK.search(str(mail.outbox[-1].body))
    assert link, mail.outbox[-1].body
    page.goto(link.group(0))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator('[data-dashboard="patient"]')).to_be_visible()
    return User.objects.get(email="robin.hale@example.com")


def choose(page: Page, question: str, label: str) -> None:
    """Tick the answer labelled ``label`` in the questionnaire's group for ``question``."""
    page.get_by_role("group", name=question).get_by_label(label, exact=True).check()


def send_questionnaire(page: Page) -> None:
    """From the questionnaire's first page, send the full questionnaire as a 41-year-old with
    ordinary back pain and nothing of note, as a newcomer does before a first treatment."""
    page.get_by_role("button", name="Start the questionnaire").click()
    next_step = page.get_by_role("button", name=re.compile("Save and continue|Check your answers"))
    page.get_by_label("Your date of birth").fill("1985-06-01")
    page.get_by_label("What is the main problem you would like help with?").fill(
        "Stiff lower back after long days at a desk."
    )
    choose(page, "Where do you feel it?", "Lower back")
    choose(page, "Which side?", "Both sides or the middle")
    choose(page, "Does the pain spread into your buttock or down your leg?", "No")
    choose(page, "How long have you had it?", "More than a year")
    choose(page, "How bad is the pain right now?", "4")
    choose(page, "How bad is it at its worst?", "6")
    choose(page, "How bad is it at its best?", "2")
    next_step.click()
    choose(page, "Has a doctor told you that you have any of these?", "None that I know of")
    choose(page, "Have you had any scans of your back?", "No scans")
    choose(page, "Have you had an operation on your back?", "No")
    next_step.click()
    choose(page, "Do you take any of these?", "None of these")
    next_step.click()
    choose(page, "Do any of these apply to you?", "None of these")
    next_step.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Important symptoms")
    for group in page.get_by_role("group").all():
        group.get_by_label("No", exact=True).check()
    next_step.click()
    choose(page, "Have you had acupuncture before?", "No")
    next_step.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Worries and hopes")
    next_step.click()
    page.get_by_label("A phone number we can reach you on").fill("07700 900123")
    page.get_by_label("Your GP (family doctor) or practice").fill("Redland Surgery")
    page.get_by_label("Emergency contact's name").fill("Sam Hale")
    page.get_by_label("Emergency contact's phone").fill("07700 900124")
    next_step.click()
    page.get_by_label(re.compile("^I agree to be assessed")).check()
    page.get_by_label(re.compile("^I agree that the clinic may keep")).check()
    next_step.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    page.get_by_role("button", name="Send to the clinic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your answers are with the clinic"
    )


# (email, time step) of codes already typed: a code signs in once, so a second sign-in in the
# same 30 seconds waits for the next one, as a person would.
_codes_used: set[tuple[str, int]] = set()


def log_in(page: Page, base_url: str, email: str, password: str = TEST_PASSWORD) -> None:
    """Sign in through the login form; team members then type their authenticator's code.

    The landing page is left to the caller to check.
    """
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Log in").click()
    user = User.objects.filter(email__iexact=email).first()
    if user is None or not user.check_password(password):
        return  # the login page shows its error
    secret = totp_secret(user)
    if secret is None:
        return  # a patient, or a team member who is sent to enrol
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    period = int(getattr(settings, "MFA_TOTP_PERIOD", 30))
    while (email, int(time.time() // period)) in _codes_used:
        time.sleep(0.5)
    step = int(time.time() // period)
    _codes_used.add((email, step))
    page.get_by_label("Code", exact=True).fill(totp_code(secret, at=step * period))
    page.get_by_role("button", name="Log in").click()


def log_out(page: Page) -> None:
    page.locator("[data-action=logout]").first.click()


def wait_for_mail(count: int, timeout: float = 5.0) -> None:
    """Wait until ``count`` emails have been sent: eager tasks run in the live server's thread."""
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(mail.outbox) >= count, [m.subject for m in mail.outbox]


def pick_slot(page: Page, *, not_before: datetime | None = None, avoid: str = "") -> datetime:
    """Click the first open time (``a.slot``) on the week page, moving on week by week.

    Times before ``not_before`` are passed over; by default that is the clinic's cutoff (and
    half an hour) from now, so what a journey books it can also move or cancel online whatever
    the hour the tests run. ``avoid`` is a ``data-start`` value to pass over (the time a visit
    being moved already has).
    """
    if not_before is None:
        cutoff = Clinic.objects.get().cancellation_cutoff_hours
        not_before = timezone.now() + timedelta(hours=cutoff, minutes=30)
    for _week in range(9):
        expect(page.get_by_role("heading", level=1)).to_contain_text("Pick a")
        for link in page.locator("a.slot").all():
            value = link.get_attribute("data-start") or ""
            start = datetime.fromisoformat(value)
            if value == avoid or start < not_before:
                continue
            link.click()
            expect(page.get_by_role("heading", level=1)).to_have_text("Check your booking")
            return start
        page.get_by_role("link", name=re.compile("Next week")).click()
    raise AssertionError("no open time in the next nine weeks")


def confirm(page: Page, button: str = "Confirm booking") -> None:
    """Press the confirm page's button and check the answer was a page, not a server error."""
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name=button).click()
    assert answer.value.status < 500
