"""Demo follow-up data: check-ins answered after the sample patients' visits, so the practitioner
dashboard shows alerts and flags; Priya's visit two days ago is left unanswered, so the running
worker sends its check-in within a minute of `make run` starting. Idempotent: each demo visit
has a fixed request key (booking.demo.history_key)."""

from __future__ import annotations

import contextlib
import uuid
from datetime import timedelta
from typing import Any

from django.db import transaction

from booking.demo import history_key, seed_history
from booking.models import Booking
from followup.models import CheckInStage
from followup.services import AlreadyAnswered, checkin_submit
from portal.models import Clinic

# The check-ins the sample patients answered: (patient email, the visit's number in its course
# (booking.demo.COURSES), the answers). The visits themselves are seeded by booking.demo.
CHECKINS: list[tuple[str, int, dict[str, Any] | None]] = [
    # Alex (Modic type 1, on tramadol): sorer after the first two treatments, like last time
    # elsewhere; then gentler needling, and better.
    (
        "alex@patient.example",
        0,
        {
            "comparison": "worse",
            "pain_now": 7,
            "reactions": ["headache", "aching"],
            "note": "Headache the next day and aching all over, like last time elsewhere.",
        },
    ),
    (
        "alex@patient.example",
        1,
        {
            "comparison": "worse",
            "pain_now": 6,
            "needle_site_soreness": True,
            "note": "Sore where the needles went in, less headache.",
        },
    ),
    ("alex@patient.example", 2, {"comparison": "same", "pain_now": 6}),
    (
        "alex@patient.example",
        4,
        {"comparison": "better", "pain_now": 4, "note": "Much gentler. No headache at all."},
    ),
    ("jordan@patient.example", 2, {"comparison": "better", "pain_now": 4}),
    ("priya@patient.example", 1, {"comparison": "better", "pain_now": 5}),
    ("tom@patient.example", 3, {"comparison": "same", "pain_now": 6}),
    # Tom (re-herniated L5): worse after the last one, and would like a call.
    (
        "tom@patient.example",
        4,
        {
            "comparison": "much_worse",
            "pain_now": 8,
            "wants_call": True,
            "note": "Nerve pain down the left leg is sharper.",
        },
    ),
    # Priya: treated two days ago, not answered yet; attendance not marked.
    ("priya@patient.example", 3, None),
]


def visit_key(index: int) -> uuid.UUID:
    """The fixed request key of the visit of CHECKINS[index]."""
    email, number, _answers = CHECKINS[index]
    return history_key(email, number)


PRIYA_UNANSWERED = len(CHECKINS) - 1  # her visit's index in CHECKINS


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
    """Answer the sample patients' check-ins once (their visits come from booking.demo)."""
    seed_history(clinic)  # the visits this hangs on (idempotent)
    for n, (_email, _number, answers) in enumerate(CHECKINS):
        visit = Booking.objects.filter(clinic=clinic, request_key=visit_key(n)).first()
        if visit is None or answers is None:
            continue
        with contextlib.suppress(AlreadyAnswered):  # seeded before
            checkin_submit(
                booking=visit,
                stage=CheckInStage.CHECKIN,
                answers=_answers(answers),
                now=visit.ends_at + timedelta(hours=48),
            )
