"""The team's waiting-list page: per service, the waiting entries in the order places are
offered (each with its live offer and the open times that could be offered by hand), and the
places in flight."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from booking.availability import Slot
from booking.models import Service
from booking.waitlist.places import open_starts
from booking.waitlist.wishes import wishes_text
from booking.waitlist_models import (
    HOLDING_STATUSES,
    LIVE_OFFER_STATUSES,
    EntryStatus,
    WaitlistEntry,
    WaitlistOffer,
    WaitlistPlace,
)
from portal.models import User
from portal.policy import waitlist_entries_for

TIMES_OFFERED_BY_HAND = 30


@dataclass
class WaitingRow:
    """One waiting entry; ``times`` are (value, label) choices of open times to offer it."""

    entry: WaitlistEntry
    wishes: str
    offer: WaitlistOffer | None
    times: list[tuple[str, str]]
    form: Any = None  # the page's offer-by-hand form for ``times``, added by the view


@dataclass
class ServiceGroup:
    service: Service
    rows: list[WaitingRow] = field(default_factory=list)
    places: list[WaitlistPlace] = field(default_factory=list)


def waitlist_board(user: User, *, now: datetime) -> list[ServiceGroup]:
    """Every entry ``user`` may manage per service in queue order, then services with only
    places in flight; each group with its held places, earliest first."""
    entries = list(
        waitlist_entries_for(user)
        .filter(status=EntryStatus.WAITING)
        .select_related("patient", "service__clinic", "practitioner")
        .order_by("service__position", "service__name", "joined_at", "pk")
    )
    live = {
        o.entry_id: o
        for o in WaitlistOffer.objects.filter(
            entry__in=entries, status__in=LIVE_OFFER_STATUSES
        ).select_related("place")
    }
    per_service: dict[int, list[WaitlistEntry]] = {}
    for entry in entries:
        per_service.setdefault(entry.service_id, []).append(entry)
    groups: dict[int, ServiceGroup] = {}
    for service_id, waiting in per_service.items():
        service = waiting[0].service
        # Once per service, not per entry: the open times and who they are with.
        slots = open_starts(service, now)
        names = practitioner_names(service)
        rows = [
            WaitingRow(e, wishes_text(e), live.get(e.pk), time_choices(slots, e, names))
            for e in waiting
        ]
        groups[service_id] = ServiceGroup(service, rows)
    places = (
        WaitlistPlace.objects.filter(clinic=user.clinic, status__in=HOLDING_STATUSES)
        .select_related("service", "practitioner")
        .prefetch_related("offers__entry__patient")
        .order_by("starts_at")
    )
    for place in places:
        groups.setdefault(place.service_id, ServiceGroup(place.service)).places.append(place)
    return list(groups.values())


def offerable_times(entry: WaitlistEntry, now: datetime) -> list[tuple[str, str]]:
    """The open times the team may offer ``entry`` by hand, as (value, label) choices."""
    service = entry.service
    return time_choices(open_starts(service, now), entry, practitioner_names(service))


def time_choices(
    slots: list[Slot], entry: WaitlistEntry, names: dict[int, str]
) -> list[tuple[str, str]]:
    """The first of ``slots`` with the entry's practitioner (any if none), as choices whose
    value ``chosen_time`` reads back."""
    tz = entry.service.clinic.tz
    return [
        (
            f"{s.starts_at.isoformat()}|{s.practitioner_id}",
            f"{s.starts_at.astimezone(tz):%a %-d %b, %H:%M} · {names.get(s.practitioner_id, '')}",
        )
        for s in slots
        if entry.practitioner_id is None or s.practitioner_id == entry.practitioner_id
    ][:TIMES_OFFERED_BY_HAND]


def chosen_time(value: str) -> tuple[datetime, int]:
    """The start and practitioner id of a choice made by ``time_choices``."""
    start_text, practitioner_id = value.split("|")
    return datetime.fromisoformat(start_text), int(practitioner_id)


def practitioner_names(service: Service) -> dict[int, str]:
    """The service's practitioners' names by id."""
    return {p.pk: p.display_name for p in service.practitioners.all()}
