"""Ending an entry: the patient leaving, the team removing it, or its chosen last date passing."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from booking.waitlist_models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from portal.models import Clinic, User
from portal.services import lock_patient


def end_entry(
    entry: WaitlistEntry, *, status: EntryStatus, now: datetime, by: User | None = None
) -> bool:
    """Take ``entry`` off the list with ``status``; an offer still out to it is withdrawn, so
    the place goes to the next. False if it had already left."""
    with transaction.atomic():
        # The patient's row first, as a confirmation does: ending and confirming at once
        # queue here instead of deadlocking on the entry and the offer.
        lock_patient(entry.patient_id)
        changed = WaitlistEntry.objects.filter(pk=entry.pk, status=EntryStatus.WAITING).update(
            status=status, ended_at=now, ended_by=by
        )
        if changed:
            WaitlistOffer.objects.filter(entry=entry, status=OfferStatus.SENT).update(
                status=OfferStatus.WITHDRAWN, answered_at=now
            )
    return bool(changed)


def end_lapsed_entries(*, now: datetime | None = None) -> int:
    """End every waiting entry whose chosen last date (in the clinic's zone) has passed; returns
    how many."""
    now = now or timezone.now()
    today = now.astimezone(Clinic.objects.current().tz).date()
    lapsed = WaitlistEntry.objects.filter(status=EntryStatus.WAITING, until__lt=today)
    return sum(end_entry(entry, status=EntryStatus.ENDED, now=now) for entry in lapsed)
