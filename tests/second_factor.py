"""Team members' second factor in tests: a known authenticator secret, and signed-in sessions
that passed the code step the way allauth records it."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.http import HttpRequest
from django.test import Client

from portal.authenticators import set_up_totp, totp_secret
from portal.models import User

# base32 of "test-totp-secret-key" (20 bytes, like the secrets allauth generates).
TEST_TOTP_SECRET = "ORSXG5BNORXXI4BNONSWG4TFOQWWWZLZ"
TEST_RECOVERY_CODES = tuple(f"9000{n:04d}" for n in range(1, 11))


def give_authenticator(user: User, secret: str = TEST_TOTP_SECRET) -> Authenticator:
    """``user``'s authenticator app, set up with the test secret if they have none."""
    existing = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if existing is not None and totp_secret(user):
        return existing
    return set_up_totp(user, secret, TEST_RECOVERY_CODES)


def pass_second_factor(client: Client, user: User) -> None:
    """Mark ``client``'s signed-in session as having passed the code step, as allauth does
    after a real TOTP sign-in (tests of the step itself go through the real pages)."""
    authenticator = give_authenticator(user)
    session = client.session
    request = HttpRequest()
    request.session = session
    request.user = user
    # Test-only use of allauth's own recorder, so the record has exactly allauth's shape.
    record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
    session.save()


def current_code(user: User) -> str:
    """The code ``user``'s authenticator app shows now."""
    from portal.authenticators import totp_code

    secret = totp_secret(user)
    assert secret, f"{user.email} has no authenticator app"
    return totp_code(secret)
