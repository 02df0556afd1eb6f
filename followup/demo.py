"""Demo follow-up data: past visits with check-ins answered, so the practitioner dashboard shows
alerts and flags, and a visit that ended two days ago, so the running worker sends its check-in
within a minute of `make run` starting. Idempotent: each demo visit has a fixed request key."""

from __future__ import annotations

import contextlib
import uuid
from datetime import datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from booking.models import Booking, BookingStatus, Practitioner, Service
from followup.models import CheckInStage
from followup.services import AlreadyAnswered, checkin_submit
from portal.models import Clinic, User

NAMESPACE = uuid.UUID("7c1f6a52-3f0e-4a55-9a53-0d7c2f1e9b11")

# (patient email, days ago, attended?, the check-in answers or None)
VISITS: list[tuple[str, int, bool, dict[str, Any] | None]] = [
    # Alex (Modic type 1, on tramadol): sorer after the first two treatments.
    (
        "alex@patient.example",
        15,
        True,
        {
            "comparison": "worse",
            "pain_now": 7,
            "reactions": ["headache", "aching"],
            "note": "Headache the next day and aching all over, like last time elsewhere.",
        },
    ),
    (
        "alex@patient.example",
        8,
        True,
        {
            "comparison": "worse",
            "pain_now": 6,
            "needle_site_soreness": True,
            "note": "Sore where the needles went in, less headache.",
        },
    ),
    # Tom (re-herniated L5): worse, and would like a call.
    (
        "tom@patient.example",
        3,
        True,
        {
            "comparison": "much_worse",
            "pain_now": 8,
            "wants_call": True,
            "note": "Nerve pain down the left leg is sharper.",
        },
    ),
    # Priya: treated two days ago, not answered yet; attendance not marked.
    ("priya@patient.example", 2, False, None),
]


def visit_key(index: int) -> uuid.UUID:
    """The fixed request key of the demo's ``index``-th visit in VISITS."""
    return uuid.uuid5(NAMESPACE, f"{VISITS[index][0]}-{index}")


PRIYA_UNANSWERED = 3  # her visit's index in VISITS


def _visit_time(clinic: Clinic, days_ago: int) -> datetime:
    day = (timezone.now() - timedelta(days=days_ago)).astimezone(clinic.tz).date()
    return datetime.combine(day, time(10), tzinfo=clinic.tz)


def _answers(given: dict[str, Any]) -> dict[str, Any]:
    return {
        "needle_site_soreness": False,
        "bruising": False,
        "reactions": [],
        "red_flags": [],
        "note": "",
        "wants_call": False,
        **given,
    }


@transaction.atomic
def seed_followup(clinic: Clinic) -> None:
    """Create the demo's past visits and answered check-ins once."""
    service = Service.objects.filter(clinic=clinic, slug="follow-up").first()
    mei = Practitioner.objects.filter(clinic=clinic, user__email="mei@clinic.example").first()
    if service is None or mei is None:
        return
    for n, (email, days_ago, attended, answers) in enumerate(VISITS):
        patient = User.objects.filter(email=email).first()
        if patient is None:
            continue
        key = visit_key(n)
        starts = _visit_time(clinic, days_ago)
        visit, _ = Booking.objects.get_or_create(
            request_key=key,
            defaults={
                "clinic": clinic,
                "patient": patient,
                "service": service,
                "kind": service.kind,
                "practitioner": mei,
                "starts_at": starts,
                "ends_at": starts + service.duration,
                "blocked_from": starts,
                "blocked_until": starts + service.duration + service.buffer_after,
                "status": BookingStatus.ATTENDED if attended else BookingStatus.CONFIRMED,
                "attendance_marked_at": starts + service.duration if attended else None,
            },
        )
        if answers is not None:
            with contextlib.suppress(AlreadyAnswered):  # seeded before
                checkin_submit(
                    booking=visit,
                    stage=CheckInStage.CHECKIN,
                    answers=_answers(answers),
                    now=visit.ends_at + timedelta(hours=48),
                )
