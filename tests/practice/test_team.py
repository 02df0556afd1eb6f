"""The owner's team page: inviting a practitioner or the front desk by email."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from booking.models import Practitioner
from followup.models import OutboxMessage
from portal.messaging import MessageKind
from portal.models import AuditEvent, Role, User
from portal.roles import RoleChangeRefused
from portal.services import STAFF_GROUP
from practice.team import invite_team_member
from tests.booking.factories import ServiceFactory
from tests.conftest import client_for, reauthenticated

pytestmark = pytest.mark.django_db

URL = reverse("practice:team")


def _invite(client: Any, **changes: Any) -> Any:
    data = {
        "first_name": "Nina",
        "last_name": "Hughes",
        "email": "Nina.Hughes@example.com",
        "role": Role.PRACTITIONER.value,
        **changes,
    }
    return client.post(URL, data)


def test_the_owner_invites_a_practitioner_who_chooses_their_own_password(owner: User) -> None:
    """Before, the admin's add form made the owner type the new practitioner's password (and
    tell it to them), recorded a role change "from patient", and made no booking profile."""
    treatment = ServiceFactory.create(name="Treatment")
    ServiceFactory.create(name="Cupping")
    answer = _invite(reauthenticated(owner), services=[str(treatment.pk)])
    assert answer.status_code == 302
    nina = User.objects.get(email="nina.hughes@example.com")
    assert (nina.role, nina.is_staff, nina.has_usable_password()) == (
        Role.PRACTITIONER,
        False,
        False,
    )
    profile = Practitioner.objects.get(user=nina)
    assert profile.display_name == "Nina Hughes"
    assert list(profile.services.all()) == [treatment]
    assert EmailAddress.objects.get(user=nina).verified
    invited = AuditEvent.objects.get(subject=nina)
    assert (invited.action, invited.actor, invited.detail) == (
        "team_member_invited",
        owner,
        {"role": "practitioner"},
    )
    assert (
        OutboxMessage.objects.filter(kind=MessageKind.TEAM_INVITATION, recipient=nina).count() == 1
    )
    page = client_for(owner).get(URL)
    assert "invited, has not chosen a password yet" in page.content.decode()


def test_the_front_desk_is_invited_with_the_desks_admin_access(owner: User) -> None:
    answer = _invite(reauthenticated(owner), role=Role.STAFF.value, email="sam@example.com")
    assert answer.status_code == 302
    sam = User.objects.get(email="sam@example.com")
    assert (sam.role, sam.is_staff, sam.is_superuser) == (Role.STAFF, True, False)
    assert list(sam.groups.values_list("name", flat=True)) == [STAFF_GROUP]
    assert not Practitioner.objects.filter(user=sam).exists()


def test_an_existing_account_is_never_turned_into_a_team_member(owner: User, patient: User) -> None:
    """A patient becomes a team member only through a role change, asked and recorded apart."""
    answer = _invite(reauthenticated(owner), email=patient.email.upper())
    assert answer.status_code == 400
    assert b"Already has an account." in answer.content
    patient.refresh_from_db()
    assert patient.role == Role.PATIENT
    assert not AuditEvent.objects.exists()
    assert not OutboxMessage.objects.filter(kind=MessageKind.TEAM_INVITATION).exists()


def test_an_invitation_asks_the_owner_to_re_authenticate_first(owner: User) -> None:
    answer = _invite(client_for(owner))
    assert answer["Location"].startswith(reverse("account_reauthenticate"))
    assert not User.objects.filter(email="nina.hughes@example.com").exists()


def test_only_the_owner_invites(front_desk: User) -> None:
    assert _invite(client_for(front_desk)).status_code == 403
    with pytest.raises(RoleChangeRefused):
        invite_team_member(
            owner=front_desk,
            first_name="Nina",
            last_name="Hughes",
            email="nina@example.com",
            role=Role.PRACTITIONER,
        )
    assert not User.objects.filter(email="nina@example.com").exists()


def test_the_owners_dashboard_links_the_team_and_keeps_privacy_requests_with_oversight(
    owner: User,
) -> None:
    """The erasure requests button sat alone below the owner's privacy card, and the owner's
    dashboard was labelled "Front desk"."""
    page = client_for(owner).get(reverse("staff_dashboard")).content.decode()
    assert 'data-link="team"' in page
    assert '<p class="eyebrow">Owner</p>' in page
    oversight = page[page.index("data-owner-oversight") :]
    oversight = oversight[: oversight.index("</section>")]
    assert reverse("practice:privacy_requests") in oversight


def test_the_admins_add_user_form_points_to_the_invitation(owner: User) -> None:
    """The owner looking for "add a practitioner" lands on the admin's form, which asks them to
    choose the person's password: it sends them to Your team instead."""
    page = client_for(owner).get(reverse("admin:portal_user_add")).content.decode()
    assert f'<a href="{URL}">Your team</a>' in page
