"""How allauth fits the clinic: who a new account is, and where people land."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from anymail.exceptions import AnymailError
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from portal.crypto import decrypt_text, encrypt_text
from portal.messaging import from_address
from portal.models import Clinic, Role

log = logging.getLogger(__name__)


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

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """allauth's own emails (verify your address, reset your password) go out at once, in
        the request, because their links are made for it: a mail server that is down must
        not turn signing up into an error page, so the person is told to try again."""
        try:
            super().send_mail(template_prefix, email, context)
        except (OSError, AnymailError):  # smtplib's errors are OSErrors
            log.warning("account email %s could not be sent", template_prefix, exc_info=True)
            request = context.get("request") or getattr(self, "request", None)
            if isinstance(request, HttpRequest):
                messages.warning(
                    request,
                    "We could not send you an email just now. Please try again in a few "
                    "minutes, or call the clinic if it still does not arrive.",
                )

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
