"""The facts a practitioner wants on each booking at a glance, for many bookings in few queries.

New or returning, money (free / paid / to pay / sliding amount), open flags (red flag, treat
more gently, review the course), intake missing, an unanswered check-in and a treatment
record still to write. Intake and follow-up answer for their own rows as expressions
(``intake.services.intake_submitted``, ``open_flags_join``,
``followup.summaries.checkin_unanswered``); the payment and the treatment record are joined
through the booking's one-to-one relations. All of it is read fresh on every call, in one
annotated query over the bookings.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.db.models import Exists, OuterRef
from django.utils import timezone

from booking.models import (
    KEPT_STATUSES,
    Booking,
    BookingStatus,
    PaymentMode,
    PriceRule,
    ServiceKind,
)
from followup.summaries import checkin_unanswered
from intake.models import PAUSING_FLAGS, FlagKind
from intake.services import intake_submitted, open_flags_join
from payments.models import PaymentStatus
from portal import policy
from portal.templatetags.money import money

TREATMENT_KINDS = (ServiceKind.PRIVATE, ServiceKind.MULTIBED)


class Badge(NamedTuple):
    """One label; ``tone`` picks the badge colour, the text always says it in words."""

    text: str
    tone: str = ""  # "", "success", "warning", "danger", "info", "brand"
    key: str = ""

    @property
    def marked(self) -> bool:
        """Drawn with the flag symbol: it holds treatment."""
        return self.key in ("red_flag", "on_hold")


@dataclass
class Glance:
    is_new: bool = False
    money: Badge | None = None
    flags: list[Badge] = field(default_factory=list)
    intake_missing: bool = False
    checkin_unanswered: bool = False
    treat_gently: bool = False
    red_flag: bool = False  # any flag that holds treatment (PAUSING_FLAGS)
    record_missing: bool = False  # attended treatment without its treatment record
    # A visit still to come for a patient with an open pausing flag: treatment is on hold.
    on_hold: bool = False

    @property
    def compact_badges(self) -> list[Badge]:
        """The badges but "Returning", where space is short (the calendar)."""
        return [b for b in self.badges if b.key != RETURNING.key]

    @property
    def badges(self) -> list[Badge]:
        out = [NEW if self.is_new else RETURNING, *([ON_HOLD] if self.on_hold else []), *self.flags]
        if self.intake_missing:
            out.append(INTAKE_MISSING)
        if self.checkin_unanswered:
            out.append(CHECKIN_UNANSWERED)
        if self.money is not None:
            out.append(self.money)
        return out


NEW = Badge("New", "info", "new")
RETURNING = Badge("Returning", "", "returning")
INTAKE_MISSING = Badge("Intake missing", "warning", "intake")
CHECKIN_UNANSWERED = Badge("Check-in unanswered", "warning", "checkin")
ON_HOLD = Badge("Needs review", "danger", "on_hold")
# Visits a hold applies to: still to come.
HOLDABLE = frozenset({BookingStatus.CONFIRMED, BookingStatus.HELD})


FLAG_BADGES = {
    FlagKind.EMERGENCY: Badge("Emergency flag", "danger", "emergency"),
    FlagKind.URGENT: Badge("Urgent flag", "danger", "urgent"),
    FlagKind.REVIEW: Badge("Review flag", "danger", "review"),
    FlagKind.RED_FLAG: Badge("Red flag", "danger", "red_flag"),
    FlagKind.TREAT_GENTLY: Badge("Treat more gently", "warning", "treat_gently"),
    FlagKind.REVIEW_COURSE: Badge("Review the course", "info", "review_course"),
}


def money_badge(
    booking: Booking, payment_status: str | None = None, taken_here: int | None = None
) -> Badge:
    """Paid, to pay, free or the sliding amount chosen, from the booking, its online payment
    and ``taken_here``, the amount recorded as taken at the clinic."""
    amount = money(booking.price_minor, booking.currency)
    if booking.price_minor == 0 or booking.payment_mode == PaymentMode.FREE:
        return Badge("Free", "", "free")
    sliding = " (sliding)" if booking.service.price_rule == PriceRule.SLIDING else ""
    if taken_here is not None:
        return Badge(f"Paid {money(taken_here, booking.currency)} at clinic", "success", "paid")
    if payment_status in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTLY_REFUNDED):
        return Badge(f"Paid {amount}{sliding}", "success", "paid")
    if payment_status == PaymentStatus.REFUNDED:
        return Badge("Refunded", "", "refunded")
    if booking.status == BookingStatus.HELD or payment_status == PaymentStatus.PENDING:
        return Badge("Awaiting payment", "warning", "to_pay")
    if booking.payment_mode == PaymentMode.ONLINE:
        return Badge(f"To pay {amount}{sliding}", "warning", "to_pay")
    # Paid at the clinic, and nothing recorded yet: the amount due.
    return Badge(f"{amount} at clinic{sliding}", "", "at_clinic")


def needs_record(booking: Booking) -> bool:
    """An attended treatment (not the talk-only assessment): it wants a treatment record."""
    return booking.status == BookingStatus.ATTENDED and booking.kind != ServiceKind.ASSESSMENT


def _live_facts(ids: list[int], now: datetime) -> dict[int, dict[str, Any]]:
    """Per booking id, what other apps and earlier visits say about it, in one query."""
    earlier_treatment = Booking.objects.filter(
        patient_id=OuterRef("patient_id"),
        kind__in=TREATMENT_KINDS,
        status__in=KEPT_STATUSES,
        starts_at__lt=OuterRef("starts_at"),
    )
    facts = {
        "returning": Exists(earlier_treatment),
        "intake_sent": intake_submitted(OuterRef("patient_id")),
        "checkin_open": checkin_unanswered(OuterRef("patient_id"), now=now),
    }
    # Payments and treatment records are one per booking at most: joined, not subqueries.
    rows = (
        Booking.objects.filter(pk__in=ids)
        .order_by()
        .annotate(open_flag=open_flags_join("patient"), **facts)
        .values(
            "pk",
            "open_flag__kind",
            "payment__status",
            "clinic_payment__amount_minor",
            "treatment_record__id",
            *facts,
        )
    )
    out: dict[int, dict[str, Any]] = {}
    for row in rows:  # one row per open flag of the patient (or one with none)
        kind = row.pop("open_flag__kind")
        booking = out.setdefault(row["pk"], {**row, "flags": []})
        if kind is not None:
            booking["flags"].append(kind)
    return out


def glance_for(
    bookings: Iterable[Booking],
    *,
    now: datetime | None = None,
    viewer: Any = None,
) -> dict[int, Glance]:
    """At-a-glance facts per booking id, in one query however many bookings (two when there
    are flags to hide). With ``viewer``, flags show only on patients whose record they
    may read (``portal.policy``). The bookings need their ``service`` (sliding prices)."""
    visits = list(bookings)
    if not visits:
        return {}
    live = _live_facts([v.pk for v in visits], now or timezone.now())
    flags = {v.patient_id: live[v.pk]["flags"] for v in visits if live[v.pk]["flags"]}
    readable = _flags_readable(viewer, set(flags))
    return {
        v.pk: _glance(v, live[v.pk], flags.get(v.patient_id, []), v.patient_id in readable)
        for v in visits
    }


def _flags_readable(viewer: Any, flagged: set[int]) -> set[int]:
    """Which of the flagged patients' flags show: all without a viewer, else those whose
    record the viewer may read (asked only when there are flags, so most pages cost no
    extra query)."""
    if viewer is None or not flagged:
        return flagged
    return policy.readable_among(viewer, flagged)


def _glance(visit: Booking, facts: dict[str, Any], flags: list[str], readable: bool) -> Glance:
    """One visit's badges from its row of ``_live_facts`` and its patient's open flags."""
    # A hold shows to everyone who sees the visit (it stops treatment); which flags, only
    # to those who may read the record.
    paused = any(kind in PAUSING_FLAGS for kind in flags)
    kinds = flags if readable else []
    return Glance(
        is_new=not facts["returning"],
        money=money_badge(visit, facts["payment__status"], facts["clinic_payment__amount_minor"]),
        flags=[badge for kind, badge in FLAG_BADGES.items() if kind in kinds],
        intake_missing=not facts["intake_sent"],
        checkin_unanswered=facts["checkin_open"],
        treat_gently=FlagKind.TREAT_GENTLY in kinds,
        # Any flag that holds treatment marks the visit red on the calendar.
        red_flag=paused,
        record_missing=needs_record(visit) and facts["treatment_record__id"] is None,
        on_hold=paused and visit.status in HOLDABLE,
    )
