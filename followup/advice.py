"""The advice emails a patient gets after a red flag: after a check-in (``urgent_advice``) and
after the health questionnaire (``intake_advice``), each saying its level and the symptoms it
refers to, read back from the patient's (encrypted) answers, never from the alert's text."""

from __future__ import annotations

from typing import Any

from booking.models import Booking
from followup.models import CheckIn, OutboxMessage
from intake.models import Alert, IntakeResponse
from intake.services import response_outcome
from intake.triage import INTAKE_RED_FLAG, REASON_TEXT


def advice_context(booking: Booking, stage: str) -> dict[str, Any]:
    """The level ("emergency", "urgent"...) and the plain-words symptoms for the email."""
    checkin = CheckIn.objects.filter(booking=booking, stage=stage).first()
    outcome = checkin.outcome if checkin is not None else {}
    reasons = [REASON_TEXT[r] for r in outcome.get("reasons", []) if r in REASON_TEXT]
    # An answer stored before the levels had only "urgent" advice.
    return {"level": outcome.get("level") or "urgent", "reason_texts": reasons}


INTAKE_SOURCE = "intake:"


def intake_advice_context(message: OutboxMessage) -> dict[str, Any] | None:
    """The level and plain-words symptoms of the questionnaire an intake alert came from."""
    alert = Alert.objects.filter(pk=int(message.extra or 0), kind=INTAKE_RED_FLAG).first()
    if alert is None or not alert.source_key.startswith(INTAKE_SOURCE):
        return None
    response_id = alert.source_key.removeprefix(INTAKE_SOURCE)
    response = IntakeResponse.objects.filter(
        pk=int(response_id) if response_id.isdigit() else 0, patient_id=alert.patient_id
    ).first()
    if response is None:
        return None
    outcome = response_outcome(response)
    if outcome.level is None:
        return None
    return {
        "patient": alert.patient,
        "level": outcome.level.value,
        "reason_texts": outcome.reason_texts,
    }
