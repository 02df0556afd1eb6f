"""Making, cancelling and moving bookings: the one way each is done.

Every caller (patient pages, staff booking for a caller, payments and the
practitioner calendar) goes through these functions, so the capacity and
policy rules are checked in one place, inside a transaction. Places held for
an online payment are in ``booking.holds``; what happened at a visit is in
``booking.attendance``.

Concurrency: whether a time is open depends on several tables (hours, time
off, shifts, other bookings with their buffers, the room's occupancy), so no
single constraint can express it. Writers are serialised instead: each
transaction locks the patient, then the practitioners, then the rooms it may
take, always in that order and by id so two writers never deadlock, and
re-computes availability under the lock. PostgreSQL does this with row locks;
SQLite (the demo) takes its single write lock at BEGIN (IMMEDIATE mode).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.availability import Policy, Slot, find_open_slots, load_schedule, open_slots
from booking.eligibility import (
    check_booking_window,
    check_eligibility,
    check_patient_free,
)
from booking.errors import ChangeNotAllowed, NotEligible, SlotUnavailable
from booking.ics import calendar_uid
from booking.models import (
    CHANGEABLE_STATUSES,
    Booking,
    BookingStatus,
    PaymentMode,
    Practitioner,
    Room,
    Service,
)
from booking.waitlist.claims import place_booked, take_claimed_place
from booking.waitlist.offers import queue_offer_check
from portal.messaging import MessageKind, outbox_put
from portal.models import Clinic, User
from portal.services import lock_patient


@dataclass(frozen=True)
class BookingRequest:
    """What is asked for: ``service`` at ``starts_at`` for ``patient``, with ``practitioner``
    (any who offers it if None), by ``booked_by`` (the patient themself if None).

    ``request_key`` is the form's one-time key: a double submit finds the first booking.
    """

    patient: User
    service: Service
    starts_at: datetime
    practitioner: Practitioner | None = None
    booked_by: User | None = None
    request_key: str | None = None

    @property
    def booker(self) -> User:
        return self.booked_by or self.patient

    @property
    def by_patient(self) -> bool:
        return self.booker.pk == self.patient.pk


@dataclass(frozen=True)
class _Terms:
    # What was agreed besides the place: the amount (the service's price if None), how it
    # is paid, until when an unpaid place is held, and the visit a move replaces.
    price_minor: int | None = None
    payment_mode: str = PaymentMode.AT_CLINIC
    hold_until: datetime | None = None
    replacing: Booking | None = None


def change_online_until(clinic: Clinic, starts_at: datetime) -> datetime:
    """The last moment the patient may cancel or move a visit at ``starts_at`` themselves."""
    return starts_at - timedelta(hours=clinic.cancellation_cutoff_hours)


def can_change_online(booking: Booking, now: datetime | None = None) -> bool:
    """Whether the patient may still cancel or move this visit themselves."""
    now = now or timezone.now()
    return booking.is_changeable and now <= change_online_until(booking.clinic, booking.starts_at)


def nearest_alternatives(
    service: Service,
    around: datetime,
    *,
    practitioner: Practitioner | None,
    now: datetime,
    limit: int = 6,
) -> list[Slot]:
    """The next open times from the requested day on, for a friendly 'just taken' message."""
    tz = service.clinic.tz
    policy = Policy.for_clinic(service.clinic)
    # Never search past the horizon (nothing is open there, and a tampered far-future time
    # would overflow the date arithmetic).
    around = min(around, now + policy.horizon)
    first = max(around, now).astimezone(tz).date()
    slots = find_open_slots(
        service, first, first + timedelta(days=7), now=now, practitioner=practitioner
    )
    later = [s for s in slots if s.starts_at >= around] or slots
    return later[:limit]


def lock_capacity(service: Service, practitioner: Practitioner | None) -> list[int]:
    """Lock the practitioners (and rooms) whose time this booking could take, in id order,
    one query each; returns the locked practitioners' ids (empty if ``practitioner`` does
    not offer ``service``)."""
    practitioners = Practitioner.objects.bookable().filter(services=service)
    if practitioner is not None:
        practitioners = practitioners.filter(pk=practitioner.pk)
    # ``of``: lock the practitioners, not the service links they were found through.
    ids = list(
        practitioners.select_for_update(of=("self",)).order_by("pk").values_list("pk", flat=True)
    )
    if service.is_multibed:
        rooms = Room.objects.filter(pk__in=service.shifts.values("room_id"))
        list(rooms.select_for_update().order_by("pk").values_list("pk"))
    return ids


def _open_slot(asked: BookingRequest, now: datetime, offering: list[int]) -> Slot:
    """The open time asked for, re-computed under the caller's locks on ``offering``."""
    service = asked.service
    day = asked.starts_at.astimezone(service.clinic.tz).date()
    schedule = load_schedule(service, day, day, offering=offering)
    for slot in open_slots(schedule, day, day, now=now, policy=Policy.for_clinic(service.clinic)):
        if slot.starts_at == asked.starts_at:
            return slot
    raise SlotUnavailable("Sorry, that time has just been taken or is no longer open.")


def _new_booking(asked: BookingRequest, slot: Slot, terms: _Terms) -> Booking:
    """The unsaved row for ``slot``; a move keeps the old visit's calendar identity."""
    service = asked.service
    before = timedelta() if service.is_multibed else service.buffer_before
    after = timedelta() if service.is_multibed else service.buffer_after
    booking = Booking(
        clinic=service.clinic,
        patient=asked.patient,
        service=service,
        kind=service.kind,
        practitioner_id=slot.practitioner_id,
        room_id=slot.room_id,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        blocked_from=slot.starts_at - before,
        blocked_until=slot.ends_at + after,
        price_minor=service.price_minor if terms.price_minor is None else terms.price_minor,
        currency=service.clinic.currency,
        payment_mode=terms.payment_mode,
        status=BookingStatus.HELD if terms.hold_until else BookingStatus.CONFIRMED,
        hold_expires_at=terms.hold_until,
        booked_by=asked.booker,
        rescheduled_from=terms.replacing,
        # A move keeps who made the visit (the care relationship asks it, not the mover).
        made_by_id=(
            (terms.replacing.made_by_id or terms.replacing.booked_by_id)
            if terms.replacing is not None
            else asked.booker.pk
        ),
    )
    if terms.replacing is not None:
        # One visit that moved: the patient's calendar updates the event it already has.
        booking.calendar_uid = calendar_uid(terms.replacing)
        booking.calendar_sequence = terms.replacing.calendar_sequence + 1
    if asked.request_key:
        booking.request_key = uuid.UUID(asked.request_key)
    return booking


def _place(asked: BookingRequest, *, now: datetime, terms: _Terms) -> Booking:
    """Take the place inside the caller's transaction (locks already held for the patient)."""
    patient, service, practitioner = asked.patient, asked.service, asked.practitioner
    check_booking_window(service, asked.starts_at, now)
    check_eligibility(
        patient=patient,
        service=service,
        now=now,
        ignoring=terms.replacing,
        by_patient=asked.by_patient,
    )
    offering = lock_capacity(service, practitioner)
    if practitioner is not None and not offering:
        raise NotEligible(f"{practitioner} does not offer {service.name} at the moment.")
    # A place the patient claimed from the waiting list is held for them: release it first.
    claimed = take_claimed_place(
        patient=patient, service=service, starts_at=asked.starts_at, now=now
    )
    slot = _open_slot(asked, now, offering)
    check_patient_free(
        patient=patient, starts_at=slot.starts_at, ends_at=slot.ends_at, booked_by=asked.booker
    )
    booking = _new_booking(asked, slot, terms)
    try:
        # No savepoint: a refused insert ends the caller's whole transaction anyway.
        with transaction.atomic(savepoint=False):
            booking.save()
    except IntegrityError as exc:
        if "one_free_assessment_per_patient" in str(exc):
            raise NotEligible("You have already booked your free assessment.") from None
        raise
    place_booked(place_ids=claimed, booking=booking, now=now)
    return booking


def confirmation_put(booking: Booking, *, booking_is_new: bool = False) -> None:
    """Put the confirmation email in the outbox, in the caller's transaction (it commits with the
    booking, so no broker or worker outage can lose it); sent once the transaction commits."""
    outbox_put(
        kind=MessageKind.BOOKING_CONFIRMED,
        to_user=booking.patient_id,
        booking=booking.pk,
        booking_is_new=booking_is_new,
    )


def moved_put(booking: Booking) -> None:
    """Put the "moved" email for the visit's new time in the outbox, in the caller's
    transaction; its calendar file keeps the first booking's UID with a higher SEQUENCE."""
    outbox_put(kind=MessageKind.BOOKING_MOVED, to_user=booking.patient_id, booking=booking.pk)


def _earlier_booking(asked: BookingRequest) -> Booking | None:
    """The booking an earlier submit of the same form made (``request_key``), if any.

    Someone else's key (a tampered form) is refused instead of answered with their booking.
    """
    if not asked.request_key:
        return None
    earlier = Booking.objects.filter(request_key=asked.request_key).first()
    if earlier is not None and earlier.patient_id != asked.patient.pk:
        raise NotEligible("That form has expired. Please pick the time again.")
    return earlier


def _check_gates(asked: BookingRequest) -> None:
    """A patient booking for themself must pass every gate other apps registered; clinic staff
    booking for a caller see them as warnings on the page and may go ahead."""
    from booking.gates import gates_for

    if asked.by_patient and (blocking := gates_for(asked.patient, asked.service)):
        raise NotEligible(blocking[0].message)


def booking_create(
    asked: BookingRequest,
    *,
    now: datetime | None = None,
    price_minor: int | None = None,
    payment_mode: str = PaymentMode.AT_CLINIC,
    hold_for: timedelta | None = None,
) -> Booking:
    """Book what ``asked`` names; raises ``SlotUnavailable`` (with nearby alternatives) or
    ``NotEligible``, and a repeated ``request_key`` returns the booking the first submit made.

    ``price_minor`` is the amount agreed (the service's price if None); with ``hold_for``
    the place is only held (HELD, no confirmation email) until an online payment arrives.
    """
    now = now or timezone.now()
    terms = _Terms(
        price_minor=price_minor,
        payment_mode=payment_mode,
        hold_until=now + hold_for if hold_for else None,
    )
    try:
        with transaction.atomic():
            lock_patient(asked.patient.pk)
            # Under the patient's lock, a double submit waits for the first to commit, then is
            # answered with what it made, even if a gate closed in between: that booking
            # exists, and an error page would say it does not.
            if earlier := _earlier_booking(asked):
                return earlier
            _check_gates(asked)
            booking = _place(asked, now=now, terms=terms)
            if not hold_for:
                confirmation_put(booking, booking_is_new=True)
    except SlotUnavailable as exc:
        exc.alternatives = nearest_alternatives(
            asked.service, asked.starts_at, practitioner=asked.practitioner, now=now
        )
        raise
    except IntegrityError:
        # Only the request key is left to collide: the same form was submitted twice at once.
        if earlier := _earlier_booking(asked):
            return earlier
        raise
    return booking


def booking_cancel(
    *, booking: Booking, by: User, note: str = "", now: datetime | None = None
) -> Booking:
    """Cancel a visit; patients only until the clinic's cutoff, the clinic team at any time.

    ``note`` is a message from the clinic, kept on the booking and printed in the
    cancellation email.
    """
    now = now or timezone.now()
    by_patient = by.pk == booking.patient_id
    # An inactive visit gets "already cancelled or moved" below, not the cutoff message.
    if by_patient and booking.is_changeable and not can_change_online(booking, now):
        raise ChangeNotAllowed(_too_late_message(booking))
    with transaction.atomic():
        # The patient first, as every writer of their visits does (a move locks the patient,
        # then the visit): the cancellation email's row references the patient, so taking the
        # visit first would deadlock against a move of the same visit.
        lock_patient(booking.patient_id)
        # The status in the WHERE clause makes a double click cancel once.
        changed = Booking.objects.filter(pk=booking.pk, status__in=CHANGEABLE_STATUSES).update(
            status=BookingStatus.CANCELLED, cancelled_at=now, cancellation_note=note[:1000]
        )
        if not changed:
            raise ChangeNotAllowed("This visit was already cancelled or moved.")
        booking.refresh_from_db()
        outbox_put(
            kind=MessageKind.BOOKING_CANCELLED, to_user=booking.patient_id, booking=booking.pk
        )
        queue_offer_check(booking.service_id)
    return booking


def booking_reschedule(
    *,
    booking: Booking,
    starts_at: datetime,
    by: User,
    practitioner: Practitioner | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move a visit atomically: the new place is taken and the old released, or nothing changes.

    The new booking links back to the old (``rescheduled_from``), keeps its calendar UID with
    the next sequence, and the patient is emailed "Moved: ... from ... to ...".
    """
    now = now or timezone.now()
    by_patient = by.pk == booking.patient_id
    # An inactive visit gets "already cancelled or moved" below, not the cutoff message.
    if by_patient and booking.is_changeable and not can_change_online(booking, now):
        raise ChangeNotAllowed(_too_late_message(booking))
    same_practitioner = practitioner is None or practitioner.pk == booking.practitioner_id
    if starts_at == booking.starts_at and same_practitioner:
        # Nothing would change but the patient's inbox ("your visit has moved" to itself).
        raise ChangeNotAllowed("Your visit is already at that time. Please pick another time.")
    service = booking.service
    try:
        with transaction.atomic():
            lock_patient(booking.patient_id)
            old = Booking.objects.select_for_update().get(pk=booking.pk)
            if not old.is_changeable:
                raise ChangeNotAllowed("This visit was already cancelled or moved.")
            if old.status == BookingStatus.HELD:
                # A held place is not booked yet: moving it would confirm it without payment.
                raise ChangeNotAllowed(
                    "This place is waiting for payment. Please pay for it or cancel it first."
                )
            # Release the old place inside the same transaction; a failure below rolls it back.
            old.status = BookingStatus.RESCHEDULED
            old.cancelled_at = now
            old.save(update_fields=["status", "cancelled_at"])
            asked = BookingRequest(
                patient=old.patient,
                service=service,
                starts_at=starts_at,
                practitioner=practitioner,
                booked_by=by,
            )
            # The moved visit keeps what was agreed (a sliding-scale amount, paid online).
            terms = _Terms(
                price_minor=old.price_minor, payment_mode=old.payment_mode, replacing=old
            )
            new = _place(asked, now=now, terms=terms)
            moved_put(new)
            queue_offer_check(service.pk)
    except SlotUnavailable as exc:
        exc.alternatives = nearest_alternatives(
            service, starts_at, practitioner=practitioner, now=now
        )
        raise
    return new


def _too_late_message(booking: Booking) -> str:
    clinic = booking.clinic
    contact = f" on {clinic.phone}" if clinic.phone else ""
    return (
        f"Visits can be changed online until {clinic.cancellation_cutoff_hours} hours before they "
        f"start. Please call the clinic{contact} and we will help."
    )
