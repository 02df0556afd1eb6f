"""Writing a checked spec in one transaction: the clinic, the team, services and the room."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.sites.models import Site
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from booking.models import MultibedShift, Room, Service, ServiceKind
from booking.models import Practitioner as PractitionerProfile
from portal.models import Clinic, Role, User
from practice.clinic_setup.spec import ClinicSpec, RoomSpec, ServiceSpec, SetupError, SetupReport
from practice.clinic_setup.team import (
    apply_person,
    apply_practitioner,
    invite,
    set_owner_password,
)


@transaction.atomic
def apply_spec(
    spec: ClinicSpec, *, owner_password: str | None = None, now: datetime | None = None
) -> SetupReport:
    """Write ``spec``: create what is new, update what exists, invite new team members.

    ``owner_password`` sets the owner's password (checked by the password validators); without
    it a new owner is sent an invitation to choose one, as practitioners are.
    """
    now = now or timezone.now()
    report = SetupReport()
    clinic = _apply_clinic(spec.clinic, report)
    _refuse_a_second_owner(spec.owner.email)
    owner = apply_person(spec.owner, Role.STAFF, clinic, report, superuser=True)
    if owner_password:
        set_owner_password(owner, owner_password, report)
    people = {p.email: apply_practitioner(p, clinic, report) for p in spec.practitioners}
    services = {s.slug: _apply_service(s, clinic, people, report) for s in spec.services}
    for room in spec.rooms:
        _apply_room(room, clinic, people, services[room.service], report)
    invite([owner, *(p.user for p in people.values())], report, now)
    return report


def _refuse_a_second_owner(email: str) -> None:
    # A file edited to correct the owner's address would otherwise leave the old account a
    # superuser beside the new one: a file never mints a second owner.
    owners = list(
        User.objects.filter(is_superuser=True).order_by("pk").values_list("email", flat=True)
    )
    if owners and email.lower() not in (o.lower() for o in owners):
        current = ", ".join(owners)
        raise SetupError(
            [
                f"owner.email: this clinic already has an owner ({current}). To correct their "
                "address, change it on their account in the admin (Users), then run this again "
                "with the new one; a second owner is added in the admin, not by this file."
            ]
        )


def _apply_clinic(values: dict[str, str], report: SetupReport) -> Clinic:
    clinic = Clinic.objects.select_for_update().filter(pk=Clinic.objects.current().pk).get()
    for key, value in values.items():
        setattr(clinic, key, value.upper() if key == "currency" else value)
    clinic.slug = slugify(clinic.name)[:50] or "clinic"
    try:
        clinic.full_clean()
    except ValidationError as exc:
        raise SetupError(
            [f"clinic.{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items()]
        ) from None
    clinic.save()
    domain = urlsplit(settings.SITE_URL).netloc or "localhost"
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": clinic.name}
    )
    report.say(f"Clinic: {clinic.name} ({clinic.time_zone}, {clinic.currency}).")
    return clinic


def _apply_service(
    spec: ServiceSpec,
    clinic: Clinic,
    people: dict[str, PractitionerProfile],
    report: SetupReport,
) -> Service:
    service, created = Service.objects.update_or_create(
        clinic=clinic,
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "kind": spec.kind,
            "description": spec.description,
            "duration_minutes": spec.minutes,
            "buffer_after_minutes": spec.buffer_after,
            "price_rule": spec.rule,
            "price_minor": spec.price_minor,
            "price_min_minor": spec.min_minor,
            "price_max_minor": spec.max_minor,
            "price_step_minor": spec.step_minor,
            "is_active": True,
        },
    )
    if spec.practitioners is not None:
        service.practitioners.set([people[email] for email in spec.practitioners])
    elif spec.kind != ServiceKind.MULTIBED:
        service.practitioners.set(people.values())
    report.say(f"Service {service.name}: {'created' if created else 'updated'}.")
    return service


def _apply_room(
    spec: RoomSpec,
    clinic: Clinic,
    people: dict[str, PractitionerProfile],
    service: Service,
    report: SetupReport,
) -> None:
    room = Room.objects.filter(clinic=clinic, name__iexact=spec.name).first() or Room(clinic=clinic)
    room.name, room.recliners = spec.name, spec.recliners
    room.save()
    # The spec lists the room's whole weekly timetable; one-off (dated) shifts are kept.
    room.shifts.filter(weekday__isnull=False).delete()
    runners = set()
    for shift_spec in spec.shifts:
        shift = MultibedShift(
            room=room,
            practitioner=people[shift_spec.practitioner],
            service=service,
            weekday=shift_spec.hours.weekday,
            start_time=shift_spec.hours.start,
            end_time=shift_spec.hours.end,
            start_interval_minutes=spec.start_every,
            max_new_per_start=spec.new_per_start,
        )
        try:
            shift.full_clean()
        except ValidationError as exc:
            raise SetupError([f"rooms {spec.name!r}: {m}" for m in exc.messages]) from None
        shift.save()
        runners.add(shift.practitioner)
    service.practitioners.add(*runners)
    report.say(f"Room {room.name}: {room.recliners} recliners, {len(spec.shifts)} shift(s) a week.")
