"""Entries whose chosen last date has passed: they end, and get no more offers."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from booking.waitlist_models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from portal.models import User


def end_lapsed_entries(*, now: datetime | None = None) -> int:
    """End every waiting entry whose chosen last date has passed (in its clinic's zone); an
    offer still out to one is withdrawn, as when the patient leaves. Returns how many."""
    now = now or timezone.now()
    ended = 0
    for entry in WaitlistEntry.objects.filter(
        status=EntryStatus.WAITING, until__isnull=False
    ).select_related("clinic"):
        if entry.until is not None and entry.until < _today(entry, now):
            ended += _end(entry, now)
    return ended


def _today(entry: WaitlistEntry, now: datetime) -> date:
    return now.astimezone(entry.clinic.tz).date()


def _end(entry: WaitlistEntry, now: datetime) -> int:
    with transaction.atomic():
        User.objects.select_for_update().filter(pk=entry.patient_id).first()
        changed = WaitlistEntry.objects.filter(pk=entry.pk, status=EntryStatus.WAITING).update(
            status=EntryStatus.ENDED, ended_at=now
        )
        if changed:
            WaitlistOffer.objects.filter(entry=entry, status=OfferStatus.SENT).update(
                status=OfferStatus.WITHDRAWN, answered_at=now
            )
    return changed
