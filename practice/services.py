"""Writes from the practitioner workspace: treatment records, attendance, calendar feeds
(hours, dated changes and time off are ``practice.schedule``'s).

Attendance itself (arrived / attended / no-show / late cancellation) lives in
``booking.services`` next to the other booking state changes; this module calls it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from booking.attendance import booking_mark_attendance, may_keep_record
from booking.errors import BookingError
from booking.models import (
    Booking,
    BookingStatus,
    Practitioner,
    ServiceKind,
)
from intake.models import FlagKind, PatientFlag
from intake.services import flag_clear
from payments.models import Refund, RefundReason
from payments.pricing import refund_due
from payments.services import payment_for_booking, refund_create
from portal.audit import AuditAction, record_action
from portal.models import User
from practice.models import INTENSITY_RANK, CalendarFeed, TreatmentRecord


class PracticeError(BookingError):
    """A request from the workspace that cannot be met, with a message fit to show."""


class AffectedBookingsChanged(PracticeError):
    """Bookings in the time off changed since the practitioner looked: show them again."""


@dataclass(frozen=True)
class TreatmentDetails:
    areas_and_points: str
    needle_count: int
    depth: str
    stimulation: str
    style: str = ""
    other_techniques: str = ""
    reaction: str = ""
    plan_next_time: str = ""


def treatment_record_save(
    *, booking: Booking, by: User, details: TreatmentDetails, now: datetime | None = None
) -> TreatmentRecord:
    """Write (or correct) the record of a visit, marking it attended if it was not yet.

    Both happen in one transaction: a visit is never left "attended" without the record the
    practitioner typed, nor a record on a visit still marked as booked. ``written_by`` stays
    the first author; each correction is a new version (``record.history``) and an audit row.
    """
    if booking.kind == ServiceKind.ASSESSMENT:
        raise PracticeError("The free assessment has no treatment record.")
    now = now or timezone.now()
    with transaction.atomic():
        # The visit's row is the lock: two first saves at once write one record, one version
        # each, and a "did not attend" marked at the same moment is seen before writing.
        booking = Booking.objects.select_for_update().select_related("clinic").get(pk=booking.pk)
        if booking.status == BookingStatus.NO_SHOW:
            raise PracticeError(
                "This visit is marked as did not attend, so it has no treatment record. "
                "If the patient was seen, correct it to attended first."
            )
        if not may_keep_record(booking, now=now):
            if booking.starts_at > now:
                raise PracticeError(
                    "This visit has not started yet, so attendance cannot be recorded."
                )
            raise PracticeError(f"This visit is {booking.status_phrase}, so it has no record.")
        if booking.status != BookingStatus.ATTENDED:
            booking = booking_mark_attendance(
                booking=booking, outcome=BookingStatus.ATTENDED, by=by, now=now
            )
        fields = {
            "areas_and_points": details.areas_and_points,
            "needle_count": str(details.needle_count),
            "depth": details.depth,
            "stimulation": details.stimulation,
            "style": details.style,
            "other_techniques": details.other_techniques,
            "reaction": details.reaction,
            "plan_next_time": details.plan_next_time,
        }
        record = TreatmentRecord.objects.filter(booking=booking).first()
        if record is None:
            record = TreatmentRecord(
                booking=booking,
                clinic_id=booking.clinic_id,
                patient_id=booking.patient_id,
                practitioner_id=booking.practitioner_id,
                visit_at=booking.starts_at,
                written_by=by,
                **fields,
            )
        elif all(getattr(record, name) == value for name, value in fields.items()):
            return record  # saved again unchanged: no new version
        else:
            for name, value in fields.items():
                setattr(record, name, value)
            record_action(
                action=AuditAction.TREATMENT_RECORD_EDITED,
                actor=by,
                subject=booking.patient,
                detail={"record": record.pk, "booking": booking.pk},
            )
        # simple-history's documented way to name who made this version.
        record._history_user = by  # type: ignore[attr-defined]
        record.save()
        treat_gently_clear_if_gentler(record=record, by=by)
    return record


def gentler_than(new: TreatmentRecord, before: TreatmentRecord | None) -> bool:
    """Whether ``new`` turned the volume down from ``before``: no stronger in depth,
    stimulation or needle count and lower in at least one; or the lowest setting (shallow and
    gentle), which is gentle whatever came before (and all there is to compare with when the
    flag came from a reaction elsewhere, with no earlier record here)."""
    depth, stimulation = INTENSITY_RANK[new.depth], INTENSITY_RANK[new.stimulation]
    if depth == 0 and stimulation == 0:
        return True
    if before is None:
        return False
    then = (INTENSITY_RANK[before.depth], INTENSITY_RANK[before.stimulation], before.needles)
    now = (depth, stimulation, new.needles)
    return all(a <= b for a, b in zip(now, then, strict=True)) and now != then


def treat_gently_clear_if_gentler(*, record: TreatmentRecord, by: User) -> PatientFlag | None:
    """Clear the patient's open "treat more gently" flag when ``record`` is a gentler treatment
    given after the flag was raised (clinical safety C1): compared with the last treatment
    recorded before the flag, the one whose reaction raised it. Audited as any clear, saying
    why. Runs in the record's transaction."""
    flag = (
        PatientFlag.objects.select_for_update()
        .filter(patient_id=record.patient_id, kind=FlagKind.TREAT_GENTLY, cleared_at__isnull=True)
        .select_related("patient")
        .first()
    )
    if flag is None or record.visit_at < flag.raised_at:
        return None
    before = (
        TreatmentRecord.objects.filter(patient_id=record.patient_id, visit_at__lt=flag.raised_at)
        .exclude(pk=record.pk)
        .order_by("-visit_at")
        .first()
    )
    if not gentler_than(record, before):
        return None
    when = record.visit_at.astimezone(record.clinic.tz)
    note = f"Cleared when a gentler treatment was recorded on {when:%-d %b %Y}: {record.intensity}."
    if not flag_clear(flag=flag, by=by, note=note, because="gentler_treatment_recorded"):
        return None
    return flag


def attendance_mark(
    *, booking: Booking, outcome: BookingStatus, by: User, now: datetime | None = None
) -> Booking:
    """Record attended or did not attend from the workspace. A visit with a treatment record
    was seen: marking it "did not attend" is refused, never the record deleted (a clinical
    record is corrected, not removed), and the visit's row lock orders it against a record
    being saved at the same moment."""
    with transaction.atomic():
        locked = Booking.objects.select_for_update().select_related("clinic").get(pk=booking.pk)
        if (
            outcome == BookingStatus.NO_SHOW
            and TreatmentRecord.objects.filter(booking_id=locked.pk).exists()
        ):
            raise PracticeError(
                "This visit has a treatment record, so the patient was seen and it cannot be "
                "marked as did not attend. If the record was written on the wrong visit, "
                "add a correction to it: treatment records are never deleted."
            )
        return booking_mark_attendance(booking=locked, outcome=outcome, by=by, now=now)


def last_treatment_before(booking: Booking) -> TreatmentRecord | None:
    """The patient's most recent record from an earlier visit (for "turn the volume down")."""
    return (
        TreatmentRecord.objects.filter(
            patient_id=booking.patient_id, visit_at__lt=booking.starts_at
        )
        .select_related("practitioner")
        .order_by("-visit_at")
        .first()
    )


# --- Calendar feeds --------------------------------------------------------------------


def feed_enable(*, practitioner: Practitioner) -> CalendarFeed:
    """Turn the private feed on (keeping the existing address if it is already on for this
    profile's account; one made for the account that held the profile before is replaced)."""
    feed = own_feed(practitioner)
    if feed is None:
        CalendarFeed.objects.filter(practitioner=practitioner).delete()
        feed = CalendarFeed.objects.create(practitioner=practitioner, made_for=practitioner.user)
    return feed


def own_feed(practitioner: Practitioner) -> CalendarFeed | None:
    """The profile's feed if it was made for the account that holds the profile now."""
    return CalendarFeed.objects.filter(
        practitioner=practitioner, made_for_id=practitioner.user_id
    ).first()


def feed_revoke(*, practitioner: Practitioner) -> bool:
    """Turn the feed off: the old address stops working at once."""
    deleted, _ = CalendarFeed.objects.filter(practitioner=practitioner).delete()
    return bool(deleted)


def late_cancellation_record(
    *, booking: Booking, by: User, now: datetime | None = None
) -> tuple[Booking, Refund | None]:
    """Record that the patient cancelled inside the cutoff, and apply the clinic's
    late-cancellation rule to an online payment: refund all but the fee, or nothing.

    The refund is written in the same transaction and sent to Stripe by a task after the
    commit (``payments.services.refund_create``), never while the rows are locked.
    """
    with transaction.atomic():
        # Race: the desk and the practitioner recording the same late cancellation at once.
        # The row lock makes the second one see it recorded already, and refund nothing more.
        locked = Booking.objects.select_for_update().select_related("clinic").get(pk=booking.pk)
        already = locked.status == BookingStatus.LATE_CANCELLED
        booking = booking_mark_attendance(
            booking=locked, outcome=BookingStatus.LATE_CANCELLED, by=by, now=now
        )
        payment = payment_for_booking(booking)
        if already or payment is None or not payment.is_paid:
            return booking, None
        clinic = booking.clinic
        due = refund_due(
            paid_minor=payment.amount_minor,
            refunded_minor=payment.refunded_minor,
            late=True,
            rule=clinic.late_cancellation_rule,
            fee_minor=clinic.late_cancellation_fee_minor,
        )
        if not due:
            return booking, None
        refund = refund_create(
            payment=payment, amount_minor=due, reason=RefundReason.LATE_CANCELLED, by=by
        )
    return booking, refund
