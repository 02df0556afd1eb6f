"""Demo services, hours and the multibed room for the demo clinic, and the sample patients'
courses of treatment (idempotent)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from booking.models import (
    Booking,
    BookingStatus,
    MultibedShift,
    Practitioner,
    Room,
    Service,
    ServiceKind,
    Weekday,
    WeeklyHours,
)
from portal.models import Clinic, Role, User

SERVICES = [
    dict(
        slug="initial-consultation",
        name="Initial consultation and treatment",
        kind=ServiceKind.PRIVATE,
        duration_minutes=60,
        buffer_after_minutes=15,
        price_minor=6500,
        position=1,
        description="A full conversation about your back and your health, then your first "
        "treatment.",
    ),
    dict(
        slug="follow-up",
        name="Follow-up treatment",
        kind=ServiceKind.PRIVATE,
        duration_minutes=45,
        buffer_after_minutes=15,
        price_minor=5000,
        position=2,
        description="For people already having a course of treatment with us.",
    ),
    dict(
        slug="free-assessment",
        name="Free 15-minute assessment",
        kind=ServiceKind.ASSESSMENT,
        duration_minutes=15,
        buffer_after_minutes=5,
        price_minor=0,
        position=3,
        description="Meet a practitioner, talk about your pain and ask anything before you decide.",
    ),
    dict(
        slug="community-clinic",
        name="Community clinic place",
        kind=ServiceKind.MULTIBED,
        duration_minutes=50,
        price_minor=2500,
        position=4,
        description="Treatment in our shared, quiet room, resting in a recliner. A lower fee.",
    ),
]

# Profiles patients read when choosing who to see (keyed by the practitioner's email).
PROFILES = {
    "mei@clinic.example": dict(
        title="Acupuncturist, BAcC",
        style="Gentle Japanese-style needling: fine needles, shallow and few. Good if you are "
        "nervous of needles or sensitive to treatment.",
        bio="Mei trained in Tokyo and London and has treated back and neck pain for twelve "
        "years. She works slowly, checks in often and is happy to turn the volume down if a "
        "treatment left you sore. Outside the clinic she teaches tai chi to beginners.",
    ),
    "david@clinic.example": dict(
        title="Acupuncturist, BAcC",
        style="Traditional Chinese acupuncture, and the community clinic on Tuesday and "
        "Thursday evenings.",
        bio="David has worked in NHS pain clinics and community acupuncture for fifteen years. "
        "He likes a plain conversation about what is realistic, and runs our shared room for "
        "people who want regular, lower-cost treatment.",
    ),
    "aisha@clinic.example": dict(
        title="Acupuncturist, BAcC",
        style="Traditional Chinese acupuncture with heat (moxa) and gentle stretching advice "
        "for long-standing back pain.",
        bio="Aisha was a physiotherapy assistant before she trained in acupuncture. She sees "
        "many people with sciatica and pain after surgery, and gives you a few simple things "
        "to do between visits.",
    ),
}

WEEKDAYS = [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]


@transaction.atomic
def seed_booking(clinic: Clinic) -> None:
    practitioners = []
    for user in User.objects.filter(role=Role.PRACTITIONER, clinic=clinic).order_by("pk"):
        p, _ = Practitioner.objects.update_or_create(
            user=user,
            defaults={
                "clinic": clinic,
                "display_name": user.get_full_name(),
                "title": "Acupuncturist",
                **PROFILES.get(user.email.lower(), {}),
            },
        )
        practitioners.append(p)
    services = {}
    for spec in SERVICES:
        s, _ = Service.objects.update_or_create(clinic=clinic, slug=spec["slug"], defaults=spec)
        services[spec["slug"]] = s
    room, _ = Room.objects.update_or_create(
        clinic=clinic, name="Community room", defaults={"recliners": 5}
    )
    # Weekly hours: mornings and afternoons; the multibed practitioner runs the room on Tue/Thu.
    for p in practitioners:
        if not p.hours.exists():
            for day in WEEKDAYS:
                WeeklyHours.objects.create(
                    practitioner=p, weekday=day, start_time=time(9), end_time=time(12, 30)
                )
                WeeklyHours.objects.create(
                    practitioner=p, weekday=day, start_time=time(13, 30), end_time=time(17, 30)
                )
    for slug in ("initial-consultation", "follow-up", "free-assessment"):
        services[slug].practitioners.set(practitioners)
    if len(practitioners) >= 2:
        runner = practitioners[1]
        services["community-clinic"].practitioners.set([runner])
        for day in (Weekday.TUESDAY, Weekday.THURSDAY):
            MultibedShift.objects.get_or_create(
                room=room,
                practitioner=runner,
                service=services["community-clinic"],
                weekday=day,
                defaults={
                    "start_time": time(17, 30),
                    "end_time": time(20, 30),
                    "start_interval_minutes": 15,
                    "max_new_per_start": 1,
                },
            )
        # The evening shift is outside the weekly hours, so no private visit can collide.


# --- The sample patients' courses -------------------------------------------------------------
# Each reads like a real course of acupuncture: weekly to begin with, then fortnightly, a missed
# visit, the next one already booked. Days are counted back from today (negative: still to come)
# and moved off the weekend, so the history is the same shape whatever day the demo starts.
# Other demo seeders hang their data on these visits by key (``history_key``): check-ins and
# their diary entries (followup.demo), evening diary notes (intake.demo), treatment records
# (practice.demo).

HISTORY_NAMESPACE = uuid.UUID("2f0b8e3c-5d4a-4c1e-9a77-6b1d0c3e8f21")


@dataclass(frozen=True)
class Visit:
    days_ago: int  # negative: booked, still to come
    slug: str
    status: str = BookingStatus.ATTENDED  # for past visits: attended, no_show, or confirmed
    practitioner: str = ""  # the course's practitioner unless given
    at: time | None = None  # the course's time unless given
    exact: bool = False  # keep the very day (a visit whose check-in falls due now)


@dataclass(frozen=True)
class Course:
    email: str
    practitioner: str
    at: time
    visits: tuple[Visit, ...]


COURSES = (
    # Alex (Modic type 1, on tramadol): sorer after the first two treatments, missed the next,
    # then gentler Japanese-style treatment and every other week.
    Course(
        "alex@patient.example",
        "mei@clinic.example",
        time(10),
        (
            Visit(36, "initial-consultation"),
            Visit(29, "follow-up"),
            Visit(22, "follow-up"),
            Visit(15, "follow-up", BookingStatus.NO_SHOW),
            Visit(8, "follow-up"),
            Visit(-6, "follow-up"),
        ),
    ),
    # Jordan (student parent, worried about cost): a free assessment, then the community clinic
    # every other week on the sliding scale.
    Course(
        "jordan@patient.example",
        "david@clinic.example",
        time(19),
        (
            Visit(38, "free-assessment", practitioner="mei@clinic.example", at=time(12)),
            Visit(26, "community-clinic"),
            Visit(12, "community-clinic"),
            Visit(-2, "community-clinic"),
        ),
    ),
    # Priya (treated here before): back for her right side, weekly then fortnightly, after work;
    # her latest visit was two days ago and nobody has marked it yet, so its check-in is due now.
    Course(
        "priya@patient.example",
        "mei@clinic.example",
        time(16, 30),
        (
            Visit(30, "follow-up"),
            Visit(23, "follow-up"),
            Visit(16, "follow-up"),
            Visit(2, "follow-up", BookingStatus.CONFIRMED, exact=True),
            Visit(-12, "follow-up"),
        ),
    ),
    # Tom (re-herniated L5): asked first whether acupuncture could help, then weekly; worse after
    # the last one and would like a call.
    Course(
        "tom@patient.example",
        "mei@clinic.example",
        time(11, 15),
        (
            Visit(31, "free-assessment"),
            Visit(24, "initial-consultation"),
            Visit(17, "follow-up"),
            Visit(10, "follow-up"),
            Visit(3, "follow-up"),
            Visit(-4, "follow-up"),
        ),
    ),
)


def history_key(email: str, number: int) -> uuid.UUID:
    """The fixed request key of the ``number``-th visit (from 0) of ``email``'s course."""
    return uuid.uuid5(HISTORY_NAMESPACE, f"{email}-{number}")


def _visit_day(today: date, visit: Visit, weekdays: frozenset[int]) -> date:
    day = today - timedelta(days=visit.days_ago)
    step = timedelta(days=-1 if visit.days_ago > 0 else 1)
    while not visit.exact and day.weekday() not in weekdays:
        day += step
    return day


@transaction.atomic
def seed_history(clinic: Clinic, *, now: datetime | None = None) -> list[Booking]:
    """Write the sample patients' courses once (each visit has a fixed key); returns them.

    Not part of ``seed_booking``: journeys tested on the bare booking demo start from patients
    with no visits. The seeders that hang data on the courses call it first."""
    now = now or timezone.now()
    today = now.astimezone(clinic.tz).date()
    services = {s.slug: s for s in Service.objects.filter(clinic=clinic)}
    team = {
        p.user.email: p for p in Practitioner.objects.filter(clinic=clinic).select_related("user")
    }
    patients = {u.email: u for u in User.objects.filter(email__in=[c.email for c in COURSES])}
    made = []
    for course in COURSES:
        patient = patients.get(course.email)
        for number, visit in enumerate(course.visits):
            service = services.get(visit.slug)
            practitioner = team.get(visit.practitioner or course.practitioner)
            if patient is None or service is None or practitioner is None:
                continue
            shift = service.shifts.filter(practitioner=practitioner).first()
            weekdays = (
                frozenset(s.weekday for s in service.shifts.all() if s.weekday is not None)
                if service.is_multibed
                else frozenset(range(5))
            )
            day = _visit_day(today, visit, weekdays or frozenset(range(5)))
            starts = datetime.combine(day, visit.at or course.at, tzinfo=clinic.tz)
            ends = starts + service.duration
            multibed = service.is_multibed
            upcoming = starts > now
            status = BookingStatus.CONFIRMED if upcoming else visit.status
            booking, _ = Booking.objects.get_or_create(
                request_key=history_key(course.email, number),
                defaults={
                    "clinic": clinic,
                    "patient": patient,
                    "service": service,
                    "kind": service.kind,
                    "practitioner": practitioner,
                    "room": shift.room if multibed and shift else None,
                    "starts_at": starts,
                    "ends_at": ends,
                    "blocked_from": starts - (timedelta() if multibed else service.buffer_before),
                    "blocked_until": ends + (timedelta() if multibed else service.buffer_after),
                    "status": status,
                    "price_minor": service.price_minor,
                    "currency": clinic.currency,
                    "booked_by": patient,
                    "arrived_at": starts if status == BookingStatus.ATTENDED else None,
                    "attendance_marked_at": (
                        ends if status in (BookingStatus.ATTENDED, BookingStatus.NO_SHOW) else None
                    ),
                },
            )
            made.append(booking)
    return made
