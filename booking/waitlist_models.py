"""The waiting list's tables: who waits for which days, the freed places held for them, offers.

Imported at the end of ``booking.models`` so Django registers them with the booking app. A
place held for the waiting list (``WaitlistPlace`` while open or claimed) takes its capacity
like a booking does (``booking.availability.with_bookings`` counts it), so nobody else can
book it while the offers are out.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

from booking.cache_version import AvailabilityQuerySet
from booking.models import Booking, Practitioner, Room, Service
from portal.models import Clinic


class DayPart(models.TextChoices):
    MORNING = "morning", "Mornings (before 12:00)"
    AFTERNOON = "afternoon", "Afternoons (12:00 to 17:00)"
    EVENING = "evening", "Evenings (from 17:00)"


class EntryStatus(models.TextChoices):
    WAITING = "waiting", "Waiting"
    BOOKED = "booked", "Booked from the list"
    LEFT = "left", "Left the list"
    REMOVED = "removed", "Removed by the clinic"
    ENDED = "ended", "Ended on the date the patient chose"


class WaitlistEntry(models.Model):
    """A patient waiting for a place of ``service`` on some weekdays and parts of the day."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries"
    )
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="waitlist")
    # Null: whoever is free.
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    weekdays: Any = models.JSONField(default=list, help_text="Weekday numbers, Monday = 0.")
    day_parts: Any = models.JSONField(default=list, help_text="DayPart values.")
    status = models.CharField(
        max_length=10, choices=EntryStatus.choices, default=EntryStatus.WAITING
    )
    joined_at = models.DateTimeField()
    # The last clinic date the patient wants places for (chosen when joining, 2-12 weeks
    # ahead): no offer for a later start, and the entry ends once it has passed. Null only
    # for entries from before end dates.
    until = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Who ended it (the patient leaving, or the team member who removed it).
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar = ["joined_at", "pk"]
        verbose_name_plural = "waiting list entries"
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["patient", "service"],
                condition=Q(status="waiting"),
                name="waitlist_one_entry_per_service",
            ),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["service", "joined_at"],
                condition=Q(status="waiting"),
                name="waitlist_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient} waiting for {self.service}"


class PlaceStatus(models.TextChoices):
    OPEN = "open", "Offered, nobody has confirmed yet"
    CLAIMED = "claimed", "Confirmed, choosing the amount"
    TAKEN = "taken", "Booked"
    EXPIRED = "expired", "Nobody confirmed in time"
    WITHDRAWN = "withdrawn", "Withdrawn by the clinic"


# A place in these states is held: it takes its capacity from everyone else.
HOLDING_STATUSES = (PlaceStatus.OPEN, PlaceStatus.CLAIMED)


class PlaceQuerySet(AvailabilityQuerySet["WaitlistPlace"]):
    in_diary = False
    watched = frozenset({"status", "expires_at"})


class WaitlistPlace(models.Model):
    """One freed start (a recliner at a multibed start, or a private time) held for offers."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="+")
    room = models.ForeignKey(
        Room, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    blocked_from = models.DateTimeField()
    blocked_until = models.DateTimeField()
    status = models.CharField(max_length=10, choices=PlaceStatus.choices, default=PlaceStatus.OPEN)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField()
    # Null: offered by the waiting list itself; otherwise the team member who offered it.
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    booking = models.ForeignKey(
        Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PlaceQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["starts_at", "pk"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="waitlist_place_ends_after"
            ),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status__in=["open", "claimed"]),
                name="waitlist_place_holding",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_holding(self) -> bool:
        return self.status in HOLDING_STATUSES


class OfferStatus(models.TextChoices):
    SENT = "sent", "Offered"
    CLAIMED = "claimed", "Confirmed, choosing the amount"
    BOOKED = "booked", "Booked"
    GONE = "gone", "Someone else took it"
    EXPIRED = "expired", "Not answered in time"
    WITHDRAWN = "withdrawn", "Withdrawn"


LIVE_OFFER_STATUSES = (OfferStatus.SENT, OfferStatus.CLAIMED)


class WaitlistOffer(models.Model):
    """A place offered to one entry; its signed link is ``booking.waitlist.links.offer_url``."""

    place = models.ForeignKey(WaitlistPlace, on_delete=models.CASCADE, related_name="offers")
    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    status = models.CharField(max_length=10, choices=OfferStatus.choices, default=OfferStatus.SENT)
    created_at = models.DateTimeField()
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["created_at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["place", "entry"], name="waitlist_offer_once"),
            # Nobody is sent a second place while they can still answer the first.
            models.UniqueConstraint(
                fields=["entry"],
                condition=Q(status__in=["sent", "claimed"]),
                name="waitlist_one_live_offer_per_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"Offer of {self.place} to {self.entry.patient}"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_OFFER_STATUSES
