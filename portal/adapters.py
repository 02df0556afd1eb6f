"""How allauth fits the clinic: who a new account is, and where people land."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from portal.crypto import decrypt_text, encrypt_text
from portal.messaging import from_address
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

    def get_from_email(self) -> str:
        """allauth's emails (verification, password reset) come from the clinic too."""
        return from_address()

    def get_client_ip(self, request: HttpRequest) -> str:
        """The visitor's address for the login limits (``TRUSTED_PROXY_COUNT`` proxies deep).

        A request with fewer forwarded hops than proxies configured did not come through
        them all (a probe from inside the network): it is counted under the address that
        connected, rather than failing with a server error.
        """
        try:
            return super().get_client_ip(request)
        except ImproperlyConfigured:
            return str(request.META.get("REMOTE_ADDR") or "unknown")


class MFAAdapter(DefaultMFAAdapter):
    """Authenticator secrets and recovery-code seeds are encrypted with the health-data keys."""

    def encrypt(self, text: str) -> str:
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        return decrypt_text(encrypted_text)
