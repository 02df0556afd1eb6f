"""What the practitioner dashboard shows from intake: urgent alerts and paused bookings."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from intake.models import Alert, AlertLevel, PatientFlag
from intake.services import PAUSING_FLAGS
from portal.models import User


def team_attention(user: User) -> dict[str, Any]:
    """Open urgent alerts for ``user`` (theirs or the whole team's) and open red flags."""
    if user.clinic_id is None:
        return {"urgent_alerts": [], "red_flags": []}
    alerts = (
        Alert.objects.filter(
            clinic_id=user.clinic_id,
            level__in=(AlertLevel.EMERGENCY, AlertLevel.URGENT),
            acknowledged_at__isnull=True,
        )
        .filter(Q(practitioner__isnull=True) | Q(practitioner__user=user))
        .select_related("patient")
        .order_by("-created_at")[:20]
    )
    red_flags = (
        PatientFlag.objects.filter(
            clinic_id=user.clinic_id, kind__in=PAUSING_FLAGS, cleared_at__isnull=True
        )
        .select_related("patient")
        .order_by("-raised_at")[:20]
    )
    return {"urgent_alerts": list(alerts), "red_flags": list(red_flags)}
