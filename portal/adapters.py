"""How allauth fits the clinic: who a new account is, and where people land."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.http import HttpRequest

from portal.crypto import decrypt_text, encrypt_text
from portal.models import Clinic, Role


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return bool(getattr(settings, "ACCOUNT_ALLOW_SIGNUPS", True))

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        """Everyone who signs up is a patient of this portal's clinic."""
        user = super().save_user(request, user, form, commit=False)
        user.email = user.email.lower()
        user.role = Role.PATIENT
        user.clinic = Clinic.objects.current()
        if commit:
            user.save()
        return user


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator secrets and recovery-code seeds are encrypted with the health-data keys."""

    def encrypt(self, text: str) -> str:
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_text(encrypted_text)
