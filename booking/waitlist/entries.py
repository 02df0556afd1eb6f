"""Joining and leaving the waiting list."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from booking.models import Practitioner, Service
from booking.waitlist.errors import WaitlistError
from booking.waitlist.lapses import end_entry
from booking.waitlist.offers import queue_offer_check
from booking.waitlist.wishes import in_day_order
from booking.waitlist_models import EntryStatus, WaitlistEntry
from portal.audit import record_action
from portal.models import AuditAction, User

# How long a patient may stay on the list before asking again, in weeks (the join form's
# choices); a wish from months ago is rarely still true, and offers to it waste held places.
WAITING_WEEKS = (2, 4, 8, 12)
DEFAULT_WAITING_WEEKS = 8


def waitlist_join(
    *,
    patient: User,
    service: Service,
    weekdays: Iterable[int],
    day_parts: Iterable[str],
    practitioner: Practitioner | None = None,
    weeks: int = DEFAULT_WAITING_WEEKS,
    by: User | None = None,
    now: datetime | None = None,
) -> WaitlistEntry:
    """Put ``patient`` on the list for ``service`` for ``weeks`` from today (or change the
    wishes and end date of their entry, which keeps its place in the queue)."""
    now = now or timezone.now()
    if patient.has_left:
        # As for a visit (``booking.eligibility``): a place held for someone who cannot sign in
        # or read the offer only keeps it from the next person.
        raise WaitlistError(
            "This person's account is closed, so they cannot go on the waiting list."
        )
    days = sorted({int(d) for d in weekdays if 0 <= int(d) <= 6})
    parts = in_day_order(day_parts)
    _check_wishes(service, days, parts, practitioner)
    if weeks not in WAITING_WEEKS:
        raise WaitlistError("Please choose how long to stay on the list.")
    until = now.astimezone(service.clinic.tz).date() + timedelta(weeks=weeks)
    wishes = {"weekdays": days, "day_parts": parts, "practitioner": practitioner, "until": until}
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
        WaitlistEntry.objects.filter(pk=entry.pk).update(**wishes)
        entry.refresh_from_db()
    queue_offer_check(service.pk)
    return entry


def _check_wishes(
    service: Service, days: list[int], parts: list[str], practitioner: Practitioner | None
) -> None:
    if not days:
        raise WaitlistError("Please choose at least one day.")
    if not parts:
        raise WaitlistError("Please choose at least one time of day.")
    if not service.is_active:
        raise WaitlistError("This service is not taking bookings.")
    if practitioner is not None and not service.practitioners.filter(pk=practitioner.pk).exists():
        raise WaitlistError(f"{practitioner} does not offer {service.name}.")


def waitlist_leave(*, entry: WaitlistEntry, by: User, now: datetime | None = None) -> bool:
    """Take ``entry`` off the list (the patient leaving or the team removing it); False if it
    had already left. An offer still out to it is withdrawn, so the place goes to the next."""
    now = now or timezone.now()
    status = EntryStatus.LEFT if by.pk == entry.patient_id else EntryStatus.REMOVED
    with transaction.atomic():
        if not end_entry(entry, status=status, now=now, by=by):
            return False
        if status == EntryStatus.REMOVED:
            record_action(
                action=AuditAction.WAITLIST_REMOVED,
                actor=by,
                subject=entry.patient,
                detail={"entry": entry.pk, "service": entry.service_id},
            )
        queue_offer_check(entry.service_id)
    return True
