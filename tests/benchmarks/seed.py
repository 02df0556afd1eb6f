"""A busy clinic for the benchmarks, written with ``bulk_create``.

Four practitioners work Monday to Friday 09:00-17:30 and offer the private
services; a six-recliner room runs shifts every day of the week; about 5,000
bookings fill eight weeks (last week, this week and six more). The bookings are
placed by the rules ``booking.availability`` applies (the practitioner's hours,
extra hours and closed days, time off, shifts blocking their private time,
buffers, the slot grid, recliner capacity and new starts per multibed start), in
time order, so the result is a schedule the portal itself could have produced.
``count_overbookings`` checks the outcome independently of that code.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import connection
from django.db.models import Exists, OuterRef

from booking.demo import SERVICES
from booking.models import (
    ACTIVE_STATUSES,
    Booking,
    BookingStatus,
    DateException,
    ExceptionKind,
    MultibedShift,
    Practitioner,
    Room,
    Service,
    ServiceKind,
    TimeOff,
    Weekday,
    WeeklyHours,
)
from followup.models import OutboxMessage
from intake.models import IntakeResponse, ResponseStatus
from intake.questionnaire import FULL
from payments.models import Payment
from portal.models import Clinic, Role, User
from tests.intake.factories import full_answers

Interval = tuple[datetime, datetime]

WEEKS = 8
RECLINERS = 6
SHIFT_INTERVAL_MINUTES = 10
MAX_NEW_PER_START = 2
RETURNING_PATIENTS = 600
NEW_PATIENTS = 600  # one free assessment each
WORKDAYS = (Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY)
# Private visits booked, by service: mostly follow-ups.
PRIVATE_MIX = (("follow-up", 0.6), ("initial-consultation", 0.3), ("free-assessment", 0.1))
CANCELLED_SHARE = 0.04  # a cancelled booking left behind where someone else then booked


@dataclass
class World:
    clinic: Clinic
    practitioners: list[Practitioner]
    services: dict[str, Service]
    room: Room
    patient: User  # signs in for the pages
    returning: list[int]  # patients with a past treatment (no new-patient limit)
    first_day: date
    last_day: date
    busy_monday: date  # next week: fully inside the seeded range
    counts: Counter[str] = field(default_factory=Counter)

    @property
    def private(self) -> Service:
        return self.services["follow-up"]

    @property
    def multibed(self) -> Service:
        return self.services["community-clinic"]


def _utc(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def _meets(intervals: list[Interval], start: datetime, end: datetime) -> bool:
    return any(s < end and start < e for s, e in intervals)


def _fill(day: date, today: date) -> float:
    """How full a day is: the next weeks almost fully booked, later ones less so."""
    weeks_ahead = max(0, (day - today).days) // 7
    return max(0.7, 0.93 - 0.04 * weeks_ahead)


def _users(prefix: str, count: int, role: Role, clinic: Clinic) -> list[User]:
    password = make_password(None)  # unusable; hashing real passwords would dominate the seed
    return User.objects.bulk_create(
        User(
            email=f"{prefix}{i}@bench.example",
            first_name=prefix.title(),
            last_name=str(i),
            role=role,
            clinic=clinic,
            password=password,
        )
        for i in range(count)
    )


def seed_world(now: datetime, *, rng_seed: int = 20261121) -> World:
    rng = random.Random(rng_seed)
    clinic = Clinic.objects.current()
    clinic.name = "Riverside Acupuncture"
    clinic.save(update_fields=["name"])
    tz = clinic.tz
    today = now.astimezone(tz).date()
    this_monday = today - timedelta(days=today.weekday())
    first_day = this_monday - timedelta(weeks=1)
    last_day = first_day + timedelta(weeks=WEEKS, days=-1)

    staff = _users("practitioner", 4, Role.PRACTITIONER, clinic)
    practitioners = Practitioner.objects.bulk_create(
        Practitioner(
            user=u, clinic=clinic, display_name=f"Practitioner {i + 1}", title="Acupuncturist"
        )
        for i, u in enumerate(staff)
    )
    pids = [p.pk for p in practitioners]
    services: dict[str, Service] = {}
    for spec in SERVICES:
        service, _ = Service.objects.update_or_create(
            clinic=clinic, slug=spec["slug"], defaults=spec
        )
        service.practitioners.set(practitioners)
        services[service.slug] = service
    multibed = services["community-clinic"]
    room = Room.objects.create(clinic=clinic, name="Community room", recliners=RECLINERS)

    hours = [(time(9), time(17, 30))]
    WeeklyHours.objects.bulk_create(
        WeeklyHours(practitioner_id=pid, weekday=d, start_time=s, end_time=e)
        for pid in pids
        for d in WORKDAYS
        for s, e in hours
    )
    # The room runs all week; on weekdays two practitioners lose half a day of private time.
    shift_specs: list[tuple[int, time, time, int]] = []
    for d in WORKDAYS:
        shift_specs += [
            (d, time(8), time(13), pids[d % 4]),
            (d, time(13), time(17, 30), pids[(d + 1) % 4]),
            (d, time(17, 30), time(21), pids[(d + 2) % 4]),
        ]
    for d in (Weekday.SATURDAY, Weekday.SUNDAY):
        shift_specs += [(d, time(9), time(13), pids[d % 4]), (d, time(13), time(17), pids[1])]
    shifts = MultibedShift.objects.bulk_create(
        MultibedShift(
            room=room,
            practitioner_id=pid,
            service=multibed,
            weekday=d,
            start_time=s,
            end_time=e,
            start_interval_minutes=SHIFT_INTERVAL_MINUTES,
            max_new_per_start=MAX_NEW_PER_START,
        )
        for d, s, e, pid in shift_specs
    )

    # A little irregularity: a closed day, extra hours and an afternoon off.
    closed = {(pids[0], this_monday + timedelta(weeks=3, days=4))}
    extra = {(pids[2], this_monday + timedelta(weeks=2, days=5)): [(time(9), time(12))]}
    off_day = this_monday + timedelta(weeks=1, days=2)
    time_off = {pids[3]: [(_utc(off_day, time(13), tz), _utc(off_day, time(17, 30), tz))]}
    DateException.objects.bulk_create(
        [
            DateException(practitioner_id=pid, date=day, kind=ExceptionKind.CLOSED)
            for pid, day in closed
        ]
        + [
            DateException(
                practitioner_id=pid, date=day, kind=ExceptionKind.EXTRA, start_time=s, end_time=e
            )
            for (pid, day), ranges in extra.items()
            for s, e in ranges
        ]
    )
    TimeOff.objects.bulk_create(
        TimeOff(practitioner_id=pid, starts_at=s, ends_at=e)
        for pid, ranges in time_off.items()
        for s, e in ranges
    )

    returning = [u.pk for u in _users("patient", RETURNING_PATIENTS, Role.PATIENT, clinic)]
    newcomers = iter(u.pk for u in _users("newcomer", NEW_PATIENTS, Role.PATIENT, clinic))

    bookings: list[Booking] = []

    def book(service: Service, pid: int, start: datetime, *, patient_id: int) -> None:
        end = start + service.duration
        multibed_ = service.is_multibed
        kwargs = dict(
            clinic=clinic,
            service=service,
            kind=service.kind,
            practitioner_id=pid,
            room=room if multibed_ else None,
            starts_at=start,
            ends_at=end,
            blocked_from=start if multibed_ else start - service.buffer_before,
            blocked_until=end if multibed_ else end + service.buffer_after,
            price_minor=service.price_minor,
            currency=clinic.currency,
        )
        bookings.append(Booking(patient_id=patient_id, booked_by_id=patient_id, **kwargs))
        if service.kind != ServiceKind.ASSESSMENT and rng.random() < CANCELLED_SHARE:
            other = rng.choice(returning)
            bookings.append(
                Booking(
                    patient_id=other,
                    booked_by_id=other,
                    status=BookingStatus.CANCELLED,
                    cancelled_at=start - timedelta(days=2),
                    **kwargs,
                )
            )

    def patient_for(service: Service) -> int:
        return next(newcomers) if service.kind == ServiceKind.ASSESSMENT else rng.choice(returning)

    day = first_day
    names = [name for name, _ in PRIVATE_MIX]
    weights = [weight for _, weight in PRIVATE_MIX]
    while day <= last_day:
        fill = _fill(day, today)
        # What blocks each practitioner's private time today: time off and every shift.
        blocked: dict[int, list[Interval]] = defaultdict(list)
        for pid, off in time_off.items():
            blocked[pid] += off
        todays_shifts = [s for s in shifts if s.weekday == day.weekday()]
        for shift in todays_shifts:
            blocked[shift.practitioner_id].append(
                (_utc(day, shift.start_time, tz), _utc(day, shift.end_time, tz))
            )
        # Private visits, practitioner by practitioner, in time order.
        for pid in pids:
            if (pid, day) in closed:
                continue
            working = (hours if day.weekday() in WORKDAYS else []) + extra.get((pid, day), [])
            for start_t, end_t in working:
                at, end = _utc(day, start_t, tz), _utc(day, end_t, tz)
                step = timedelta(minutes=15)
                while at < end:
                    service = services[rng.choices(names, weights)[0]]
                    assert service.slot_step_minutes == 15
                    span = (
                        at - service.buffer_before,
                        at + service.duration + service.buffer_after,
                    )
                    if at + service.duration > end or _meets(blocked[pid], *span):
                        at += step
                    elif rng.random() < fill:
                        book(service, pid, at, patient_id=patient_for(service))
                        blocked[pid].append(span)
                        while at < span[1]:
                            at += step
                    else:
                        at += timedelta(hours=1)  # an hour nobody has booked (yet)
        # The multibed room: each start takes what the recliners and the start allow.
        stays: list[Interval] = []
        for shift in sorted(todays_shifts, key=lambda s: s.start_time):
            if (shift.practitioner_id, day) in closed:
                continue
            at, end = _utc(day, shift.start_time, tz), _utc(day, shift.end_time, tz)
            while at + multibed.duration <= end:
                stay = (at, at + multibed.duration)
                if not _meets(time_off.get(shift.practitioner_id, []), *stay):
                    peak = sum(1 for s, e in stays if s < stay[1] and stay[0] < e)
                    left = min(RECLINERS - peak, shift.max_new_per_start)
                    for _ in range(max(0, left)):
                        if rng.random() < fill:
                            book(
                                multibed,
                                shift.practitioner_id,
                                at,
                                patient_id=patient_for(multibed),
                            )
                            stays.append(stay)
                at += timedelta(minutes=shift.start_interval_minutes)
        day += timedelta(days=1)

    Booking.objects.bulk_create(bookings, batch_size=1000)
    if connection.vendor == "postgresql":
        # Planner statistics, as autovacuum keeps them on a live database; without them
        # the freshly loaded table is planned as if it were empty.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    counts: Counter[str] = Counter()
    for b in bookings:
        counts[f"{b.kind} {b.status}"] += 1
    counts["total"] = len(bookings)

    # Returning patients have sent the questionnaire: intake's gate runs its checks and lets
    # them book, and the booking pages show them times, as in production.
    IntakeResponse.objects.bulk_create(
        IntakeResponse(
            clinic=clinic,
            patient_id=pid,
            kind=FULL,
            version=2,
            status=ResponseStatus.SUBMITTED,
            answers=full_answers(),
            submitted_at=now,
        )
        for pid in returning
    )
    patient = User.objects.get(pk=returning[0])  # signs in for the pages
    return World(
        clinic=clinic,
        practitioners=practitioners,
        services={
            slug: Service.objects.select_related("clinic").get(pk=s.pk)
            for slug, s in services.items()
        },
        room=room,
        patient=patient,
        returning=returning,
        first_day=first_day,
        last_day=last_day,
        busy_monday=this_monday + timedelta(weeks=1),
        counts=counts,
    )


def count_overbookings() -> int:
    """Places given twice: overlapping private visits, or a room/start over its capacity."""
    active = Booking.objects.filter(status__in=ACTIVE_STATUSES)
    private = active.exclude(kind=ServiceKind.MULTIBED)
    clashes = private.filter(
        Exists(
            private.filter(
                practitioner_id=OuterRef("practitioner_id"),
                pk__lt=OuterRef("pk"),
                blocked_from__lt=OuterRef("blocked_until"),
                blocked_until__gt=OuterRef("blocked_from"),
            )
        )
    ).count()

    capacity = dict(Room.objects.values_list("pk", "recliners"))
    per_start: dict[int, int] = {}
    for room_id, limit in MultibedShift.objects.values_list("room_id", "max_new_per_start"):
        per_start[room_id] = max(limit, per_start.get(room_id, 0))
    stays = active.filter(kind=ServiceKind.MULTIBED, room__isnull=False)
    excess = 0
    events: dict[int, list[tuple[datetime, int]]] = defaultdict(list)
    starts: Counter[tuple[int, datetime]] = Counter()
    for room_id, starts_at, ends_at in stays.values_list("room_id", "starts_at", "ends_at"):
        events[room_id] += [(starts_at, 1), (ends_at, -1)]
        starts[(room_id, starts_at)] += 1
    for room_id, room_events in events.items():
        in_use = 0
        for _, delta in sorted(room_events):  # at equal times a leaver (-1) goes first
            in_use += delta
            if delta > 0 and in_use > capacity[room_id]:
                excess += 1
    for (room_id, _), n in starts.items():
        excess += max(0, n - per_start.get(room_id, 1))
    return clashes + excess


def vacuum_outbox() -> None:
    """Clear the outbox's dead rows after a benchmark rewrote tens of thousands of them: left to
    autovacuum, they slow what runs next, and PostgreSQL's foreign-key check on each deleted
    booking (a plan made while the table was small) scans them all: minutes, not milliseconds."""
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {OutboxMessage._meta.db_table}")


def remove_bookings(ids: list[int]) -> None:
    """Delete bookings a benchmark made, with what protects them: the outbox rows written in
    the booking's own transaction (confirmations) and their payments."""
    OutboxMessage.objects.filter(booking_id__in=ids).delete()
    Payment.objects.filter(booking_id__in=ids).delete()
    vacuum_outbox()
    for start in range(0, len(ids), 10000):
        Booking.objects.filter(pk__in=ids[start : start + 10000]).delete()
