"""Whether a due message is still worth sending, so a backlog (a worker or beat down for a
weekend, a night of quiet hours) never turns into a burst of stale, duplicate or tone-deaf email.

Five rules, checked by ``outbox.deliver`` on the claimed row just before it is sent:

- every kind has a useful life (``USEFUL_LIFE``); past it the row is "expired", never sent late;
- a check-in, reminder or re-check about an older visit loses to one about a newer visit;
- nothing routine goes to a patient with an open emergency/urgent alert or same-day task, or
  whose treatment is on hold: the row is held and looked at again, and expires if the alert is
  still open when its useful life ends;
- at most one routine message per patient per clinic day: a second one waits for the next
  morning (and expires there if it is too late by then).
- guidance for a visit on a day the clinic has since closed (``booking.closures``) is held
  until the desk moves or cancels the visit, or the day reopens, and expires with the visit.

Safety messages (the patient's own advice, team alerts, a hold notice, booking confirmations
and cancellations) are never held by the routine rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import F

from booking.closures import closure_on
from booking.models import Booking
from followup.models import GUIDANCE_KINDS, MessageKind, OutboxMessage, OutboxStatus
from intake.models import PAGING_LEVELS, Alert, AlertLevel, PatientFlag
from portal.models import Clinic
from portal.services import lock_patient

# Messages a patient can do without on a given day: the rules below may hold or expire them.
ROUTINE_KINDS = frozenset(
    {
        MessageKind.PRE_VISIT,
        MessageKind.FIRST_VISIT,
        MessageKind.CHECKIN,
        MessageKind.CHECKIN_CHASER,
        MessageKind.RECHECK,
    }
)
# "How are you after your visit?" messages: only the newest visit's is worth asking.
CHECKIN_KINDS = frozenset({MessageKind.CHECKIN, MessageKind.CHECKIN_CHASER, MessageKind.RECHECK})
# Alerts during which a cheerful routine email would be wrong: the team is calling the patient.
BLOCKING_ALERT_LEVELS = PAGING_LEVELS | {AlertLevel.TODAY}
# How often a held routine row is looked at again while its alert or hold is open.
BLOCKED_RECHECK = timedelta(minutes=30)
# Statuses that mean "this message went, or will go": a superseded row loses to one of these.
LIVE_STATUSES = (
    OutboxStatus.PENDING,
    OutboxStatus.HELD,
    OutboxStatus.SENDING,
    OutboxStatus.SENT,
)


def _visit_start(
    message: OutboxMessage, booking: Booking | None, clinic: Clinic
) -> datetime | None:
    return booking.starts_at if booking is not None else None


def _visit_end(message: OutboxMessage, booking: Booking | None, clinic: Clinic) -> datetime | None:
    return booking.ends_at if booking is not None else None


def _checkin_due(
    message: OutboxMessage, booking: Booking | None, clinic: Clinic
) -> datetime | None:
    if booking is None:
        return None
    return booking.ends_at + timedelta(hours=clinic.checkin_after_hours)


def _chaser_due(message: OutboxMessage, booking: Booking | None, clinic: Clinic) -> datetime | None:
    # The reminder is due the set hours after the check-in actually went (late, after a backlog).
    if booking is None:
        return None
    sent = (
        OutboxMessage.objects.filter(booking=booking, kind=MessageKind.CHECKIN)
        .values_list("sent_at", flat=True)
        .first()
    )
    start = sent or _checkin_due(message, booking, clinic)
    return start + timedelta(hours=clinic.checkin_chaser_hours) if start else None


def _recheck_due(
    message: OutboxMessage, booking: Booking | None, clinic: Clinic
) -> datetime | None:
    if booking is None:
        return None
    return booking.ends_at + timedelta(days=clinic.recheck_after_days)


def _digest_due(message: OutboxMessage, booking: Booking | None, clinic: Clinic) -> datetime | None:
    return datetime.combine(date.fromisoformat(message.extra), clinic.alert_digest_time, clinic.tz)


@dataclass(frozen=True)
class Life:
    """A message is worth sending until ``anchor`` (computed from the visit, not from the row's
    ``due_at``, which quiet hours and retries move) plus ``length``."""

    anchor: Callable[[OutboxMessage, Booking | None, Clinic], datetime | None]
    length: timedelta


# Every kind's useful life, in one place. Kinds not listed never expire: the patient's advice
# and team alerts are about safety, a hold notice is re-checked against the open hold, and a
# cancellation records a change the patient must hear of even late.
USEFUL_LIFE: dict[MessageKind, Life] = {
    # Guidance is how to get ready for the visit: once it has started it can only confuse.
    MessageKind.PRE_VISIT: Life(_visit_start, timedelta(0)),
    MessageKind.FIRST_VISIT: Life(_visit_start, timedelta(0)),
    # The confirmation doubles as the visit's reminder (it carries the calendar file): after the
    # visit it is noise, or worse, reads like a new booking.
    MessageKind.BOOKING_CONFIRMED: Life(_visit_end, timedelta(0)),
    MessageKind.BOOKING_MOVED: Life(_visit_end, timedelta(0)),
    # A check-in asks how the days after the visit went: three days after it was due the answer
    # is memory rather than a signal, and the patient may have booked again. Issue 15 saw 8-day-
    # old check-ins sent after a backlog.
    MessageKind.CHECKIN: Life(_checkin_due, timedelta(hours=72)),
    MessageKind.CHECKIN_CHASER: Life(_chaser_due, timedelta(hours=72)),
    MessageKind.RECHECK: Life(_recheck_due, timedelta(hours=72)),
    # Tomorrow's digest lists what is still open: yesterday's is superseded by it.
    MessageKind.ALERT_DIGEST: Life(_digest_due, timedelta(hours=24)),
}


def expires_at(message: OutboxMessage, booking: Booking | None, clinic: Clinic) -> datetime | None:
    """When ``message`` stops being worth sending (None: never)."""
    life = USEFUL_LIFE.get(MessageKind(message.kind))
    if life is None:
        return None
    anchor = life.anchor(message, booking, clinic)
    return None if anchor is None else anchor + life.length


@dataclass(frozen=True)
class Expire:
    reason: str


@dataclass(frozen=True)
class Hold:
    until: datetime
    reason: str


def blocking_reason(patient_id: int, kind: MessageKind) -> str | None:
    """Why nothing routine may go to this patient now: an open urgent alert or same-day task, or
    (for check-ins; guidance has its own skip-and-replan) a treatment on hold."""
    if Alert.objects.filter(
        patient_id=patient_id, acknowledged_at__isnull=True, level__in=BLOCKING_ALERT_LEVELS
    ).exists():
        return "the patient has an open urgent alert or same-day task for the team."
    if (
        kind in CHECKIN_KINDS
        and PatientFlag.objects.holding_treatment().filter(patient_id=patient_id).exists()
    ):
        return "the patient's treatment is on hold until a practitioner clears a flag."
    return None


def _closed_that_day(booking: Booking, clinic: Clinic) -> str | None:
    """Why guidance for ``booking`` must wait: the clinic closed its day after it was booked
    (the visits stay booked until the desk moves or cancels them), which would send the
    patient to a locked door."""
    if closure_on(clinic, booking.starts_at.astimezone(clinic.tz).date()) is None:
        return None
    return "the clinic is closed on the day of the visit; move or cancel the visit."


def _superseded(message: OutboxMessage, booking: Booking) -> bool:
    """Whether a check-in-like row about a later visit of the same patient went or will go."""
    return (
        OutboxMessage.objects.filter(
            recipient_id=message.recipient_id,
            kind__in=CHECKIN_KINDS,
            status__in=LIVE_STATUSES,
            booking__starts_at__gt=booking.starts_at,
        )
        .exclude(pk=message.pk)
        .exists()
    )


def before_sending(
    message: OutboxMessage, *, booking: Booking | None, clinic: Clinic, now: datetime
) -> Expire | Hold | None:
    """The useful-life, newest-visit and open-alert rules for a claimed row: None to go on."""
    deadline = expires_at(message, booking, clinic)
    if deadline is not None and now > deadline:
        return Expire(f"Expired: no longer useful after {deadline:%Y-%m-%d %H:%M} UTC.")
    if message.kind not in ROUTINE_KINDS:
        return None
    if message.kind in CHECKIN_KINDS and booking is not None and _superseded(message, booking):
        return Expire("Expired: a message about a later visit replaces it.")
    reason = blocking_reason(message.recipient_id, MessageKind(message.kind))
    if reason is None and message.kind in GUIDANCE_KINDS and booking is not None:
        reason = _closed_that_day(booking, clinic)
    if reason is not None:
        until = now + BLOCKED_RECHECK
        if deadline is not None and until > deadline:
            # Still blocked when it stops being useful: say so now rather than hold it to die.
            return Expire(f"Expired while held: {reason}")
        return Hold(until, f"Held: {reason}")
    return None


def next_morning(now: datetime, clinic: Clinic) -> datetime:
    """The end of tomorrow's quiet hours: where a patient's second routine message waits."""
    tomorrow = now.astimezone(clinic.tz).date() + timedelta(days=1)
    return datetime.combine(tomorrow, clinic.quiet_hours_end, clinic.tz).astimezone(now.tzinfo)


def take_daily_slot(
    message: OutboxMessage, *, clinic: Clinic, now: datetime, batch: frozenset[int] = frozenset()
) -> Hold | None:
    """Let ``message`` be the patient's one routine message of the clinic day, or hold it.

    ``batch``: rows the same worker claimed with this one and sends after it, in turn; they are
    not "being sent" yet, so they do not take the slot (the first of them to be sent will).

    The patient's row is locked for the check so two workers sending two of their messages at
    once cannot both see "nothing sent today"; the loser is moved to the next morning in the same
    transaction, before the lock is released.
    """
    if message.kind not in ROUTINE_KINDS:
        return None
    local = now.astimezone(clinic.tz)
    day_start = datetime.combine(local.date(), datetime.min.time(), clinic.tz)
    with transaction.atomic():
        lock_patient(message.recipient_id)
        others = OutboxMessage.objects.filter(
            recipient_id=message.recipient_id, kind__in=ROUTINE_KINDS
        ).exclude(pk=message.pk)
        taken = (
            others.filter(status=OutboxStatus.SENT, sent_at__gte=day_start).exists()
            or others.filter(status=OutboxStatus.SENDING).exclude(pk__in=batch).exists()
        )
        if not taken:
            return None
        hold = Hold(next_morning(now, clinic), "Waiting: the patient had a message today.")
        park(message.pk, hold)
        return hold


def park(message_id: int, hold: Hold) -> None:
    """Put a claimed row back to wait; a hold is not a try, so it gives back the attempt."""
    OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.HELD,
        due_at=hold.until,
        enqueued_at=None,
        last_error=hold.reason[:500],
        attempts=F("attempts") - 1,
    )


def expire(message_id: int, reason: str) -> None:
    """Record that a claimed row will never be sent because it would arrive too late."""
    OutboxMessage.objects.filter(pk=message_id, status=OutboxStatus.SENDING).update(
        status=OutboxStatus.EXPIRED, last_error=reason[:500]
    )
