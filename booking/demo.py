"""Demo services, hours and the multibed room for the demo clinic (idempotent)."""

from __future__ import annotations

from datetime import time

from django.db import transaction

from booking.models import (
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
