"""Offering freed places: the scan that matches open starts to waiting people, and the
team's offer by hand."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from booking.availability import Slot, find_open_slots
from booking.models import Practitioner, Service
from booking.waitlist.errors import WaitlistError
from booking.waitlist.lapses import end_lapsed_entries
from booking.waitlist.places import expire_places, hold_place, offer_email_put, open_starts
from booking.waitlist.wishes import matches
from booking.waitlist_models import (
    LIVE_OFFER_STATUSES,
    EntryStatus,
    PlaceStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistPlace,
)
from portal.audit import record_action
from portal.models import AuditAction, User


def queue_offer_check(service_id: int | None = None) -> None:
    """Look for places to offer once the current transaction commits (capacity may have freed)."""
    from booking.tasks import offer_waitlist_places

    transaction.on_commit(lambda: offer_waitlist_places.delay(service_id))


def offer_free_places(*, service_id: int | None = None, now: datetime | None = None) -> list[int]:
    """Hold and offer every open start that someone waiting asked for; the new offers' ids.

    Idempotent: a start already held is not open any more, a person with a live offer gets no
    second one, and nobody is offered the same start twice. Each service runs under the same
    practitioner and room locks as a booking, so two scans (or a scan and a booking) never
    hold the same recliner twice.
    """
    now = now or timezone.now()
    expire_places(now=now)
    end_lapsed_entries(now=now)
    waiting = WaitlistEntry.objects.filter(status=EntryStatus.WAITING)
    if service_id is not None:
        waiting = waiting.filter(service_id=service_id)
    service_ids = sorted(set(waiting.values_list("service_id", flat=True)))
    offered: list[int] = []
    for service in Service.objects.filter(pk__in=service_ids, is_active=True).select_related(
        "clinic"
    ):
        offered += _offer_service(service, now)
    return offered


def _offer_service(service: Service, now: datetime) -> list[int]:
    from booking.services import lock_capacity

    clinic = service.clinic
    tz = clinic.tz
    _release_unanswerable(service)
    # A look without the booking locks first: most minutes nothing matches, and then nobody
    # booking waits for the scan.
    entries, already = _waiting(service)
    if not any(_takers(s, entries, already, tz) for s in open_starts(service, now)):
        return []
    with transaction.atomic():
        lock_capacity(service, None)
        entries, already = _waiting(service)
        busy: set[int] = set()
        created: list[WaitlistOffer] = []
        # One place per start and scan: a second recliner at the same start is offered by
        # the next scan, once the first hold is counted (the start's arrival limit included).
        for slot in open_starts(service, now):
            chosen = [e for e in _takers(slot, entries, already, tz) if e.pk not in busy][
                : clinic.waitlist_offers_per_place
            ]
            if not chosen:
                continue
            place = hold_place(service, slot, now=now, by=None)
            for entry in chosen:
                busy.add(entry.pk)
                created.append(
                    WaitlistOffer.objects.create(place=place, entry=entry, created_at=now)
                )
        for offer in created:
            offer_email_put(offer)
        ids = [offer.pk for offer in created]
    return ids


def _release_unanswerable(service: Service) -> None:
    """An open place whose every offer was withdrawn (they left the list) goes to the next."""
    WaitlistPlace.objects.filter(service=service, status=PlaceStatus.OPEN).exclude(
        offers__status__in=LIVE_OFFER_STATUSES
    ).update(status=PlaceStatus.WITHDRAWN)


def _waiting(service: Service) -> tuple[list[WaitlistEntry], set[tuple[int, datetime]]]:
    """Entries that may be offered a place now (in queue order), and the starts each was
    already offered."""
    entries = list(
        WaitlistEntry.objects.filter(service=service, status=EntryStatus.WAITING)
        .exclude(offers__status__in=LIVE_OFFER_STATUSES)
        .order_by("joined_at", "pk")
    )
    already = set(
        WaitlistOffer.objects.filter(entry__in=entries).values_list("entry_id", "place__starts_at")
    )
    return entries, already


def _takers(
    slot: Slot,
    entries: list[WaitlistEntry],
    already: set[tuple[int, datetime]],
    tz: ZoneInfo,
) -> list[WaitlistEntry]:
    return [e for e in entries if (e.pk, slot.starts_at) not in already and matches(e, slot, tz)]


def offer_by_hand(
    *,
    entry: WaitlistEntry,
    starts_at: datetime,
    by: User,
    practitioner: Practitioner | None = None,
    now: datetime | None = None,
) -> WaitlistOffer:
    """The team offers one open start to one entry (a time agreed on the phone, say)."""
    from booking.services import lock_capacity

    now = now or timezone.now()
    service = entry.service
    with transaction.atomic():
        lock_capacity(service, practitioner)
        current = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if current.status != EntryStatus.WAITING:
            raise WaitlistError("This person is no longer on the waiting list.")
        if current.offers.filter(status__in=LIVE_OFFER_STATUSES).exists():
            raise WaitlistError(
                "This person already has a place offered. Wait for their answer, or for the "
                "offer to run out."
            )
        day = starts_at.astimezone(service.clinic.tz).date()
        open_now = [
            s
            for s in find_open_slots(service, day, day, now=now, practitioner=practitioner)
            if s.starts_at == starts_at
        ]
        if not open_now:
            raise WaitlistError("That time is no longer open. Please pick another.")
        if WaitlistOffer.objects.filter(entry=current, place__starts_at=starts_at).exists():
            raise WaitlistError("This person was already offered that time.")
        place = hold_place(service, open_now[0], now=now, by=by)
        offer = WaitlistOffer.objects.create(place=place, entry=current, created_at=now)
        record_action(
            action=AuditAction.WAITLIST_OFFERED_BY_HAND,
            actor=by,
            subject=current.patient,
            detail={"offer": offer.pk, "starts_at": starts_at.isoformat()},
        )
        offer_email_put(offer)
    return offer
