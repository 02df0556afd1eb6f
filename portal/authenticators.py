"""Authenticator apps set up outside the enrolment page: the demo's team, and the tests.

Records are written in allauth.mfa's documented storage format (the one its migration guide
uses: an encrypted TOTP secret, and recovery codes as ``migrated_codes``), so allauth's own
sign-in and recovery pages check them like any enrolled authenticator.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from collections.abc import Sequence

from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.db import transaction

from portal.models import User


def totp_code(secret: str, at: float | None = None) -> str:
    """The code an authenticator app shows for ``secret`` (RFC 6238) at ``at`` (default now)."""
    period = int(getattr(settings, "MFA_TOTP_PERIOD", 30))
    digits = int(getattr(settings, "MFA_TOTP_DIGITS", 6))
    counter = int((time.time() if at is None else at) // period)
    key = base64.b32decode(secret.encode("ascii"), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def totp_secret(user: User) -> str | None:
    """The TOTP secret of ``user``'s authenticator app, if they have one."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return None
    return str(get_adapter().decrypt(authenticator.data["secret"]))


@transaction.atomic
def set_up_totp(user: User, secret: str, recovery_codes: Sequence[str] = ()) -> Authenticator:
    """Give ``user`` an authenticator app with ``secret`` and recovery codes, replacing any."""
    adapter = get_adapter()
    Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
    ).delete()
    totp = Authenticator.objects.create(
        user=user, type=Authenticator.Type.TOTP, data={"secret": adapter.encrypt(secret)}
    )
    if recovery_codes:
        Authenticator.objects.create(
            user=user,
            type=Authenticator.Type.RECOVERY_CODES,
            data={"migrated_codes": [adapter.encrypt(code) for code in recovery_codes]},
        )
    return totp
