"""The demo clinic: the same people every time, so docs and tests can name them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.sites.models import Site
from django.db import transaction

from portal.authenticators import set_up_totp, totp_secret
from portal.models import Clinic, Role, User
from portal.services import user_set_role

DEMO_PASSWORD = "demo-clinic-2026"  # noqa: S105 - printed for the demo on purpose
# Every demo team member's authenticator app uses this secret (base32 of "riverside-demo-totp!"),
# so anyone trying the demo can add it to an app, or run `manage.py demo_totp`. Demo only: a
# real clinic's team enrol their own app at first sign-in.
DEMO_TOTP_SECRET = "OJUXMZLSONUWIZJNMRSW23ZNORXXI4BB"  # noqa: S105
# One-time recovery codes for each demo team member (each works once).
DEMO_RECOVERY_CODES = tuple(f"2026{n:04d}" for n in range(1, 11))


@dataclass(frozen=True)
class DemoPerson:
    email: str
    first_name: str
    last_name: str
    role: Role
    note: str = ""


CLINIC = {
    "slug": "riverside",
    "name": "Riverside Acupuncture",
    "address": "12 Mill Lane, Bristol BS1 4XE",
    "phone": "0117 496 0123",
    "email": "hello@riverside-acupuncture.example",
    "email_from": "Riverside Acupuncture <bookings@riverside-acupuncture.example>",
    "time_zone": "Europe/London",
    "currency": "GBP",
}

PEOPLE = [
    DemoPerson("owner@clinic.example", "Helen", "Marsh", Role.STAFF, "clinic owner, admin"),
    DemoPerson("desk@clinic.example", "Sam", "Okafor", Role.STAFF, "front desk"),
    DemoPerson("mei@clinic.example", "Mei", "Tanaka", Role.PRACTITIONER, "Japanese style"),
    DemoPerson("david@clinic.example", "David", "Rhys", Role.PRACTITIONER, "TCM, multibed"),
    DemoPerson("aisha@clinic.example", "Aisha", "Patel", Role.PRACTITIONER, "TCM"),
    DemoPerson(
        "alex@patient.example",
        "Alex",
        "Morgan",
        Role.PATIENT,
        "3 years of low back pain, Modic type 1, on tramadol",
    ),
    DemoPerson(
        "jordan@patient.example",
        "Jordan",
        "Reid",
        Role.PATIENT,
        "student parent, scoliosis, worried about cost",
    ),
    DemoPerson(
        "priya@patient.example",
        "Priya",
        "Shah",
        Role.PATIENT,
        "right-sided back pain into the buttock",
    ),
    DemoPerson(
        "tom@patient.example",
        "Tom",
        "Ellis",
        Role.PATIENT,
        "L5 decompression, re-herniated within three months",
    ),
]


@transaction.atomic
def seed_clinic() -> tuple[Clinic, list[User]]:
    """Create or refresh the demo clinic and its people; safe to run any number of times."""
    # The demo fills in the portal's own clinic (made on first page view if
    # the portal was opened before seeding) rather than adding a second one.
    clinic = Clinic.objects.current()
    for field, value in CLINIC.items():
        setattr(clinic, field, value)
    clinic.save()
    # Emails sent outside a request (by the worker) name the site, not example.com.
    Site.objects.update_or_create(
        pk=settings.SITE_ID,
        defaults={"domain": urlparse(settings.SITE_URL).netloc or "localhost", "name": clinic.name},
    )
    users = []
    for person in PEOPLE:
        # Emails are unique whatever their case (and login ignores it): adopt
        # an account someone typed as "Mei@Clinic.example" instead of
        # crashing on the constraint.
        user, created = User.objects.get_or_create(
            email__iexact=person.email,
            defaults={
                "email": person.email,
                "first_name": person.first_name,
                "last_name": person.last_name,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        user.email = person.email
        user.first_name, user.last_name = person.first_name, person.last_name
        user.is_superuser = person.email.startswith("owner@")
        user.save()
        user_set_role(user=user, role=person.role, clinic=clinic)
        EmailAddress.objects.filter(user=user).exclude(email=person.email).filter(
            email__iexact=person.email
        ).delete()
        EmailAddress.objects.update_or_create(
            user=user, email=person.email, defaults={"verified": True, "primary": True}
        )
        # Like the password: an authenticator someone set up themselves is kept on re-seeding.
        if person.role != Role.PATIENT and totp_secret(user) is None:
            set_up_totp(user, DEMO_TOTP_SECRET, DEMO_RECOVERY_CODES)
        users.append(user)
    return clinic, users
