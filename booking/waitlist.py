"""The waiting list: joining and leaving, offering freed places, and confirming an offer.

When capacity frees (a cancellation, a move, a lapsed hold, new hours or a shift),
``offer_free_places`` finds the open starts that match waiting people's wishes and holds each
as a ``WaitlistPlace`` for ``Clinic.waitlist_hold_minutes``, offered to the first
``Clinic.waitlist_offers_per_place`` matching entries in order of joining. A held place takes
its capacity from everyone else (``availability.with_bookings`` counts it). The first to
confirm claims it (``offer_claim``: the place's row lock decides, the others are told it has
gone); the booking itself is made by ``booking.services.booking_create``, which releases the
patient's claimed place under its usual locks, so every rule (gates, eligibility, capacity,
the amount and payment) still applies. A place nobody confirmed in time lapses and the scan
offers it to the next people. The scan is idempotent: run it on demand and from beat.

Offer emails are outbox rows (``portal.messaging.outbox_put``) written in the transaction
that holds the place.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from booking.availability import Slot, find_open_slots
from booking.models import (
    Booking,
    PaymentMode,
    Practitioner,
    PriceRule,
    Service,
)
from booking.waitlist_models import (
    HOLDING_STATUSES,
    LIVE_OFFER_STATUSES,
    DayPart,
    EntryStatus,
    OfferStatus,
    PlaceStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistPlace,
)
from portal.audit import record_action
from portal.messaging import MessageKind, outbox_put
from portal.models import AuditAction, User

OFFER_SALT = "booking.waitlist.offer"
# The link outlives any hold a clinic can set; the row's state says whether it still counts.
OFFER_LINK_MAX_AGE = timedelta(days=3)
AFTERNOON_FROM = time(12)
EVENING_FROM = time(17)


class WaitlistError(Exception):
    """A waiting-list request that cannot be met, with a message fit to show the person."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class PlaceGone(WaitlistError):
    """Someone else confirmed first, or the hold ran out: the entry stays on the list."""

    def __init__(self) -> None:
        super().__init__(
            "Sorry, this place has gone: someone else confirmed it first or the time to "
            "confirm ran out. You are still on the waiting list and we will email you when "
            "another place frees."
        )


# Wishes ------------------------------------------------------------------------------------


def day_part(at: time) -> DayPart:
    if at < AFTERNOON_FROM:
        return DayPart.MORNING
    if at < EVENING_FROM:
        return DayPart.AFTERNOON
    return DayPart.EVENING


def wishes_text(entry: WaitlistEntry) -> str:
    """ "Tuesday or Thursday, mornings" for pages and emails."""
    days = [_DAY_NAMES[d] for d in sorted(entry.weekdays)]
    parts = [DayPart(p).label.split(" (")[0].lower() for p in _in_order(entry.day_parts)]
    return f"{_or(days)}, {_or(parts)}"


_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def _in_order(parts: Iterable[str]) -> list[str]:
    wanted = set(parts)
    return [p for p in DayPart.values if p in wanted]


def _or(words: Sequence[str]) -> str:
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} or {words[-1]}"


def matches(entry: WaitlistEntry, slot: Slot, tz: ZoneInfo) -> bool:
    """Whether ``slot`` is a time ``entry`` asked for."""
    local = slot.starts_at.astimezone(tz)
    if entry.practitioner_id is not None and entry.practitioner_id != slot.practitioner_id:
        return False
    return local.weekday() in entry.weekdays and day_part(local.time()) in entry.day_parts


def needs_checkout(service: Service) -> bool:
    """A booking of ``service`` needs an amount chosen or an online payment (the confirm page's
    rule, ``booking.views._needs_checkout``): then a claimed place is booked from there."""
    mode = service.payment_mode or service.clinic.default_payment_mode
    return service.price_rule == PriceRule.SLIDING or (
        mode == PaymentMode.ONLINE and service.price_minor > 0
    )


# Joining and leaving -----------------------------------------------------------------------


def waitlist_join(
    *,
    patient: User,
    service: Service,
    weekdays: Iterable[int],
    day_parts: Iterable[str],
    practitioner: Practitioner | None = None,
    by: User | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put ``patient`` on the list for ``service`` (or change the wishes of their entry, which
    keeps its place in the queue)."""
    now = now or timezone.now()
    days = sorted({int(d) for d in weekdays if 0 <= int(d) <= 6})
    parts = _in_order(p for p in day_parts if p in DayPart.values)
    if not days:
        raise WaitlistError("Please choose at least one day.")
    if not parts:
        raise WaitlistError("Please choose at least one time of day.")
    if not service.is_active:
        raise WaitlistError("This service is not taking bookings.")
    if practitioner is not None and not service.practitioners.filter(pk=practitioner.pk).exists():
        raise WaitlistError(f"{practitioner} does not offer {service.name}.")
    wishes = {"weekdays": days, "day_parts": parts, "practitioner": practitioner}
    try:
        with transaction.atomic():
            entry, _ = WaitlistEntry.objects.select_for_update().update_or_create(
                patient=patient,
                service=service,
                status=EntryStatus.WAITING,
                defaults=wishes,
                create_defaults={
                    **wishes,
                    "clinic": service.clinic,
                    "joined_at": now,
                    "added_by": by or patient,
                },
            )
    except IntegrityError:
        # The same form posted twice at once: the first made the entry, update it.
        entry = WaitlistEntry.objects.get(
            patient=patient, service=service, status=EntryStatus.WAITING
        )
        WaitlistEntry.objects.filter(pk=entry.pk).update(
            weekdays=days, day_parts=parts, practitioner=practitioner
        )
        entry.refresh_from_db()
    queue_offer_check(service.pk)
    return entry


def waitlist_leave(*, entry: WaitlistEntry, by: User, now: datetime | None = None) -> bool:
    """Take ``entry`` off the list (the patient leaving or the team removing it); False if it
    had already left. An offer still out to it is withdrawn, so the place goes to the next."""
    now = now or timezone.now()
    status = EntryStatus.LEFT if by.pk == entry.patient_id else EntryStatus.REMOVED
    with transaction.atomic():
        # The patient's row first, as a confirmation does: leaving and confirming at once
        # queue here instead of deadlocking on the entry and the offer.
        User.objects.select_for_update().filter(pk=entry.patient_id).first()
        changed = WaitlistEntry.objects.filter(pk=entry.pk, status=EntryStatus.WAITING).update(
            status=status, ended_at=now, ended_by=by
        )
        if changed:
            WaitlistOffer.objects.filter(entry=entry, status=OfferStatus.SENT).update(
                status=OfferStatus.WITHDRAWN, answered_at=now
            )
            if status == EntryStatus.REMOVED:
                record_action(
                    action=AuditAction.WAITLIST_REMOVED,
                    actor=by,
                    subject=entry.patient,
                    detail={"entry": entry.pk, "service": entry.service_id},
                )
            queue_offer_check(entry.service_id)
    return bool(changed)


# Offering freed places ---------------------------------------------------------------------


def queue_offer_check(service_id: int | None = None) -> None:
    """Look for places to offer once the current transaction commits (capacity may have freed)."""
    from booking.tasks import offer_waitlist_places

    transaction.on_commit(lambda: offer_waitlist_places.delay(service_id))


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


def _release_unanswerable(service: Service, now: datetime) -> None:
    """An open place whose every offer was withdrawn (they left the list) goes to the next."""
    WaitlistPlace.objects.filter(service=service, status=PlaceStatus.OPEN).exclude(
        offers__status__in=LIVE_OFFER_STATUSES
    ).update(status=PlaceStatus.WITHDRAWN)


def offer_free_places(*, service_id: int | None = None, now: datetime | None = None) -> list[int]:
    """Hold and offer every open start that someone waiting asked for; the new offers' ids.

    Idempotent: a start already held is not open any more, a person with a live offer gets no
    second one, and nobody is offered the same start twice. Each service runs under the same
    practitioner and room locks as a booking, so two scans (or a scan and a booking) never
    hold the same recliner twice.
    """
    now = now or timezone.now()
    expire_places(now=now)
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


def _open_starts(service: Service, now: datetime) -> list[Slot]:
    clinic = service.clinic
    first = now.astimezone(clinic.tz).date()
    last = (now + timedelta(days=clinic.booking_horizon_days)).astimezone(clinic.tz).date()
    return find_open_slots(service, first, last, now=now)


def _offer_service(service: Service, now: datetime) -> list[int]:
    from booking.services import lock_capacity

    clinic = service.clinic
    tz = clinic.tz
    _release_unanswerable(service, now)
    # A look without the booking locks first: most minutes nothing matches, and then nobody
    # booking waits for the scan.
    entries, already = _waiting(service)
    if not any(_takers(s, entries, already, tz) for s in _open_starts(service, now)):
        return []
    with transaction.atomic():
        lock_capacity(service, None)
        entries, already = _waiting(service)
        busy: set[int] = set()
        created: list[WaitlistOffer] = []
        # One place per start and scan: a second recliner at the same start is offered by
        # the next scan, once the first hold is counted (the start's arrival limit included).
        for slot in _open_starts(service, now):
            chosen = [e for e in _takers(slot, entries, already, tz) if e.pk not in busy][
                : clinic.waitlist_offers_per_place
            ]
            if not chosen:
                continue
            place = _hold(service, slot, now=now, by=None)
            for entry in chosen:
                busy.add(entry.pk)
                created.append(
                    WaitlistOffer.objects.create(place=place, entry=entry, created_at=now)
                )
        for offer in created:
            _offer_put(offer)
        ids = [offer.pk for offer in created]
    return ids


def _hold(service: Service, slot: Slot, *, now: datetime, by: User | None) -> WaitlistPlace:
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


def _offer_put(offer: WaitlistOffer) -> None:
    """Put the offer's email in the outbox, in the transaction that holds the place: the
    email and the hold commit together (the outbox's key is the offer)."""
    outbox_put(
        kind=MessageKind.WAITLIST_OFFER,
        to_user=offer.entry.patient_id,
        dedupe_key=f"offer:{offer.pk}",
    )


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
        place = _hold(service, open_now[0], now=now, by=by)
        offer = WaitlistOffer.objects.create(place=place, entry=current, created_at=now)
        record_action(
            action=AuditAction.WAITLIST_OFFERED_BY_HAND,
            actor=by,
            subject=current.patient,
            detail={"offer": offer.pk, "starts_at": starts_at.isoformat()},
        )
        _offer_put(offer)
    return offer


# Confirming --------------------------------------------------------------------------------


def offer_token(offer: WaitlistOffer) -> str:
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
        User.objects.select_for_update().filter(pk=patient.pk).first()
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
        place.status = PlaceStatus.CLAIMED
        place.save(update_fields=["status"])
        WaitlistOffer.objects.filter(pk=current.pk).update(
            status=OfferStatus.CLAIMED, answered_at=now
        )
        WaitlistOffer.objects.filter(place=place, status=OfferStatus.SENT).exclude(
            pk=current.pk
        ).update(status=OfferStatus.GONE, answered_at=now)
        booking = None
        if not needs_checkout(service):
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


def take_claimed_place(
    *, patient: User, service: Service, starts_at: datetime, now: datetime
) -> list[int]:
    """Inside ``booking_create``'s transaction: release the place the patient claimed for this
    start, so the capacity check that follows can give it to them. Returns the places' ids."""
    ids = list(
        WaitlistPlace.objects.filter(
            service=service,
            starts_at=starts_at,
            status=PlaceStatus.CLAIMED,
            expires_at__gt=now,
            offers__status=OfferStatus.CLAIMED,
            offers__entry__patient=patient,
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
