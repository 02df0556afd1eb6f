"""The signed link in an offer email: the offer id, with its own salt."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse

from booking.waitlist_models import WaitlistOffer

OFFER_SALT = "booking.waitlist.offer"
# The link outlives any hold a clinic can set; the row's state says whether it still counts.
OFFER_LINK_MAX_AGE = timedelta(days=3)


def offer_token(offer: WaitlistOffer) -> str:
    """The signed token naming ``offer`` in its link."""
    return signing.dumps(offer.pk, salt=OFFER_SALT)


def offer_url(offer: WaitlistOffer) -> str:
    """The absolute link in the offer email."""
    return settings.SITE_URL + reverse("booking:waitlist_offer", args=[offer_token(offer)])


def offer_from_token(token: str) -> WaitlistOffer | None:
    """The offer a link names, or None if the link is tampered with or too old."""
    try:
        offer_id = signing.loads(token, salt=OFFER_SALT, max_age=OFFER_LINK_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(offer_id, int):
        return None
    return (
        WaitlistOffer.objects.select_related(
            "place__service__clinic", "place__practitioner", "entry__patient"
        )
        .filter(pk=offer_id)
        .first()
    )
