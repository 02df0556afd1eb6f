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
from payments.pricing import format_money
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


def highest_full_price(clinic: Clinic) -> int | None:
    """The most any visit here costs at full price (a fixed price, or a sliding scale's top):
    a patient's own floor above it would not be a reduction at all. None with no paid visit."""
    from booking.models import PriceRule, Service

    prices = [
        max(s.price_min_minor, s.price_max_minor)
        if s.price_rule == PriceRule.SLIDING
        else s.price_minor
        for s in Service.objects.filter(clinic=clinic, is_active=True).exclude(
            price_rule=PriceRule.FREE
        )
    ]
    return max(prices, default=None)


def floor_problem(floor_minor: int, *, clinic: Clinic) -> str | None:
    """Why ``floor_minor`` cannot be a reduced fee (said to the team member), or None."""
    if floor_minor < 0:
        return "A reduced fee cannot be below £0. Enter 0 for free visits."
    top = highest_full_price(clinic)
    if top is not None and floor_minor > top:
        return (
            f"{format_money(floor_minor, clinic.currency)} is more than the full price of any "
            f"visit here ({format_money(top, clinic.currency)}). Enter the reduced fee: "
            f"{format_money(top, clinic.currency)} or less."
        )
    return None


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


def decision_email_put(reduction: FeeReduction, *, changed_at: datetime | None = None) -> None:
    """Put the answer to a fee-reduction request in the outbox, once, in the caller's
    transaction (the decision's). The reply is the team's own words, stored encrypted;
    ``changed_at`` marks a later change of the decision, emailed again."""
    approved = reduction.status == FeeReductionStatus.APPROVED
    key = f"fee_reduction:{reduction.pk}"
    if changed_at is not None:
        key += f":changed:{changed_at.isoformat()}"
    outbox_put(
        kind=(
            MessageKind.FEE_REDUCTION_APPROVED if approved else MessageKind.FEE_REDUCTION_DECLINED
        ),
        to_user=reduction.patient_id,
        dedupe_key=key,
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
    _check_approval(reduction=reduction, floor_minor=floor_minor, ends_on=ends_on, now=now)
    return _decide(
        reduction=reduction,
        by=by,
        now=now,
        status=FeeReductionStatus.APPROVED,
        floor_minor=floor_minor,
        ends_on=ends_on,
        reply=reply.strip(),
    )


def _check_approval(
    *, reduction: FeeReduction, floor_minor: int, ends_on: date | None, now: datetime | None
) -> None:
    today = (now or timezone.now()).astimezone(reduction.clinic.tz).date()
    problem = floor_problem(floor_minor, clinic=reduction.clinic)
    if problem:
        raise FeeReductionError(problem)
    if ends_on is not None and ends_on < today:
        raise FeeReductionError("The end date has already passed. Please choose a later date.")


def fee_reduction_change(
    *,
    reduction: FeeReduction,
    by: User,
    approve: bool,
    floor_minor: int | None = None,
    ends_on: date | None = None,
    reply: str = "",
    now: datetime | None = None,
) -> FeeReduction:
    """Change an answered request (a new floor or end date, approve after all, or withdraw);
    audited, and the patient is emailed the new decision. Future bookings only, as before."""
    if approve:
        if floor_minor is None:
            raise FeeReductionError("Enter the reduced fee.")
        _check_approval(reduction=reduction, floor_minor=floor_minor, ends_on=ends_on, now=now)
    now = now or timezone.now()
    with transaction.atomic():
        # Locked: two changes at once apply one after the other, each emailed and audited.
        current = FeeReduction.objects.select_for_update().get(pk=reduction.pk)
        if current.status == FeeReductionStatus.PENDING:
            raise FeeReductionError("This request has not been answered yet.")
        status = FeeReductionStatus.APPROVED if approve else FeeReductionStatus.DECLINED
        before = {"status": current.status, "floor_minor": current.floor_minor}
        FeeReduction.objects.filter(pk=current.pk).update(
            status=status,
            floor_minor=floor_minor if approve else None,
            ends_on=ends_on if approve else None,
            reply=reply.strip(),
            decided_by=by,
            decided_at=now,
        )
        record_action(
            action=AuditAction.FEE_REDUCTION_CHANGED,
            actor=by,
            subject=current.patient,
            detail={
                "request": current.pk,
                "was": before,
                "now": {"status": status, "floor_minor": floor_minor if approve else None},
            },
        )
        current.refresh_from_db()
        # Each change is its own email: the key carries the moment of the new decision.
        decision_email_put(current, changed_at=now)
    reduction.refresh_from_db()
    return reduction


def fee_reduction_decline(
    *, reduction: FeeReduction, by: User, reply: str = "", now: datetime | None = None
) -> FeeReduction:
    """Decline, with an optional kind note; the patient is emailed."""
    return _decide(
        reduction=reduction, by=by, now=now, status=FeeReductionStatus.DECLINED, reply=reply.strip()
    )
