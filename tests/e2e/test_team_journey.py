"""The owner invites a practitioner in a browser; the practitioner follows the email's link,
chooses a password and, at the first sign-in, is sent to set up an authenticator app."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from portal.models import Clinic, Role, User
from tests.factories import TEST_PASSWORD, UserFactory

from .conftest import PHONE, log_in, shot_both, wait_for_mail

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]

INVITATION_PATH = re.compile(r"/accounts/password/reset/key/\S+/")


def _fits(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"] if page.viewport_size else True, width


def test_the_owner_invites_a_practitioner_who_sets_their_own_password(
    page: Page, browser: Browser, live_server, demo_clinic: Clinic
) -> None:
    owner = UserFactory.create(email="helen@example.com", first_name="Helen", role=Role.STAFF)
    User.objects.filter(pk=owner.pk).update(is_superuser=True, is_staff=True)
    log_in(page, live_server.url, owner.email)
    expect(page.locator('[data-dashboard="staff"]')).to_be_visible()

    page.get_by_role("link", name="Your team").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your team")
    page.get_by_label("First name").fill("Nina")
    page.get_by_label("Last name").fill("Hughes")
    page.get_by_label("Email").fill("nina@example.com")
    page.get_by_label("Practitioner: treats patients").check()
    page.get_by_label("Follow-up treatment").check()
    shot_both(page, "team-invite")
    page.get_by_role("button", name="Send the invitation").click()

    # Inviting someone who will read health records asks for the password again first, then
    # carries on with what was typed.
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("Nina Hughes is invited")).to_be_visible()
    member = page.locator(f'[data-member="{User.objects.get(email="nina@example.com").pk}"]')
    expect(member).to_contain_text("invited, has not chosen a password yet")
    expect(member.get_by_role("link", name=re.compile("^Hours"))).to_be_visible()
    shot_both(page, "team-invited")
    page.set_viewport_size(PHONE)
    _fits(page)

    wait_for_mail(1)
    invitation = mail.outbox[-1]
    assert invitation.to == ["nina@example.com"]
    # The link names SITE_URL; the live server listens elsewhere.
    link = INVITATION_PATH.search(str(invitation.body))
    assert link, invitation.body

    nina_browser = browser.new_context(viewport=PHONE, is_mobile=True, locale="en-GB")
    nina = nina_browser.new_page()
    nina.goto(live_server.url + link.group(0))
    nina.get_by_label("New Password", exact=True).fill("a-long-new-password-42")
    nina.get_by_label("New Password (again)").fill("a-long-new-password-42")
    nina.get_by_role("button", name="Change password").click()
    nina.goto(f"{live_server.url}/accounts/login/")
    nina.get_by_label("Email").fill("nina@example.com")
    nina.get_by_label("Password", exact=True).fill("a-long-new-password-42")
    nina.get_by_role("button", name="Log in").click()
    # A team member's first sign-in: set up the authenticator before any patient data (allauth
    # asks for the password once more before adding one).
    nina.get_by_label("Password").fill("a-long-new-password-42")
    nina.get_by_role("button", name="Confirm").click()
    expect(nina).to_have_url(re.compile(r"/accounts/2fa/totp/activate/"))
    nina_browser.close()
