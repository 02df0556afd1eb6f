"""Signed, expiring check-in links: tied to one visit and one stage, readable by no one else.

The token carries only the booking id and the stage, signed with the site's secret and a salt
of its own, so a link from another feature (or a tampered one) never opens a check-in.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from followup.models import CheckInStage

SALT = "followup.checkin.v1"


class LinkError(Exception):
    """A check-in link that cannot be used; ``expired`` tells the two cases apart."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def max_age() -> timedelta:
    return timedelta(days=settings.CHECKIN_LINK_MAX_AGE_DAYS)


def make_token(*, booking_id: int, stage: CheckInStage) -> str:
    return signing.dumps({"b": booking_id, "s": str(stage)}, salt=SALT, compress=True)


def read_token(token: str) -> tuple[int, CheckInStage]:
    """The booking id and stage in a token; raises LinkError if tampered with or expired."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age())
    except signing.SignatureExpired:
        raise LinkError(expired=True) from None
    except signing.BadSignature:
        raise LinkError(expired=False) from None
    try:
        return int(data["b"]), CheckInStage(data["s"])
    except (KeyError, TypeError, ValueError):
        raise LinkError(expired=False) from None


def checkin_url(*, booking_id: int, stage: CheckInStage) -> str:
    """The absolute link for emails."""
    token = make_token(booking_id=booking_id, stage=stage)
    return settings.SITE_URL + reverse("followup:checkin", args=[token])
