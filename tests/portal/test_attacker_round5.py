"""Round 5 of the attacker tests: holes found through the real views and the admin."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from portal.models import User
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- The desk, allowed only to look at email addresses, marks them verified ----------------


def test_the_desk_cannot_mark_an_email_address_verified(front_desk: User, owner: User) -> None:
    """allauth's email-address admin offers "Mark selected email addresses as verified" to
    anyone who may open the list, and the desk's group may only look at it. A desk member (or
    a caller talking them into it) could so let an account sign in with an address nobody
    proved they own, which mandatory verification is there to stop. Verifying is a change:
    the owner's, not the desk's."""
    other = UserFactory.create(email="someone@example.com")
    address = EmailAddress.objects.create(
        user=other, email="not-theirs@example.com", verified=False, primary=False
    )
    url = reverse("admin:account_emailaddress_changelist")
    action = {"action": "make_verified", "_selected_action": [str(address.pk)]}
    desk = client_for(front_desk)
    assert desk.get(url).status_code == 200  # the desk still looks at the list
    desk.post(url, action)
    address.refresh_from_db()
    assert not address.verified
    client_for(owner).post(url, action)
    address.refresh_from_db()
    assert address.verified
