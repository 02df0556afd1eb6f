"""What the urgent-advice email says about a check-in: its level and the symptoms it refers to,
read back from the (encrypted) check-in the patient answered."""

from __future__ import annotations

from typing import Any

from booking.models import Booking
from followup.models import CheckIn
from intake.triage import REASON_TEXT


def advice_context(booking: Booking, stage: str) -> dict[str, Any]:
    """The level ("emergency", "urgent"...) and the plain-words symptoms for the email."""
    checkin = CheckIn.objects.filter(booking=booking, stage=stage).first()
    outcome = checkin.outcome if checkin is not None else {}
    reasons = [REASON_TEXT[r] for r in outcome.get("reasons", []) if r in REASON_TEXT]
    # An answer stored before the levels had only "urgent" advice.
    return {"level": outcome.get("level") or "urgent", "reason_texts": reasons}
