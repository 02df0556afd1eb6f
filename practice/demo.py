"""Demo data for the practitioner workspace: a lived-in week (idempotent).

Mei has private visits every weekday of this week and the next (her regulars once a week, the
sample patients' courses from booking.demo between them), David runs the community room on
Tuesday and Thursday evenings for its weekly regulars. Visits already past are attended with
treatment records; one sample patient carries a "treat more gently" flag, so the calendar's
badges have something to say.
Bookings are written directly (not through ``booking_create``) because past ones
cannot be booked; the times follow the demo hours so nothing overlaps.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from booking.demo import history_key, seed_history
from booking.models import (
    Booking,
    BookingStatus,
    MultibedShift,
    Practitioner,
    Service,
    ServiceKind,
)
from intake.models import FlagKind
from intake.services import flag_raise
from portal.models import Clinic, Role, User
from practice.models import Depth, Stimulation, TreatmentRecord
from practice.services import TreatmentDetails, treatment_record_save

# The community room's regulars: the first half come on Tuesdays, the rest on Thursdays, each
# weekly at the same time.
COMMUNITY_PATIENTS = [
    ("Rosa", "Diaz"),
    ("Ben", "Carter"),
    ("Nadia", "Hussain"),
    ("Owen", "Price"),
    ("Lucy", "Baker"),
    ("Kwame", "Mensah"),
    ("Ellen", "Shaw"),
    ("Joe", "Fraser"),
    ("Hannah", "Wells"),
    ("Dev", "Mistry"),
    ("Margaret", "Doyle"),
    ("Sean", "Byrne"),
]
# Mei's other private patients, one visit a week each.
PRIVATE_PATIENTS = [
    ("Grace", "Lin"),
    ("Harry", "Dunn"),
    ("Sofia", "Russo"),
    ("Ade", "Bello"),
    ("Clare", "Wood"),
    ("Imran", "Khan"),
    ("Fiona", "Gray"),
    ("Nia", "Roberts"),
]
# (weekday, hour, minute, patient email, service slug): Mei's private week. The sample patients'
# own visits (booking.demo.COURSES) sit at 10:00, 11:15 and 16:30, between these.
MEI_WEEK = [
    (0, 9, 0, "grace.lin@patient.example", "follow-up"),
    (0, 14, 0, "harry.dunn@patient.example", "follow-up"),
    (1, 9, 0, "sofia.russo@patient.example", "follow-up"),
    (1, 14, 0, "ade.bello@patient.example", "initial-consultation"),
    (2, 9, 0, "clare.wood@patient.example", "follow-up"),
    (2, 14, 0, "imran.khan@patient.example", "free-assessment"),
    (3, 9, 0, "fiona.gray@patient.example", "follow-up"),
    (4, 9, 0, "nia.roberts@patient.example", "follow-up"),
]
# Minutes after the shift starts at which each regular arrives (one per start).
ROOM_ARRIVALS = [0, 15, 30, 45, 60, 75]
RECORDS = [
    ("Lower back: BL23, BL25, BL40; GB30 right. Hua Tuo Jia Ji L4-L5.", 10, "standard", "moderate"),
    ("Neck and shoulders: GB20, GB21, SI3, LI4.", 8, "shallow", "gentle"),
    ("Lumbar and buttock, right: BL25, BL54, GB30, GB34.", 12, "standard", "moderate"),
    ("Lower back, gently: BL23, BL40, KI3. Few needles, barely inserted.", 5, "shallow", "gentle"),
]
# Which record each sample patient's treatments carry, by the visit's number in its course:
# Alex's treatment is turned down after the first sore ones.
HISTORY_RECORDS = {
    "alex@patient.example": {0: 0, 1: 0, 2: 0, 4: 3},
    "jordan@patient.example": {1: 1, 2: 1},
    "priya@patient.example": {0: 2, 1: 2, 2: 2},
    "tom@patient.example": {1: 0, 2: 0, 3: 0, 4: 0},
}


def _patients(clinic: Clinic) -> dict[str, User]:
    people = {u.email: u for u in User.objects.filter(role=Role.PATIENT, clinic=clinic)}
    for first, last in COMMUNITY_PATIENTS + PRIVATE_PATIENTS:
        email = f"{first.lower()}.{last.lower()}@patient.example"
        if email not in people:
            user = User.objects.create_user(
                email, None, first_name=first, last_name=last, clinic=clinic
            )
            user.set_unusable_password()
            user.save(update_fields=["password"])
            people[email] = user
    return people


def _place(
    *,
    patient: User,
    service: Service,
    practitioner: Practitioner,
    starts_at: datetime,
    now: datetime,
    room_id: int | None = None,
) -> Booking:
    ends_at = starts_at + service.duration
    multibed = service.kind == ServiceKind.MULTIBED
    booking, _ = Booking.objects.get_or_create(
        patient=patient,
        practitioner=practitioner,
        starts_at=starts_at,
        defaults={
            "clinic": service.clinic,
            "service": service,
            "kind": service.kind,
            "room_id": room_id,
            "ends_at": ends_at,
            "blocked_from": starts_at - (timedelta() if multibed else service.buffer_before),
            "blocked_until": ends_at + (timedelta() if multibed else service.buffer_after),
            "status": BookingStatus.ATTENDED if ends_at <= now else BookingStatus.CONFIRMED,
            "price_minor": service.price_minor,
            "currency": service.clinic.currency,
            "arrived_at": starts_at if ends_at <= now else None,
            "attendance_marked_at": ends_at if ends_at <= now else None,
        },
    )
    return booking


def _record(booking: Booking, index: int) -> None:
    if booking.status != BookingStatus.ATTENDED or booking.kind == ServiceKind.ASSESSMENT:
        return
    if TreatmentRecord.objects.filter(booking=booking).exists():
        return  # seeded before (and perhaps edited while trying the demo): keep it
    areas, needles, depth, stimulation = RECORDS[index % len(RECORDS)]
    gentle = stimulation == "gentle"
    treatment_record_save(
        booking=booking,
        by=booking.practitioner.user,
        details=TreatmentDetails(
            areas_and_points=areas,
            needle_count=needles,
            depth=Depth(depth),
            stimulation=Stimulation(stimulation),
            style="Japanese" if gentle else "TCM",
            reaction=(
                "Relaxed, slept for part of the rest."
                if gentle
                else "Relaxed, slept for part of the rest. Slight ache at GB30 afterwards."
            ),
            plan_next_time="Same points; check how the back was over the 48 hours.",
        ),
    )


def _record_history() -> None:
    """The sample patients' attended treatments carry the record that fits them."""
    for email, by_number in HISTORY_RECORDS.items():
        for number, record in by_number.items():
            visit = Booking.objects.filter(request_key=history_key(email, number)).first()
            if visit is not None:
                _record(visit, record)


@transaction.atomic
def seed_practice(clinic: Clinic, *, now: datetime | None = None) -> None:
    """Fill the current week for the demo practitioners (safe to run again)."""
    seed_history(clinic)  # the visits this hangs on (idempotent)
    now = now or timezone.now()
    tz = clinic.tz
    today = now.astimezone(tz).date()
    monday = today - timedelta(days=today.weekday())
    practitioners = list(Practitioner.objects.filter(clinic=clinic).select_related("user"))
    by_email = {p.user.email: p for p in practitioners}
    services = {s.slug: s for s in Service.objects.filter(clinic=clinic)}
    people = _patients(clinic)
    mei = by_email.get("mei@clinic.example")
    # This week and the next, so a demo opened on a Friday or at the weekend still has a
    # week ahead to click through.
    weeks = (monday, monday + timedelta(days=7))
    if mei is not None and {"follow-up", "initial-consultation"} <= set(services):
        for index, (week, (weekday, hour, minute, email, slug)) in enumerate(
            (w, visit) for w in weeks for visit in MEI_WEEK
        ):
            if email not in people or slug not in services:
                continue
            if week != monday:
                # The next week: after the assessment, or the first treatment, a follow-up.
                if slug == "free-assessment":
                    continue
                slug = "follow-up"
            day = week + timedelta(days=weekday)
            starts_at = datetime.combine(day, time(hour, minute), tzinfo=tz)
            booking = _place(
                patient=people[email],
                service=services[slug],
                practitioner=mei,
                starts_at=starts_at,
                now=now,
            )
            _record(booking, index)
    shifts = list(
        MultibedShift.objects.filter(room__clinic=clinic, weekday__isnull=False)
        .select_related("service")
        .order_by("weekday", "start_time")
    )
    community = [
        people[f"{f.lower()}.{la.lower()}@patient.example"] for f, la in COMMUNITY_PATIENTS
    ]
    group = max(1, len(community) // max(1, len(shifts)))
    for week in weeks:
        for n, shift in enumerate(shifts):
            day = week + timedelta(days=shift.weekday or 0)
            opens = datetime.combine(day, shift.start_time, tzinfo=tz)
            closes = datetime.combine(day, shift.end_time, tzinfo=tz)
            regulars = community[n * group : (n + 1) * group]
            for index, (minutes, patient) in enumerate(zip(ROOM_ARRIVALS, regulars, strict=False)):
                starts_at = opens + timedelta(minutes=minutes)
                if starts_at + shift.service.duration > closes:
                    break
                booking = _place(
                    patient=patient,
                    service=shift.service,
                    practitioner=shift.practitioner,
                    starts_at=starts_at,
                    now=now,
                    room_id=shift.room_id,
                )
                _record(booking, index)
    _record_history()
    alex = people.get("alex@patient.example")
    if alex is not None:
        flag_raise(
            patient=alex,
            kind=FlagKind.TREAT_GENTLY,
            reason="Felt much worse for several days after the first two sessions here.",
        )
