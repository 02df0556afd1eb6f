"""The facts a practitioner wants on each booking at a glance, for many bookings in few queries.

New or returning, money (free / paid / to pay / sliding amount), open flags (red flag, treat
more gently, review the course), and, when the intake and follow-up apps provide them,
intake missing and an unanswered check-in. Pieces whose models have not landed are simply
left out, so the calendar works whichever apps are installed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Min

from booking.models import (
    KEPT_STATUSES,
    Booking,
    BookingStatus,
    PaymentMode,
    PriceRule,
    ServiceKind,
)
from intake.models import FlagKind, IntakeResponse, PatientFlag, ResponseStatus
from payments.models import Payment, PaymentStatus
from portal.templatetags.money import money

TREATMENT_KINDS = (ServiceKind.PRIVATE, ServiceKind.MULTIBED)


@dataclass(frozen=True)
class Badge:
    """One label; ``tone`` picks the badge colour, the text always says it in words."""

    text: str
    tone: str = ""  # "", "success", "warning", "danger", "info", "brand"
    key: str = ""


@dataclass
class Glance:
    is_new: bool = False
    money: Badge | None = None
    flags: list[Badge] = field(default_factory=list)
    intake_missing: bool = False
    checkin_unanswered: bool = False
    treat_gently: bool = False
    red_flag: bool = False

    @property
    def badges(self) -> list[Badge]:
        out = [Badge("New", "info", "new") if self.is_new else Badge("Returning", "", "returning")]
        out += self.flags
        if self.intake_missing:
            out.append(Badge("Intake missing", "warning", "intake"))
        if self.checkin_unanswered:
            out.append(Badge("Check-in unanswered", "warning", "checkin"))
        if self.money is not None:
            out.append(self.money)
        return out


FLAG_BADGES = {
    FlagKind.RED_FLAG: Badge("Red flag", "danger", "red_flag"),
    FlagKind.TREAT_GENTLY: Badge("Treat more gently", "warning", "treat_gently"),
    FlagKind.REVIEW_COURSE: Badge("Review the course", "info", "review_course"),
}


def money_badge(booking: Booking, payment_status: str | None = None) -> Badge:
    """Paid, to pay, free or the sliding amount chosen, from the booking and its payment."""
    amount = money(booking.price_minor, booking.currency)
    if booking.price_minor == 0 or booking.payment_mode == PaymentMode.FREE:
        return Badge("Free", "", "free")
    sliding = " (sliding)" if booking.service.price_rule == PriceRule.SLIDING else ""
    if payment_status in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTLY_REFUNDED):
        return Badge(f"Paid {amount}{sliding}", "success", "paid")
    if payment_status == PaymentStatus.REFUNDED:
        return Badge("Refunded", "", "refunded")
    if booking.status == BookingStatus.HELD or payment_status == PaymentStatus.PENDING:
        return Badge("Awaiting payment", "warning", "to_pay")
    if booking.payment_mode == PaymentMode.ONLINE:
        return Badge(f"To pay {amount}{sliding}", "warning", "to_pay")
    # Paid at the clinic: until a payment is recorded the calendar only knows the amount due.
    return Badge(f"{amount} at clinic{sliding}", "", "at_clinic")


def _intake_done(patient_ids: set[int]) -> set[int] | None:
    """Patients who have sent an intake questionnaire (full, or the assessment's short one)."""
    return set(
        IntakeResponse.objects.filter(
            patient_id__in=patient_ids, status=ResponseStatus.SUBMITTED
        ).values_list("patient_id", flat=True)
    )


def _checkins_unanswered(patient_ids: set[int]) -> set[int] | None:
    """Patients with an unanswered check-in; None (badge not shown) until follow-ups land."""
    return None


def glance_for(bookings: Iterable[Booking]) -> dict[int, Glance]:
    """At-a-glance facts per booking id, in a fixed number of queries however many bookings."""
    bookings = list(bookings)
    patient_ids = {b.patient_id for b in bookings}
    if not bookings:
        return {}
    # When did each patient first have a treatment that went ahead? Before this visit means
    # returning; the assessment does not count as treatment.
    first_kept = dict(
        Booking.objects.filter(
            patient_id__in=patient_ids, kind__in=TREATMENT_KINDS, status__in=KEPT_STATUSES
        )
        .values("patient_id")
        .annotate(first=Min("starts_at"))
        .values_list("patient_id", "first")
    )
    flags: dict[int, list[str]] = defaultdict(list)
    for patient_id, kind in PatientFlag.objects.filter(
        patient_id__in=patient_ids, cleared_at__isnull=True
    ).values_list("patient_id", "kind"):
        flags[patient_id].append(kind)
    intake_done = _intake_done(patient_ids)
    payments = dict(
        Payment.objects.filter(booking_id__in=[b.pk for b in bookings]).values_list(
            "booking_id", "status"
        )
    )
    unanswered = _checkins_unanswered(patient_ids)
    out = {}
    for b in bookings:
        first: datetime | None = first_kept.get(b.patient_id)
        kinds = flags.get(b.patient_id, [])
        out[b.pk] = Glance(
            is_new=first is None or first >= b.starts_at,
            money=money_badge(b, payments.get(b.pk)),
            flags=[FLAG_BADGES[FlagKind(k)] for k in kinds if k in FLAG_BADGES],
            intake_missing=intake_done is not None and b.patient_id not in intake_done,
            checkin_unanswered=unanswered is not None and b.patient_id in unanswered,
            treat_gently=FlagKind.TREAT_GENTLY in kinds,
            red_flag=FlagKind.RED_FLAG in kinds,
        )
    return out
