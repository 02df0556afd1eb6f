"""A mail server that is down never turns signing up or a password reset into an error page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client, override_settings
from django.urls import reverse

from portal.models import User

pytestmark = pytest.mark.django_db


class RefusingBackend(BaseEmailBackend):
    """An SMTP relay that refuses the connection."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        raise ConnectionRefusedError("relay down")


@override_settings(EMAIL_BACKEND="tests.portal.test_account_email_outage.RefusingBackend")
def test_signing_up_while_mail_is_down_keeps_the_account_and_says_so(clinic: Any) -> None:
    answer = Client().post(
        reverse("account_signup"),
        {
            "first_name": "Rhian",
            "last_name": "Powell",
            "email": "rhian@example.com",
            "phone": "0117 496 0123",
            "password1": "a-long-enough-password-2026",
            "password2": "a-long-enough-password-2026",
        },
        follow=True,
    )
    assert answer.status_code == 200
    assert User.objects.filter(email="rhian@example.com").exists()
    assert b"could not send you an email just now" in answer.content


@override_settings(EMAIL_BACKEND="tests.portal.test_account_email_outage.RefusingBackend")
def test_a_password_reset_while_mail_is_down_is_not_an_error(patient: User) -> None:
    answer = Client().post(reverse("account_reset_password"), {"email": patient.email}, follow=True)
    assert answer.status_code == 200
    assert b"could not send you an email just now" in answer.content
