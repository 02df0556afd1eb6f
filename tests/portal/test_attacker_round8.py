"""Round 8 of the attacker tests: what a stranger can make the clinic's emails say."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from portal.models import User
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

PASSWORD = "a-fresh-and-long-passphrase-42"
# What a phisher would have the clinic say: one line, or lines of its own below the greeting.
LURE = "Sam. Your NHS test results are ready at evil.example/r"
FORGED_LINES = "Morgan\n\nYour session ended. Sign in again at evil.example"


def _sign_up(client: Client, *, email: str, first_name: str, last_name: str = "Hart") -> None:
    client.post(
        reverse("account_signup"),
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


def test_a_sign_up_cannot_make_the_clinic_email_a_stranger_its_own_words(
    clinic: object,
) -> None:
    """Anyone could sign up with someone else's address and a "first name" that is a message:
    the clinic then emailed that stranger, from its own address, "Hello <the message>," above a
    real confirmation link (20 a minute from one address, no account needed). An address
    nobody has proved is greeted without the name typed for it: the confirmation of a sign-up or
    of an added address, and a password reset, say "Hello," alone."""
    _sign_up(Client(), email="stranger@example.org", first_name=LURE)

    (message,) = mail.outbox
    assert message.to == ["stranger@example.org"]
    assert "evil.example" not in message.body
    assert "NHS" not in message.body

    mail.outbox.clear()
    Client().post(reverse("account_reset_password"), {"email": "stranger@example.org"})
    assert mail.outbox, "a reset link goes to the address (it proves it)"
    assert all("evil.example" not in m.body for m in mail.outbox)


def test_a_name_cannot_start_lines_of_its_own_in_the_teams_emails(
    clinic: object, patient: User
) -> None:
    """A patient's name is printed in the team's plain-text alert emails (urgent, chase,
    digest), where a name holding line breaks wrote paragraphs of its own under the clinic's
    name ("Your session ended. Sign in again at ..."). A name is one line: sign-up and "My
    details" refuse line breaks and other control characters, and keep nothing."""
    _sign_up(Client(), email="robin@example.org", first_name="Robin", last_name=FORGED_LINES)
    assert not User.objects.filter(email="robin@example.org").exists()
    assert mail.outbox == []

    before = (patient.first_name, patient.last_name)
    for name in (FORGED_LINES, "Morgan\rX", "Morgan\u2028X", "Morgan\u202egnp.exe"):
        answer = client_for(patient).post(
            reverse("my_details"), {"first_name": "Alex", "last_name": name, "phone": ""}
        )
        assert answer.status_code == 400, repr(name)
    patient.refresh_from_db()
    assert (patient.first_name, patient.last_name) == before

    # An ordinary name with an apostrophe, a hyphen and accents still goes through.
    answer = client_for(patient).post(
        reverse("my_details"), {"first_name": "Zoë", "last_name": "O'Neill-Łukasz", "phone": ""}
    )
    assert answer.status_code == 302
    patient.refresh_from_db()
    assert patient.last_name == "O'Neill-Łukasz"
