"""Intake's booking gates: a questionnaire before treatment, and no online treatment booking
while a pausing flag is open (``intake.models.PAUSING_FLAGS``: emergency, urgent, practitioner
review, or a legacy red flag). Registered with ``booking.gates`` by ``IntakeConfig.ready``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from booking.gates import Gate
from booking.models import Service, ServiceKind
from intake.questionnaire import FULL, SHORT, current
from intake.services import intake_standing
from portal.models import User

TREATMENT = (ServiceKind.PRIVATE, ServiceKind.MULTIBED)


def intake_gate(patient: User, service: Service, return_url: str) -> Gate | None:
    """Stop treatment booking on a pausing flag; ask for the questionnaire first if none was
    sent."""
    clinic = service.clinic
    standing = intake_standing(patient)
    if service.kind in TREATMENT and standing.paused:
        phone = f" on {clinic.phone}" if clinic.phone else ""
        return Gate(
            title="Online booking of treatment is paused",
            message=(
                "Some answers in your questionnaire mean a practitioner needs to talk with you "
                f"before your next treatment. Please call us{phone}. If you feel very unwell, "
                f"call {clinic.emergency_numbers}."
            ),
            staff_message=(
                "They answered yes to a red-flag question. Check with a practitioner before "
                "booking treatment."
            ),
            urgent=True,
        )
    if service.kind in TREATMENT:
        if FULL in standing.sent:
            return None
        kind = FULL
        # The time is the questionnaire's own, as the questionnaire page shows it.
        message = (
            "Before your first treatment, please fill in the health questionnaire. It takes "
            f"about {current(FULL).minutes} minutes, saves as you go, and we bring you back "
            "here afterwards."
        )
    else:
        if standing.sent & {FULL, SHORT}:
            return None
        kind = SHORT
        message = (
            "Before the free assessment, please answer a few short questions (about "
            f"{current(SHORT).minutes} minutes). We bring you back here afterwards."
        )
    query = {"kind": kind, **({"next": return_url} if return_url else {})}
    return Gate(
        title="One step before booking",
        message=message,
        action_url=f"{reverse('intake:home')}?{urlencode(query)}",
        action_label="Fill in the questionnaire",
        staff_message=(
            "They have not sent the health questionnaire yet. Please ask them to fill it in "
            "before the visit."
        ),
    )
