"""Money taken at the clinic: recording it against a visit, undoing a slip, and a day's takings.

A visit booked to pay at the clinic shows "£45 at clinic" until someone on the team records the
payment (card machine, cash or other); the calendar then shows it paid, and the day's takings
list what was taken, what was paid online and which visits still owe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from booking.availability import wall_to_utc
from booking.models import Booking, BookingStatus, PaymentMode
from payments.models import PAID_STATUSES, ClinicPayment, Payment, TakenBy
from payments.pricing import PriceError, format_money, service_price_range
from portal.audit import AuditAction, record_action
from portal.models import Clinic, User

# A visit that still owes once it has happened, or is happening (attendance may not be marked
# yet), and the ones whose fee may be taken: a late cancellation or a missed visit can be
# charged under the clinic's policy.
OWING_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.ATTENDED)
MISSED_STATUSES = (BookingStatus.NO_SHOW, BookingStatus.LATE_CANCELLED)
TAKEABLE_STATUSES = (*OWING_STATUSES, *MISSED_STATUSES)


# Said by the record's refusal and by its page when the visit is not (or no longer) one.
NOT_TAKEN_HERE = (
    "This visit is not one paid at the clinic now (it is free, paid online, cancelled or "
    "moved), so there is nothing to record."
)


class ClinicPaymentError(Exception):
    """A payment that cannot be recorded or undone, with a message fit for the team."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def takes_payment_here(booking: Booking) -> bool:
    """Whether this visit is one whose fee the team takes at the clinic."""
    return (
        booking.payment_mode == PaymentMode.AT_CLINIC
        and booking.price_minor > 0
        and booking.status in TAKEABLE_STATUSES
    )


def highest_amount(booking: Booking) -> int:
    """The most that may be recorded for the visit: its service's top price, or what was agreed
    if that is higher (anything more is a typing slip)."""
    return max(booking.price_minor, service_price_range(booking.service).high)


def check_amount(booking: Booking, amount_minor: int) -> None:
    """Raise PriceError when ``amount_minor`` cannot have been taken for ``booking``."""
    if amount_minor <= 0:
        raise PriceError("Enter the amount taken, for example 45.")
    top = highest_amount(booking)
    if amount_minor > top:
        raise PriceError(
            f"That is more than this visit's highest price ({format_money(top, booking.currency)})."
            " Please check the amount."
        )


def record_clinic_payment(
    *,
    booking_id: int,
    amount_minor: int,
    method: str,
    by: User,
    now: datetime | None = None,
) -> ClinicPayment:
    """Record money taken at the clinic for the visit, once; raises ClinicPaymentError."""
    now = now or timezone.now()
    method = TakenBy(method)
    with transaction.atomic():
        # Locked so attendance or a cancellation cannot change the visit under the record.
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("service", "clinic", "patient")
            .get(pk=booking_id)
        )
        if not takes_payment_here(booking):
            raise ClinicPaymentError(NOT_TAKEN_HERE)
        try:
            check_amount(booking, amount_minor)
        except PriceError as exc:
            raise ClinicPaymentError(exc.message) from None
        earlier = ClinicPayment.objects.filter(booking=booking).first()
        if earlier is not None:
            raise ClinicPaymentError(already_recorded(earlier))
        try:
            with transaction.atomic():
                payment = ClinicPayment.objects.create(
                    booking=booking,
                    clinic=booking.clinic,
                    amount_minor=amount_minor,
                    currency=booking.currency,
                    method=method,
                    taken_at=now,
                    taken_by=by,
                )
        except IntegrityError:
            # Another tab won the race the lock above makes all but impossible.
            raise ClinicPaymentError(
                "A payment was recorded for this visit a moment ago."
            ) from None
        record_action(
            action=AuditAction.CLINIC_PAYMENT_RECORDED,
            actor=by,
            subject=booking.patient,
            clinic=booking.clinic,
            detail={"booking": booking.pk, "amount_minor": amount_minor, "method": method.value},
        )
    return payment


def already_recorded(payment: ClinicPayment) -> str:
    amount = format_money(payment.amount_minor, payment.currency)
    return f"A payment of {amount} ({payment.get_method_display().lower()}) is already recorded."


def undo_clinic_payment(*, booking_id: int, by: User) -> ClinicPayment:
    """Remove the payment recorded for the visit (a slip), leaving it in the audit trail."""
    with transaction.atomic():
        payment = (
            ClinicPayment.objects.select_for_update()
            .select_related("booking__patient", "clinic")
            .filter(booking_id=booking_id)
            .first()
        )
        if payment is None:
            raise ClinicPaymentError("No payment is recorded for this visit now.")
        payment.delete()
        record_action(
            action=AuditAction.CLINIC_PAYMENT_UNDONE,
            actor=by,
            subject=payment.booking.patient,
            clinic=payment.clinic,
            detail={
                "booking": booking_id,
                "amount_minor": payment.amount_minor,
                "method": payment.method,
            },
        )
    return payment


@dataclass
class Takings:
    """One clinic day's money: taken here (by method), paid online, visits still owing, and
    the missed or late-cancelled ones the clinic's policy may charge."""

    day: date
    currency: str
    taken: list[ClinicPayment]
    online: list[Payment]
    owing: list[Booking]
    missed: list[Booking] = field(default_factory=list)

    @property
    def by_method(self) -> dict[str, int]:
        """Taken at the clinic, per way of paying ("Cash": 4500), in the order first taken."""
        totals: dict[str, int] = {}
        for payment in self.taken:
            label = payment.get_method_display()
            totals[label] = totals.get(label, 0) + payment.amount_minor
        return totals

    @property
    def taken_total(self) -> int:
        return sum(p.amount_minor for p in self.taken)

    @property
    def online_total(self) -> int:
        return sum(p.amount_minor for p in self.online)

    @property
    def owing_total(self) -> int:
        return sum(b.price_minor for b in self.owing)


def _day_bounds(clinic: Clinic, day: date) -> tuple[datetime, datetime]:
    """The clinic day as instants, midnight to midnight on the clinic's clock."""
    midnight = time.min
    return wall_to_utc(day, midnight, clinic.tz), wall_to_utc(
        day + timedelta(days=1), midnight, clinic.tz
    )


def unpaid_visits(
    clinic: Clinic, *, start: datetime, end: datetime, statuses: tuple[str, ...]
) -> QuerySet[Booking]:
    """Visits paid at the clinic starting in [start, end), in ``statuses``, with nothing
    recorded."""
    return (
        Booking.objects.filter(
            clinic=clinic,
            payment_mode=PaymentMode.AT_CLINIC,
            price_minor__gt=0,
            status__in=statuses,
            starts_at__gte=start,
            starts_at__lt=end,
            clinic_payment__isnull=True,
        )
        .select_related("patient", "practitioner", "service")
        .order_by("starts_at", "pk")
    )


def takings_for_day(clinic: Clinic, day: date, *, now: datetime | None = None) -> Takings:
    """What the clinic took on ``day`` (its own time zone), and which visits that day still owe."""
    now = now or timezone.now()
    start, end = _day_bounds(clinic, day)
    taken = list(
        ClinicPayment.objects.filter(clinic=clinic, taken_at__gte=start, taken_at__lt=end)
        .select_related("booking__patient", "booking__practitioner", "booking__service", "taken_by")
        .order_by("taken_at", "pk")
    )
    online = list(
        # Refunded since or not: the day's takings are what came in that day.
        Payment.objects.filter(
            clinic=clinic, paid_at__gte=start, paid_at__lt=end, status__in=PAID_STATUSES
        )
        .select_related("booking__patient", "booking__practitioner", "booking__service")
        .order_by("paid_at", "pk")
    )
    return Takings(
        day=day,
        currency=clinic.currency,
        taken=taken,
        online=online,
        # Owing once started (attended, or not marked yet); visits still to come owe nothing.
        owing=list(unpaid_visits(clinic, start=start, end=min(end, now), statuses=OWING_STATUSES)),
        missed=list(unpaid_visits(clinic, start=start, end=end, statuses=MISSED_STATUSES)),
    )
