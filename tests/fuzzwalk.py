"""Every URL pattern of the portal, filled in from a small seeded world, for tests that walk
all pages as every role (the no-5xx fuzz test in tests/fuzz).

The patterns come from the URL resolver, so a new page is walked without anyone listing
it; its path arguments are filled by name from the world (a URL whose arguments are not
known here fails ``test_every_pattern_can_be_filled`` until this module learns them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from booking.models import Booking, BookingStatus, DateException, Practitioner, TimeOff
from followup.links import make_token
from followup.models import CheckInStage
from intake.models import Alert, IntakeResponse, PatientFlag, ResponseStatus
from intake.questionnaire import FULL, current
from intake.services import intake_start
from payments.models import FeeReduction, Payment, PaymentStatus
from portal.models import User
from practice.models import CalendarFeed

ROLES = ("anonymous", "patient", "practitioner", "desk", "owner")

# Django's own admin is left out: its pages are Django's (branch admin-mfa narrows who
# reaches them), and a hundred of them would crowd the portal's pages out of the budget.
ADMIN_PREFIX = "admin/"

# Path arguments by URL name, then by argument name: the key of the value in World.values.
BY_NAME: dict[str, dict[str, str]] = {
    "intake:response": {"pk": "submitted"},
    "intake:sent": {"pk": "submitted"},
    "intake:review": {"pk": "draft"},
    "intake:step": {"pk": "draft", "slug": "section"},
    "intake:autosave": {"pk": "draft", "slug": "section"},
    "intake:practice_intake": {"patient_id": "patient"},
    "intake:practice_diary": {"patient_id": "patient"},
    "intake:acknowledge_alert": {"pk": "alert"},
    "intake:clear_flag": {"pk": "flag"},
    "payments:pay": {"pk": "paid_booking"},
    "payments:pay_status": {"pk": "paid_booking"},
    "payments:cancel": {"pk": "paid_booking"},
    "payments:receipt": {"pk": "payment"},
    "payments:fee_reduction_decide": {"pk": "fee_reduction"},
    "practice:patient": {"pk": "patient"},
    "practice:hours_remove": {"pk": "hours"},
    "practice:exception_remove": {"pk": "exception"},
    "practice:time_off_remove": {"pk": "time_off"},
    "practice:ics": {"token": "feed_token"},
    "followup:checkin": {"token": "checkin_token"},
}
BY_ARGUMENT = {
    "pk": "booking",
    "slug": "service",
    "patient_id": "patient",
    "key": "nonsense",
    "uidb36": "nonsense",
}


@dataclass(frozen=True)
class World:
    """The people of each role (None for anonymous) and the objects the URLs name."""

    users: dict[str, User | None]
    values: dict[str, str]


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    arguments: tuple[str, ...]


def seed_world() -> World:
    """The demo clinic (``seed_demo``) and what it lacks: a draft questionnaire, a card
    payment, a dated change, time off, a calendar feed and a check-in link."""
    call_command("seed_demo", stdout=StringIO())
    alex = User.objects.get(email="alex@patient.example")
    mei = Practitioner.objects.get(user__email="mei@clinic.example")
    now = timezone.now()
    upcoming = (
        Booking.objects.filter(patient=alex, status=BookingStatus.CONFIRMED, starts_at__gt=now)
        .order_by("starts_at")
        .first()
    )
    past = Booking.objects.filter(patient=alex, status=BookingStatus.ATTENDED).first()
    assert upcoming is not None and past is not None, "the demo gives Alex visits"
    paid = (
        Booking.objects.filter(patient=alex, status=BookingStatus.CONFIRMED, starts_at__gt=now)
        .exclude(pk=upcoming.pk)
        .order_by("starts_at")
        .first()
        or past
    )
    payment = Payment.objects.create(
        booking=paid,
        clinic=paid.clinic,
        patient=alex,
        amount_minor=5000,
        currency="GBP",
        status=PaymentStatus.SUCCEEDED,
        paid_at=now,
    )
    submitted = IntakeResponse.objects.filter(patient=alex, status=ResponseStatus.SUBMITTED).first()
    assert submitted is not None, "the demo gives Alex a questionnaire"
    draft = intake_start(patient=alex, kind=FULL)
    alert = Alert.objects.filter(patient=alex).first() or Alert.objects.first()
    flag = PatientFlag.objects.filter(patient=alex).first() or PatientFlag.objects.first()
    fee_reduction = FeeReduction.objects.first()
    assert alert and flag and fee_reduction, "the demo has alerts, flags and a fee request"
    hours = mei.hours.first()
    assert hours is not None
    day = (now + timedelta(days=20)).date()
    exception = DateException.objects.create(practitioner=mei, date=day, kind="closed")
    time_off = TimeOff.objects.create(
        practitioner=mei, starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=31)
    )
    feed, _ = CalendarFeed.objects.get_or_create(practitioner=mei)
    users: dict[str, User | None] = {
        "anonymous": None,
        "patient": alex,
        "practitioner": mei.user,
        "desk": User.objects.get(email="desk@clinic.example"),
        "owner": User.objects.get(email="owner@clinic.example"),
    }
    values = {
        "booking": upcoming.pk,
        "paid_booking": paid.pk,
        "past_booking": past.pk,
        "payment": payment.pk,
        "patient": alex.pk,
        "submitted": submitted.pk,
        "draft": draft.pk,
        "section": current(FULL).sections[0].slug,
        "alert": alert.pk,
        "flag": flag.pk,
        "fee_reduction": fee_reduction.pk,
        "hours": hours.pk,
        "exception": exception.pk,
        "time_off": time_off.pk,
        "service": upcoming.service.slug,
        "feed_token": feed.token,
        "checkin_token": make_token(booking_id=past.pk, stage=CheckInStage.CHECKIN),
        "nonsense": "x1",
    }
    return World(users=users, values={k: str(v) for k, v in values.items()})


def _arguments(pattern: URLPattern | URLResolver) -> tuple[str, ...]:
    regex = pattern.pattern.regex
    return tuple(regex.groupindex)


def _walk(
    patterns: list[URLPattern | URLResolver], prefix: str, namespace: str | None
) -> list[Route]:
    routes: list[Route] = []
    for item in patterns:
        if isinstance(item, URLResolver):
            inner = item.namespace
            spaced = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            nested = _walk(item.url_patterns, prefix + str(item.pattern), spaced)
            routes += [Route(r.name, r.pattern, _arguments(item) + r.arguments) for r in nested]
        elif item.name:
            name = f"{namespace}:{item.name}" if namespace else item.name
            routes.append(Route(name, prefix + str(item.pattern), _arguments(item)))
    return routes


def routes() -> list[Route]:
    """Every named URL pattern, from the resolver (Django's admin left out)."""
    found = _walk(get_resolver().url_patterns, "", None)
    return [r for r in found if not r.pattern.startswith(ADMIN_PREFIX)]


def fill(route: Route, world: World) -> dict[str, str]:
    """The path arguments of ``route`` from the world; KeyError for an unknown argument."""
    special = BY_NAME.get(route.name, {})
    return {arg: world.values[special.get(arg) or BY_ARGUMENT[arg]] for arg in route.arguments}


def paths(world: World) -> dict[str, str]:
    """Every walked URL name and its path in this world."""
    return {r.name: reverse(r.name, kwargs=fill(r, world)) for r in routes()}
