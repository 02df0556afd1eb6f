"""Freed starts held for the people offered them: the hold, its email, and its lapse."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from booking.availability import Slot, find_open_slots
from booking.models import Service
from booking.waitlist_models import (
    HOLDING_STATUSES,
    LIVE_OFFER_STATUSES,
    OfferStatus,
    PlaceStatus,
    WaitlistOffer,
    WaitlistPlace,
)
from portal.messaging import MessageKind, outbox_put
from portal.models import User


def open_starts(service: Service, now: datetime) -> list[Slot]:
    """Every start of ``service`` open to book now, up to the clinic's booking horizon."""
    clinic = service.clinic
    first = now.astimezone(clinic.tz).date()
    last = (now + timedelta(days=clinic.booking_horizon_days)).astimezone(clinic.tz).date()
    return find_open_slots(service, first, last, now=now)


def hold_place(service: Service, slot: Slot, *, now: datetime, by: User | None) -> WaitlistPlace:
    """Hold ``slot`` for offers (``by``: the team member offering it by hand, or None)."""
    clinic = service.clinic
    multibed = service.is_multibed
    # Never held past the last moment it could still be booked online.
    until = min(
        now + timedelta(minutes=clinic.waitlist_hold_minutes),
        slot.starts_at - timedelta(minutes=clinic.min_notice_minutes),
    )
    return WaitlistPlace.objects.create(
        clinic=clinic,
        service=service,
        practitioner_id=slot.practitioner_id,
        room_id=slot.room_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        blocked_from=slot.starts_at - (timedelta() if multibed else service.buffer_before),
        blocked_until=slot.ends_at + (timedelta() if multibed else service.buffer_after),
        expires_at=max(until, now + timedelta(minutes=1)),
        created_at=now,
        offered_by=by,
    )


def offer_email_put(offer: WaitlistOffer) -> None:
    """Put the offer's email in the outbox, in the transaction that holds the place: the
    email and the hold commit together (the outbox's key is the offer)."""
    outbox_put(
        kind=MessageKind.WAITLIST_OFFER,
        to_user=offer.entry.patient_id,
        dedupe_key=f"offer:{offer.pk}",
    )


def expire_places(*, now: datetime | None = None) -> int:
    """Let lapse every held place whose time ran out (and its live offers); how many lapsed.

    A place nobody confirmed and a claim whose booking never finished both free their
    capacity for the next people; those offered stay on the list.
    """
    now = now or timezone.now()
    lapsed = 0
    for place_id in WaitlistPlace.objects.filter(
        status__in=HOLDING_STATUSES, expires_at__lte=now
    ).values_list("pk", flat=True):
        with transaction.atomic():
            changed = WaitlistPlace.objects.filter(
                pk=place_id, status__in=HOLDING_STATUSES, expires_at__lte=now
            ).update(status=PlaceStatus.EXPIRED)
            if changed:
                WaitlistOffer.objects.filter(
                    place_id=place_id, status__in=LIVE_OFFER_STATUSES
                ).update(status=OfferStatus.EXPIRED, answered_at=now)
                lapsed += 1
    return lapsed
