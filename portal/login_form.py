"""allauth's forms in the portal's wording (their own module: allauth's forms import
``portal.forms`` for sign-up, so that module cannot import them back). Each is named in
``ACCOUNT_FORMS`` or ``MFA_FORMS``; sign-up gets the same messages through
``SignupDetailsForm``, its base (``SignupForm`` here only evens out its timing)."""

from __future__ import annotations

from typing import Any

from allauth.account import forms as account
from allauth.mfa.base import forms as mfa
from allauth.mfa.recovery_codes.forms import GenerateRecoveryCodesForm as AllauthRecoveryForm
from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm
from allauth.mfa.totp.forms import DeactivateTOTPForm as AllauthDeactivateTOTPForm
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

from portal.forms import FriendlyErrors

ENTER_PASSWORD = "Please enter your password."  # noqa: S105 (words, not a password)
ENTER_CODE = "Please enter the 6-digit code your authenticator app shows, or a recovery code."
NEW_PASSWORD = {
    "password1": "Please choose a new password.",
    "password2": "Please type the new password again.",
}


class LoginForm(FriendlyErrors, account.LoginForm):
    required_messages = {
        "login": "Please enter your email address, for example name@example.com.",
        "password": ENTER_PASSWORD,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "remember" in self.fields:
            self.fields["remember"].label = "Remember me on this device"


class SignupForm(account.SignupForm):
    """allauth's sign-up (its fields and messages from ``SignupDetailsForm``, its base)."""

    def try_save(self, request: HttpRequest) -> tuple[Any, Any]:
        if self.account_already_exists:
            # allauth answers an address that already has an account with the same page and
            # an email instead, but without hashing the password: a tenth of the time, which
            # told anyone whether that person is a patient here. The same work, thrown away.
            make_password(self.cleaned_data.get("password1") or None)
        return super().try_save(request)


class ResetPasswordForm(FriendlyErrors, account.ResetPasswordForm):
    required_messages = {"email": "Please enter the email address you sign in with."}


class ResetPasswordKeyForm(FriendlyErrors, account.ResetPasswordKeyForm):
    required_messages = NEW_PASSWORD


class ChangePasswordForm(FriendlyErrors, account.ChangePasswordForm):
    required_messages = {
        "oldpassword": "Please enter the password you use now.",
        **NEW_PASSWORD,
    }


class SetPasswordForm(FriendlyErrors, account.SetPasswordForm):
    required_messages = {
        "password1": "Please choose a password.",
        "password2": "Please type the password again.",
    }


class AddEmailForm(FriendlyErrors, account.AddEmailForm):
    required_messages = {
        "email": "Please enter the new email address, for example name@example.com."
    }


class ReauthenticateForm(FriendlyErrors, account.ReauthenticateForm):
    required_messages = {"password": ENTER_PASSWORD}


class AuthenticateForm(FriendlyErrors, mfa.AuthenticateForm):
    required_messages = {"code": ENTER_CODE}


class ReauthenticateCodeForm(FriendlyErrors, mfa.ReauthenticateForm):
    required_messages = {"code": ENTER_CODE}


class ActivateTOTPForm(FriendlyErrors, AllauthActivateTOTPForm):
    required_messages = {"code": "Please enter the 6-digit code your authenticator app shows now."}


class DeactivateTOTPForm(FriendlyErrors, AllauthDeactivateTOTPForm):
    pass


class GenerateRecoveryCodesForm(FriendlyErrors, AllauthRecoveryForm):
    pass
