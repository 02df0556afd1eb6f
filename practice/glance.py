"""The facts a practitioner wants on each booking at a glance, for many bookings in few queries.

New or returning, money (free / paid / to pay / sliding amount), open flags (red flag, treat
more gently, review the course), intake missing and an unanswered check-in.

The facts come in two kinds. What a booking row says (price, status) and whether the patient
had a treatment before it depend on bookings alone, so the cached calendar keeps them
(``VisitFacts``, ``first_treatments``). Flags, intake, payments and check-ins are written by
other apps, often by bulk ``update()``: ``glance_for`` reads them fresh on every call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import Min
from django.utils import timezone

from booking.models import (
    KEPT_STATUSES,
    Booking,
    BookingStatus,
    PaymentMode,
    PriceRule,
    ServiceKind,
)
from followup.links import max_age
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage, OutboxStatus
from intake.models import PAUSING_FLAGS, FlagKind, IntakeResponse, PatientFlag, ResponseStatus
from payments.models import Payment, PaymentStatus
from portal import policy
from portal.templatetags.money import money
from practice.models import TreatmentRecord

TREATMENT_KINDS = (ServiceKind.PRIVATE, ServiceKind.MULTIBED)


class Badge(NamedTuple):
    """One label; ``tone`` picks the badge colour, the text always says it in words (a named
    tuple: the calendar hashes a hundred of them a request to find their HTML)."""

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
    red_flag: bool = False  # any flag that holds treatment (PAUSING_FLAGS)
    record_missing: bool = False  # attended treatment without its treatment record
    # A visit still to come for a patient with an open pausing flag: treatment is on hold.
    on_hold: bool = False

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


class VisitFacts(NamedTuple):
    """What the badges need from one booking row: small and plain, so it can be cached (a
    named tuple: a cached page unpickles a few dozen of them on every request)."""

    pk: int
    patient_id: int
    starts_at: datetime
    status: str
    price_minor: int
    currency: str
    payment_mode: str
    sliding: bool
    needs_record: bool  # an attended treatment: it wants a treatment record

    @classmethod
    def of(cls, booking: Booking) -> VisitFacts:
        return cls(
            pk=booking.pk,
            patient_id=booking.patient_id,
            starts_at=booking.starts_at,
            status=booking.status,
            price_minor=booking.price_minor,
            currency=booking.currency,
            payment_mode=booking.payment_mode,
            sliding=booking.service.price_rule == PriceRule.SLIDING,
            needs_record=booking.status == BookingStatus.ATTENDED
            and booking.kind != ServiceKind.ASSESSMENT,
        )


def money_badge(booking: Booking | VisitFacts, payment_status: str | None = None) -> Badge:
    """Paid, to pay, free or the sliding amount chosen, from the booking and its payment."""
    visit = booking if isinstance(booking, VisitFacts) else VisitFacts.of(booking)
    amount = money(visit.price_minor, visit.currency)
    if visit.price_minor == 0 or visit.payment_mode == PaymentMode.FREE:
        return Badge("Free", "", "free")
    sliding = " (sliding)" if visit.sliding else ""
    if payment_status in (PaymentStatus.SUCCEEDED, PaymentStatus.PARTLY_REFUNDED):
        return Badge(f"Paid {amount}{sliding}", "success", "paid")
    if payment_status == PaymentStatus.REFUNDED:
        return Badge("Refunded", "", "refunded")
    if visit.status == BookingStatus.HELD or payment_status == PaymentStatus.PENDING:
        return Badge("Awaiting payment", "warning", "to_pay")
    if visit.payment_mode == PaymentMode.ONLINE:
        return Badge(f"To pay {amount}{sliding}", "warning", "to_pay")
    # Paid at the clinic: until a payment is recorded the calendar only knows the amount due.
    return Badge(f"{amount} at clinic{sliding}", "", "at_clinic")


def _in(ids: Iterable[int]) -> tuple[str, list[Any]]:
    """A membership test and its parameters: one array on PostgreSQL (a page's hundred ids
    bound one by one cost more than the query), an ``IN`` list elsewhere (the demo's SQLite).
    """
    values = list(ids)
    if connection.vendor == "postgresql":
        return "= ANY(%s)", [values]
    values = values or [0]  # ``IN ()`` is not SQL
    return f"IN ({', '.join(['%s'] * len(values))})", values


def _live_rows(
    patient_ids: set[int], booking_ids: list[int], record_ids: list[int], now: datetime
) -> list[tuple[str, int, str]]:
    """Everything other apps write that the badges show, as (what, id, value) rows in one
    round trip: open flags, sent intakes, payments, unanswered check-ins (asked, link still
    valid, no answer for that visit and stage) and written treatment records.

    Plain SQL because the calendar runs this on every request: building the same five-part
    union through the ORM cost more than the query itself.
    """
    patients, patient_params = _in(patient_ids)
    bookings, booking_params = _in(booking_ids)
    flag, intake = PatientFlag._meta.db_table, IntakeResponse._meta.db_table
    payment, record = Payment._meta.db_table, TreatmentRecord._meta.db_table
    outbox, checkin = OutboxMessage._meta.db_table, CheckIn._meta.db_table
    # One NOT EXISTS whose stage follows the message (the re-check asks its own stage): the
    # planner's time is most of this query's, and two correlated branches cost it more.
    sql = f"""
        SELECT 'flag', patient_id, kind FROM {flag}
         WHERE cleared_at IS NULL AND patient_id {patients}
        UNION ALL
        SELECT 'intake', patient_id, '' FROM {intake}
         WHERE status = %s AND patient_id {patients}
        UNION ALL
        SELECT 'payment', booking_id, status FROM {payment} WHERE booking_id {bookings}
        UNION ALL
        SELECT 'checkin', m.recipient_id, '' FROM {outbox} m
         WHERE m.status = %s AND m.sent_at > %s AND m.recipient_id {patients}
           AND m.kind IN (%s, %s, %s) AND NOT EXISTS (
               SELECT 1 FROM {checkin} c WHERE c.booking_id = m.booking_id
                  AND c.stage = CASE WHEN m.kind = %s THEN %s ELSE %s END)
    """  # noqa: S608 - only table names and placeholders are formatted in
    params: list[Any] = [
        *patient_params,
        ResponseStatus.SUBMITTED,
        *patient_params,
        *booking_params,
        OutboxStatus.SENT,
        connection.ops.adapt_datetimefield_value(now - max_age()),
        *patient_params,
        MessageKind.CHECKIN,
        MessageKind.CHECKIN_CHASER,
        MessageKind.RECHECK,
        MessageKind.RECHECK,
        CheckInStage.RECHECK,
        CheckInStage.CHECKIN,
    ]
    if record_ids:  # only attended treatments want a record: none on a week ahead
        records, record_params = _in(record_ids)
        sql += f"""
        UNION ALL
        SELECT 'record', booking_id, '' FROM {record} WHERE booking_id {records}
        """  # noqa: S608 - likewise
        params += record_params
    return [(str(what), int(ref), str(value)) for what, ref, value in _planned_once(sql, params)]


def _planned_once(sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
    """Rows of a query the calendar sends on every request. On PostgreSQL it is bound on the
    server, so from its ``prepare_threshold``-th run on a connection (the database options)
    it is a prepared statement, not planned again: planning this union cost twice as much as
    running it. Django's own cursors bind on the client and never prepare."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
    from django.db.backends.postgresql.base import ServerBindingCursor

    # What ``connection.cursor()`` does, with the server-binding cursor class.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    raw: Any = ServerBindingCursor(connection.connection)  # type: ignore[call-arg]  # stubs
    wrap = connection.make_debug_cursor if connection.queries_logged else connection.make_cursor
    with wrap(raw) as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def first_treatments(patient_ids: Iterable[int]) -> dict[int, datetime]:
    """When each patient first had a treatment that went ahead (the assessment does not
    count): a visit after it is a returning patient's. Depends on bookings alone."""
    return dict(
        Booking.objects.filter(
            patient_id__in=set(patient_ids), kind__in=TREATMENT_KINDS, status__in=KEPT_STATUSES
        )
        .values("patient_id")
        .annotate(first=Min("starts_at"))
        .values_list("patient_id", "first")
    )


def glance_for(
    bookings: Iterable[Booking | VisitFacts],
    *,
    first_kept: dict[int, datetime] | None = None,
    now: datetime | None = None,
    viewer: Any = None,
) -> dict[int, Glance]:
    """At-a-glance facts per booking id, in a fixed number of queries however many bookings.

    ``first_kept`` (from ``first_treatments``) may come from a cache; the rest is read now.
    With ``viewer``, flags show only on patients whose record they may read (``portal.policy``).
    """
    visits = [b if isinstance(b, VisitFacts) else VisitFacts.of(b) for b in bookings]
    if not visits:
        return {}
    now = now or timezone.now()
    patient_ids = {v.patient_id for v in visits}
    if first_kept is None:
        first_kept = first_treatments(patient_ids)
    flags: dict[int, list[str]] = defaultdict(list)
    intake_done: set[int] = set()
    payments: dict[int, str] = {}
    unanswered: set[int] = set()
    recorded: set[int] = set()
    needing_record = [v.pk for v in visits if v.needs_record]
    for what, ref, value in _live_rows(patient_ids, [v.pk for v in visits], needing_record, now):
        if what == "flag":
            flags[ref].append(value)
        elif what == "intake":
            intake_done.add(ref)
        elif what == "payment":
            payments[ref] = value
        elif what == "checkin":
            unanswered.add(ref)
        else:
            recorded.add(ref)
    # Only asked when there are flags to hide: most pages then cost no extra query.
    readable = (
        None
        if viewer is None or not flags
        else policy.readable_among(viewer, {p for p in flags if p in patient_ids})
    )
    out = {}
    for v in visits:
        first: datetime | None = first_kept.get(v.patient_id)
        # A hold shows to everyone who sees the visit (it stops treatment); which flags, only
        # to those who may read the record.
        paused = any(k in PAUSING_FLAGS for k in flags.get(v.patient_id, []))
        shown = readable is None or v.patient_id in readable
        kinds = flags.get(v.patient_id, []) if shown else []
        out[v.pk] = Glance(
            is_new=first is None or first >= v.starts_at,
            money=money_badge(v, payments.get(v.pk)),
            flags=[FLAG_BADGES[FlagKind(k)] for k in kinds if k in FLAG_BADGES],
            intake_missing=v.patient_id not in intake_done,
            checkin_unanswered=v.patient_id in unanswered,
            treat_gently=FlagKind.TREAT_GENTLY in kinds,
            # Any flag that holds treatment marks the visit red on the calendar.
            red_flag=paused,
            record_missing=v.needs_record and v.pk not in recorded,
            on_hold=paused and v.status in HOLDABLE,
        )
    return out
