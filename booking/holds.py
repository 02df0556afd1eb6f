"""Places held while a patient pays online: hold, confirm on payment, lapse, reinstate.

A held booking takes its capacity like a confirmed one (HELD is in
``ACTIVE_STATUSES``). Each state change is a conditional UPDATE on the status,
so the payment webhook (maybe delivered twice at once) and the expiry task
cannot both win.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from booking.availability import find_open_slots
from booking.eligibility import patient_clash
from booking.models import Booking, BookingStatus, PaymentMode
from booking.services import BookingRequest, booking_create, confirmation_put, lock_capacity
from booking.waitlist.offers import queue_offer_check
from portal.services import lock_patient


def booking_hold(
    asked: BookingRequest, *, price_minor: int, now: datetime | None = None
) -> Booking:
    """Hold a place (HELD, taking its capacity) for the clinic's payment time, to be paid online.

    Same locking and refusals as ``booking_create``; the booking becomes CONFIRMED only through
    ``booking_confirm_held`` and lapses through ``booking_expire_hold``.
    """
    return booking_create(
        asked,
        now=now,
        price_minor=price_minor,
        payment_mode=PaymentMode.ONLINE,
        hold_for=timedelta(minutes=asked.service.clinic.payment_hold_minutes),
    )


def booking_confirm_held(*, booking_id: int) -> bool:
    """Confirm a held place once its payment arrived; False if it is no longer held.

    The status in the WHERE clause decides the race between the payment webhook (maybe
    delivered twice at once) and the hold expiring: exactly one of them changes the row.
    """
    with transaction.atomic():
        changed = Booking.objects.filter(pk=booking_id, status=BookingStatus.HELD).update(
            status=BookingStatus.CONFIRMED, hold_expires_at=None
        )
        if changed:
            confirmation_put(Booking.objects.get(pk=booking_id))
    return bool(changed)


def booking_expire_hold(*, booking_id: int, now: datetime | None = None) -> bool:
    """Release a held place whose payment time has run out; False if it was paid or changed."""
    now = now or timezone.now()
    changed = Booking.objects.filter(
        pk=booking_id, status=BookingStatus.HELD, hold_expires_at__lte=now
    ).update(status=BookingStatus.EXPIRED, cancelled_at=now)
    if changed:
        service_id = Booking.objects.filter(pk=booking_id).values_list("service_id", flat=True)
        queue_offer_check(service_id.first())
    return bool(changed)


def booking_reinstate_expired(*, booking_id: int, now: datetime | None = None) -> bool:
    """Confirm a lapsed hold whose payment arrived late, if its place is still free.

    Runs the same serialisation as a new booking (patient, then practitioners and rooms
    locked) so the late payer cannot take a place someone booked after the hold lapsed.
    """
    now = now or timezone.now()
    booking = (
        Booking.objects.select_related("service__clinic", "practitioner")
        .filter(pk=booking_id, status=BookingStatus.EXPIRED)
        .first()
    )
    if booking is None or booking.starts_at <= now:
        return False
    service = booking.service
    with transaction.atomic():
        lock_patient(booking.patient_id)
        lock_capacity(service, booking.practitioner)
        day = booking.starts_at.astimezone(service.clinic.tz).date()
        still_open = any(
            s.starts_at == booking.starts_at
            and s.practitioner_id == booking.practitioner_id
            and s.room_id == booking.room_id
            for s in find_open_slots(service, day, day, now=now, practitioner=booking.practitioner)
        )
        # The patient may have booked something else at that time since the hold lapsed.
        if not still_open or patient_clash(
            patient_id=booking.patient_id,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            excluding=booking.pk,
        ):
            return False
        changed = Booking.objects.filter(pk=booking_id, status=BookingStatus.EXPIRED).update(
            status=BookingStatus.CONFIRMED, hold_expires_at=None, cancelled_at=None
        )
        if changed:
            confirmation_put(booking)
    return bool(changed)
