"""Confirming an offer: the first to claim a held place gets it, and the booking made from it
closes the offer and the entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from booking.models import Booking, Service
from booking.waitlist.errors import PlaceGone, WaitlistError
from booking.waitlist_models import (
    EntryStatus,
    OfferStatus,
    PlaceStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistPlace,
)
from portal.models import User
from portal.services import lock_patient


@dataclass(frozen=True)
class Claimed:
    """The place is the patient's until ``place.expires_at``; ``booking`` is set when it could
    be booked at once (no amount to choose, no online payment)."""

    place: WaitlistPlace
    booking: Booking | None


def offer_claim(
    *,
    offer: WaitlistOffer,
    patient: User,
    request_key: str | None = None,
    now: datetime | None = None,
) -> Claimed:
    """The patient confirms an offer: the first to do so gets the place, the others' offers are
    marked gone (``PlaceGone`` for them). A service with nothing to pay online is booked in the
    same transaction, so a refusal (a gate, the new-patient limit) leaves the place to the
    others; otherwise the claimed place waits for the confirm page's booking."""
    from booking.services import BookingRequest, booking_create, lock_capacity

    now = now or timezone.now()
    if offer.entry.patient_id != patient.pk:
        raise WaitlistError("This offer was sent to someone else.")
    service = offer.place.service
    with transaction.atomic():
        # booking_create's lock order (patient, practitioners, rooms), then the place: the
        # place's row lock is the race, and the scan takes the same order.
        lock_patient(patient.pk)
        lock_capacity(service, None)
        place = WaitlistPlace.objects.select_for_update().get(pk=offer.place_id)
        current = WaitlistOffer.objects.select_for_update().get(pk=offer.pk)
        if current.status == OfferStatus.CLAIMED and place.status == PlaceStatus.CLAIMED:
            return Claimed(place, None)  # a second click on the same confirmation
        if current.status == OfferStatus.BOOKED:
            return Claimed(place, place.booking)  # already booked from this offer
        if (
            current.status != OfferStatus.SENT
            or place.status != PlaceStatus.OPEN
            or place.expires_at <= now
        ):
            raise PlaceGone()
        _claim(place, current, now)
        booking = None
        if not service.needs_checkout:
            asked = BookingRequest(
                patient=patient,
                service=service,
                starts_at=place.starts_at,
                practitioner=None if service.is_multibed else place.practitioner,
                request_key=request_key,
            )
            booking = booking_create(asked, now=now)
            place.refresh_from_db()
    return Claimed(place, booking)


def _claim(place: WaitlistPlace, offer: WaitlistOffer, now: datetime) -> None:
    """Mark the place and this offer claimed, and every other offer of the place gone."""
    place.status = PlaceStatus.CLAIMED
    place.save(update_fields=["status"])
    WaitlistOffer.objects.filter(pk=offer.pk).update(status=OfferStatus.CLAIMED, answered_at=now)
    WaitlistOffer.objects.filter(place=place, status=OfferStatus.SENT).exclude(pk=offer.pk).update(
        status=OfferStatus.GONE, answered_at=now
    )


def take_claimed_place(
    *, patient: User, service: Service, starts_at: datetime, now: datetime
) -> list[int]:
    """Inside ``booking_create``'s transaction: release the place the patient claimed for this
    start, so the capacity check that follows can give it to them. Returns the places' ids."""
    claimed = WaitlistPlace.objects.filter(
        service=service, starts_at=starts_at, status=PlaceStatus.CLAIMED, expires_at__gt=now
    )
    # Nearly every booking has no claimed place at its time: find that out without the joins
    # to the offers and entries (every booking asks, and building those joins costs more).
    if not claimed.exists():
        return []
    ids = list(
        claimed.filter(
            offers__status=OfferStatus.CLAIMED, offers__entry__patient=patient
        ).values_list("pk", flat=True)
    )
    if ids:
        WaitlistPlace.objects.filter(pk__in=ids, status=PlaceStatus.CLAIMED).update(
            status=PlaceStatus.TAKEN
        )
    return ids


def place_booked(*, place_ids: list[int], booking: Booking, now: datetime) -> None:
    """The booking made from a claimed place: link it, close the offer and the entry."""
    if not place_ids:
        return
    WaitlistPlace.objects.filter(pk__in=place_ids).update(booking=booking)
    offers = WaitlistOffer.objects.filter(place_id__in=place_ids, status=OfferStatus.CLAIMED)
    WaitlistEntry.objects.filter(
        pk__in=offers.values("entry_id"), status=EntryStatus.WAITING
    ).update(status=EntryStatus.BOOKED, ended_at=now)
    offers.update(status=OfferStatus.BOOKED)
