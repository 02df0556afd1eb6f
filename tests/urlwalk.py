"""Every URL of the project, with its kwargs filled from a small world of objects.

``build_world()`` makes one clinic's cast (Alex, a patient in Mei's care; Sam, another
patient; Mei, Alex's practitioner; David, a colleague who does not treat Alex; the front desk
and the owner) and an object of every kind a URL can name, all Alex's and Mei's.
``endpoints(world)`` walks the URL resolver and returns each pattern's name and a URL to
request; a pattern with kwargs the walker cannot fill raises ``UnfillableURL``, so a new URL
is never silently skipped. Third-party trees (the Django admin, allauth's account pages) are
left out by prefix: they are not the project's pages and have their own tests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from booking.models import (
    Booking,
    BookingStatus,
    ClinicClosure,
    DateException,
    ExceptionKind,
    PaymentMode,
    Practitioner,
    Service,
    TimeOff,
    WeeklyHours,
)
from booking.waitlist.links import offer_token
from booking.waitlist_models import EntryStatus, WaitlistEntry, WaitlistOffer, WaitlistPlace
from followup.links import make_token
from followup.models import CheckInStage
from intake.models import AlertLevel, FlagKind, IntakeResponse, ResponseStatus
from intake.questionnaire import current
from intake.services import alert_raise, flag_raise
from payments.fee_reductions import fee_reduction_request
from payments.models import FeeReduction, Payment, PaymentStatus
from portal.crypto import fernet
from portal.export import EXPORT_DAYS, download_token
from portal.models import Clinic, DataExport, ExportChannel, ExportStatus, Role, User
from practice.models import CalendarFeed, PrivacyRequest
from practice.services import TreatmentDetails, treatment_record_save

SKIPPED_PREFIXES = ("admin/", "accounts/")


class UnfillableURL(Exception):
    """A URL pattern has kwargs the walker does not know how to fill: teach ``FILLERS``."""


@dataclass
class World:
    clinic: Clinic
    alex: User  # the patient whose objects every URL names
    sam: User  # another patient
    mei: Practitioner  # Alex's practitioner (an upcoming confirmed visit Alex booked)
    david: Practitioner  # a colleague with no visit with Alex
    desk: User
    owner: User
    service: Service
    booking: Booking  # Alex with Mei, upcoming, confirmed, paid online
    past_visit: Booking  # Alex with Mei, three days ago, attended
    payment: Payment
    fee_request: FeeReduction
    response: IntakeResponse  # Alex's draft questionnaire
    alert_id: int
    flag_id: int
    hours: WeeklyHours
    exception: DateException
    time_off: TimeOff
    feed: CalendarFeed
    privacy_request: PrivacyRequest

    def users(self) -> dict[str, User | None]:
        """Who requests each URL, by role name (None: anonymous)."""
        return {
            "anonymous": None,
            "patient_own": self.alex,
            "patient_other": self.sam,
            "practitioner_own": self.mei.user,
            "practitioner_other": self.david.user,
            "desk": self.desk,
            "owner": self.owner,
        }


def _user(email: str, role: Role, clinic: Clinic, **extra: Any) -> User:
    from allauth.account.models import EmailAddress

    from portal.services import user_set_role

    user = User.objects.create_user(email, "walk-the-urls-pw", role=role, clinic=clinic, **extra)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    user_set_role(user=user, role=role, clinic=clinic)
    return user


def build_world() -> World:
    """One clinic's people and an object of every kind a URL names (Alex's, with Mei)."""
    clinic = Clinic.objects.current()
    alex = _user("alex@walk.example", Role.PATIENT, clinic, first_name="Alex")
    sam = _user("sam@walk.example", Role.PATIENT, clinic, first_name="Sam")
    mei = Practitioner.objects.create(
        user=_user("mei@walk.example", Role.PRACTITIONER, clinic, first_name="Mei"),
        clinic=clinic,
        display_name="Mei Chen",
    )
    david = Practitioner.objects.create(
        user=_user("david@walk.example", Role.PRACTITIONER, clinic, first_name="David"),
        clinic=clinic,
        display_name="David Rhys",
    )
    desk = _user("desk@walk.example", Role.STAFF, clinic, first_name="Sam")
    owner = _user("owner@walk.example", Role.STAFF, clinic, first_name="Helen", is_superuser=True)
    service = Service.objects.create(
        clinic=clinic,
        name="Treatment",
        slug="treatment",
        kind="private",
        duration_minutes=60,
        price_minor=5000,
    )
    service.practitioners.set([mei, david])
    now = timezone.now()

    def visit(starts_at: Any, status: str, mode: str = PaymentMode.AT_CLINIC) -> Booking:
        return Booking.objects.create(
            clinic=clinic,
            patient=alex,
            service=service,
            kind=service.kind,
            practitioner=mei,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=1),
            blocked_from=starts_at,
            blocked_until=starts_at + timedelta(hours=1),
            status=status,
            price_minor=5000,
            payment_mode=mode,
            booked_by=alex,
        )

    booking = visit(now + timedelta(days=7), BookingStatus.CONFIRMED, PaymentMode.ONLINE)
    past = visit(now - timedelta(days=3), BookingStatus.ATTENDED)
    details = TreatmentDetails(
        areas_and_points="BL23", needle_count=6, depth="shallow", stimulation="gentle"
    )
    treatment_record_save(booking=past, by=mei.user, details=details)
    payment = Payment.objects.create(
        booking=booking,
        clinic=clinic,
        patient=alex,
        amount_minor=5000,
        currency=clinic.currency,
        status=PaymentStatus.SUCCEEDED,
    )
    response = IntakeResponse.objects.create(
        clinic=clinic,
        patient=alex,
        kind="full",
        version=current("full").version,
        status=ResponseStatus.DRAFT,
    )
    alert, _ = alert_raise(
        patient=alex, level=AlertLevel.URGENT, kind="walk", source_key="1", summary="Worse"
    )
    flag, _ = flag_raise(patient=alex, kind=FlagKind.TREAT_GENTLY, reason="Sore for days")
    hours = WeeklyHours.objects.create(
        practitioner=mei, weekday=0, start_time="09:00", end_time="12:00"
    )
    day = (now + timedelta(days=20)).date()
    exception = DateException.objects.create(practitioner=mei, date=day, kind=ExceptionKind.CLOSED)
    time_off = TimeOff.objects.create(
        practitioner=mei, starts_at=now + timedelta(days=30), ends_at=now + timedelta(days=31)
    )
    return World(
        clinic=clinic,
        alex=alex,
        sam=sam,
        mei=mei,
        david=david,
        desk=desk,
        owner=owner,
        service=service,
        booking=booking,
        past_visit=past,
        payment=payment,
        fee_request=fee_reduction_request(patient=alex, clinic=clinic, reason="Student parent"),
        response=response,
        alert_id=alert.pk,
        flag_id=flag.pk,
        hours=hours,
        exception=exception,
        time_off=time_off,
        feed=CalendarFeed.objects.create(practitioner=mei, made_for=mei.user),
        privacy_request=PrivacyRequest.objects.create(
            patient=alex, kind="erasure", received_via="email", details="x", recorded_at=now
        ),
    )


Filler = Callable[[World], Any]


def _ready_export_token(w: World) -> str:
    """A "download my data" link of Alex's, ready to download."""
    export = DataExport.objects.create(
        clinic=w.clinic,
        patient=w.alex,
        requested_by=w.alex,
        channel=ExportChannel.ONLINE,
        status=ExportStatus.READY,
        archive=fernet().encrypt(b"zip"),
        ready_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=EXPORT_DAYS),
    )
    return download_token(export)


def _handover_export_id(w: World) -> int:
    """An export of Alex's the desk is to hand over, ready."""
    export = DataExport.objects.create(
        clinic=w.clinic,
        patient=w.alex,
        requested_by=w.desk,
        channel=ExportChannel.POST,
        handover=True,
        status=ExportStatus.READY,
        archive=fernet().encrypt(b"zip"),
        ready_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=EXPORT_DAYS),
    )
    return export.pk


def _closure(w: World) -> ClinicClosure:
    """A day the clinic is closed, three weeks on (made on first use)."""
    day = (timezone.now() + timedelta(days=21)).date()
    closure, _ = ClinicClosure.objects.get_or_create(
        clinic=w.clinic, first_day=day, last_day=day, defaults={"reason": "Training day"}
    )
    return closure


def _alex_waiting(w: World) -> WaitlistEntry:
    """Alex on the waiting list for the treatment (made on first use)."""
    entry, _ = WaitlistEntry.objects.get_or_create(
        patient=w.alex,
        service=w.service,
        status=EntryStatus.WAITING,
        defaults={
            "clinic": w.clinic,
            "weekdays": [1],
            "day_parts": ["morning"],
            "joined_at": timezone.now(),
        },
    )
    return entry


def _alex_offer_token(w: World) -> str:
    """A place offered to Alex from the waiting list, held for an hour."""
    now = timezone.now()
    starts_at = now + timedelta(days=9)
    place = WaitlistPlace.objects.create(
        clinic=w.clinic,
        service=w.service,
        practitioner=w.mei,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        blocked_from=starts_at,
        blocked_until=starts_at + timedelta(hours=1),
        expires_at=now + timedelta(hours=1),
        created_at=now,
    )
    offer = WaitlistOffer.objects.create(place=place, entry=_alex_waiting(w), created_at=now)
    return offer_token(offer)


def _diary_entry(w: World) -> int:
    """A pain diary score of Alex's."""
    from intake.diary_entries import diary_add

    return diary_add(patient=w.alex, pain=4, note="Stiff this morning").pk


# (URL name, kwarg) -> its value in the world. A pattern naming anything else is unfillable.
FILLERS: dict[tuple[str, str], Filler] = {
    ("booking:practitioners", "slug"): lambda w: w.service.slug,
    ("booking:week", "slug"): lambda w: w.service.slug,
    ("booking:confirm", "slug"): lambda w: w.service.slug,
    ("booking:detail", "pk"): lambda w: w.booking.pk,
    ("booking:cancel", "pk"): lambda w: w.booking.pk,
    ("booking:waitlist_join", "slug"): lambda w: w.service.slug,
    ("booking:closure", "pk"): lambda w: _closure(w).pk,
    ("booking:closure_reopen", "pk"): lambda w: _closure(w).pk,
    ("practice:closure_cancel", "pk"): lambda w: _closure(w).pk,
    ("booking:waitlist_leave", "pk"): lambda w: _alex_waiting(w).pk,
    ("booking:waitlist_offer", "token"): _alex_offer_token,
    ("practice:waitlist_remove", "pk"): lambda w: _alex_waiting(w).pk,
    ("practice:waitlist_offer", "pk"): lambda w: _alex_waiting(w).pk,
    ("payments:checkout", "slug"): lambda w: w.service.slug,
    ("payments:pay", "pk"): lambda w: w.booking.pk,
    ("payments:pay_status", "pk"): lambda w: w.booking.pk,
    ("payments:cancel", "pk"): lambda w: w.booking.pk,
    ("payments:receipt", "pk"): lambda w: w.payment.pk,
    ("payments:fee_reduction_decide", "pk"): lambda w: w.fee_request.pk,
    ("intake:response", "pk"): lambda w: w.response.pk,
    ("intake:review", "pk"): lambda w: w.response.pk,
    ("intake:sent", "pk"): lambda w: w.response.pk,
    ("intake:step", "pk"): lambda w: w.response.pk,
    ("intake:step", "slug"): lambda w: current("full").sections[0].slug,
    ("intake:autosave", "pk"): lambda w: w.response.pk,
    ("intake:autosave", "slug"): lambda w: current("full").sections[0].slug,
    ("intake:practice_intake", "patient_id"): lambda w: w.alex.pk,
    ("intake:practice_diary", "patient_id"): lambda w: w.alex.pk,
    ("intake:diary_edit", "pk"): _diary_entry,
    ("intake:diary_delete", "pk"): _diary_entry,
    ("intake:diary_advice", "pk"): _diary_entry,
    ("intake:see_anyway", "patient_id"): lambda w: w.alex.pk,
    ("intake:acknowledge_alert", "pk"): lambda w: w.alert_id,
    ("intake:claim_alert", "pk"): lambda w: w.alert_id,
    ("intake:clear_flag", "pk"): lambda w: w.flag_id,
    ("practice:booking", "pk"): lambda w: w.booking.pk,
    ("practice:arrived", "pk"): lambda w: w.booking.pk,
    ("practice:attendance", "pk"): lambda w: w.booking.pk,
    ("practice:record", "pk"): lambda w: w.past_visit.pk,
    ("practice:record_versions", "pk"): lambda w: w.past_visit.pk,
    ("practice:cancel", "pk"): lambda w: w.booking.pk,
    ("practice:take_payment", "pk"): lambda w: w.booking.pk,
    ("practice:undo_payment", "pk"): lambda w: w.booking.pk,
    ("practice:patient", "pk"): lambda w: w.alex.pk,
    ("practice:hours_remove", "pk"): lambda w: w.hours.pk,
    ("practice:exception_remove", "pk"): lambda w: w.exception.pk,
    ("practice:time_off_remove", "pk"): lambda w: w.time_off.pk,
    ("practice:privacy_request", "pk"): lambda w: w.privacy_request.pk,
    ("practice:ics", "token"): lambda w: w.feed.token,
    ("export_download", "token"): _ready_export_token,
    ("desk_export_handover", "pk"): _handover_export_id,
    ("followup:checkin", "token"): lambda w: make_token(
        booking_id=w.past_visit.pk, stage=CheckInStage.CHECKIN
    ),
}


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    route: str  # the pattern as written, for messages
    kwargs: tuple[str, ...]


def _kwargs_of(pattern: URLPattern) -> tuple[str, ...]:
    return tuple(re.compile(pattern.pattern.regex.pattern).groupindex)


def routes(
    patterns: list[Any] | None = None, namespace: str = "", prefix: str = ""
) -> Iterator[Route]:
    """Every named URL pattern of the project (without the skipped third-party trees)."""
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        text = prefix + str(entry.pattern)
        if text.startswith(SKIPPED_PREFIXES):
            continue
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from routes(entry.url_patterns, inner, text)
        elif isinstance(entry, URLPattern):
            if not entry.name:
                raise UnfillableURL(f"URL pattern {text!r} has no name to reverse it by")
            yield Route(f"{namespace}{entry.name}", text, _kwargs_of(entry))


def url_for(route: Route, world: World) -> str:
    """The URL of ``route`` naming the world's objects; ``UnfillableURL`` if a kwarg is unknown."""
    missing = [k for k in route.kwargs if (route.name, k) not in FILLERS]
    if missing:
        raise UnfillableURL(
            f"{route.name} ({route.route}) has kwargs {missing} the walker cannot fill: "
            "add them to tests.urlwalk.FILLERS"
        )
    return reverse(route.name, kwargs={k: FILLERS[(route.name, k)](world) for k in route.kwargs})


def endpoints(world: World) -> dict[str, str]:
    """URL name -> URL for every route of the project."""
    return {route.name: url_for(route, world) for route in routes()}
