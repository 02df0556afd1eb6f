"""What the practitioner dashboard shows from intake: urgent alerts and paused bookings."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from intake.models import AlertLevel, FlagKind
from portal import policy
from portal.models import User


def team_attention(user: User) -> dict[str, Any]:
    """Open urgent alerts for ``user`` (theirs or the whole team's) and open red flags, on
    patients whose record they may read; and the patients outside their care with an urgent
    alert to the whole team."""
    if user.clinic_id is None:
        return {"urgent_alerts": [], "red_flags": [], "outside_care": []}
    # Only patients whose record this practitioner may read (``portal.policy``).
    alerts = (
        policy.alerts_for(user)
        .filter(level=AlertLevel.URGENT, acknowledged_at__isnull=True)
        .filter(Q(practitioner__isnull=True) | Q(practitioner__user=user))
        .select_related("patient")
        .order_by("-created_at")[:20]
    )
    red_flags = (
        policy.flags_for(user)
        .filter(kind=FlagKind.RED_FLAG, cleared_at__isnull=True)
        .select_related("patient")
        .order_by("-raised_at")[:20]
    )
    # An urgent team alert must reach someone even when nobody cares for the patient yet (a
    # red flag in a new patient's intake): name the patient, say nothing of the alert.
    outside_care = User.objects.filter(
        pk__in=policy.team_alerts_outside_care(user)
        .filter(level=AlertLevel.URGENT, acknowledged_at__isnull=True)
        .values("patient_id")
    ).order_by("first_name", "last_name", "pk")[:20]
    return {
        "urgent_alerts": list(alerts),
        "red_flags": list(red_flags),
        "outside_care": list(outside_care),
    }
