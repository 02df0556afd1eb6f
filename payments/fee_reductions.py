"""Private fee reductions: a patient asks, the practitioner or staff answer, kindly.

An approved request gives that patient their own floor (the lowest amount they pay),
optionally until a date. It is read when a booking is made, so it applies to future
bookings only; visits already booked keep the amount agreed then.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from payments.models import FeeReduction, FeeReductionStatus
from portal.audit import AuditAction, record_action
from portal.messaging import MessageKind, outbox_put
from portal.models import Clinic, User


class FeeReductionError(Exception):
    """A decision that cannot be made, with a message fit to show the team member."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def current_floor(*, patient: User, clinic: Clinic, today: date) -> int | None:
    """The patient's approved floor on ``today`` (the lowest if several overlap), or None."""
    floors = FeeReduction.objects.filter(
        patient=patient, clinic=clinic, status=FeeReductionStatus.APPROVED
    ).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today), floor_minor__isnull=False)
    return min(
        (f for f in floors.values_list("floor_minor", flat=True) if f is not None), default=None
    )


def fee_reduction_request(*, patient: User, clinic: Clinic, reason: str) -> FeeReduction:
    """Record a patient's request; a second one while the first is open returns the first."""
    existing = FeeReduction.objects.filter(
        patient=patient, status=FeeReductionStatus.PENDING
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return FeeReduction.objects.create(
                patient=patient, clinic=clinic, reason=reason.strip()[:2000]
            )
    except IntegrityError:
        # Two tabs submitted at once: the partial unique constraint kept one.
        return FeeReduction.objects.get(patient=patient, status=FeeReductionStatus.PENDING)


def _decide(
    *, reduction: FeeReduction, by: User, now: datetime | None, **changes: object
) -> FeeReduction:
    now = now or timezone.now()
    with transaction.atomic():
        # The status in the WHERE clause: two team members answering at once decide once.
        decided = FeeReduction.objects.filter(
            pk=reduction.pk, status=FeeReductionStatus.PENDING
        ).update(decided_by=by, decided_at=now, **changes)
        if not decided:
            raise FeeReductionError("Someone has already answered this request.")
        record_action(
            action=(
                AuditAction.FEE_REDUCTION_APPROVED
                if changes["status"] == FeeReductionStatus.APPROVED
                else AuditAction.FEE_REDUCTION_DECLINED
            ),
            actor=by,
            subject=reduction.patient,
            detail={"request": reduction.pk, "floor_minor": changes.get("floor_minor")},
        )
        reduction.refresh_from_db()
        decision_email_put(reduction)
    return reduction


def decision_email_put(reduction: FeeReduction) -> None:
    """Put the answer to a fee-reduction request in the outbox, once, in the caller's
    transaction (the decision's). The reply is the team's own words, stored encrypted."""
    approved = reduction.status == FeeReductionStatus.APPROVED
    outbox_put(
        kind=(
            MessageKind.FEE_REDUCTION_APPROVED if approved else MessageKind.FEE_REDUCTION_DECLINED
        ),
        to_user=reduction.patient_id,
        dedupe_key=f"fee_reduction:{reduction.pk}",
        context={
            "floor_minor": reduction.floor_minor,
            "ends_on": reduction.ends_on.isoformat() if reduction.ends_on else "",
            "reply": reduction.reply or "",
        },
    )


def fee_reduction_approve(
    *,
    reduction: FeeReduction,
    by: User,
    floor_minor: int,
    ends_on: date | None = None,
    reply: str = "",
    now: datetime | None = None,
) -> FeeReduction:
    """Approve with the patient's own floor (and an optional end date); the patient is emailed."""
    today = (now or timezone.now()).astimezone(reduction.clinic.tz).date()
    if floor_minor < 0:
        raise FeeReductionError("The amount cannot be negative.")
    if ends_on is not None and ends_on < today:
        raise FeeReductionError("The end date has already passed. Please choose a later date.")
    return _decide(
        reduction=reduction,
        by=by,
        now=now,
        status=FeeReductionStatus.APPROVED,
        floor_minor=floor_minor,
        ends_on=ends_on,
        reply=reply.strip(),
    )


def fee_reduction_decline(
    *, reduction: FeeReduction, by: User, reply: str = "", now: datetime | None = None
) -> FeeReduction:
    """Decline, with an optional kind note; the patient is emailed."""
    return _decide(
        reduction=reduction, by=by, now=now, status=FeeReductionStatus.DECLINED, reply=reply.strip()
    )
