"""A real clinic's first day: its details, owner, team, services, hours and room, from a spec.

``parse_spec`` turns a plain mapping (a TOML or JSON file, or the answers typed at
``manage.py setup_clinic``) into a checked ``ClinicSpec``, naming every problem at once;
``apply_spec`` writes it in one transaction. Running it again updates what it made (matched
by email, service name and room name) instead of adding copies. No demo data, no password
ever printed: the team choose theirs from an invitation email, and enrol their authenticator
app at first sign-in (``portal.team_security``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sites.models import Site
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from booking.models import (
    MultibedShift,
    PriceRule,
    Room,
    Service,
    ServiceKind,
    Weekday,
    WeeklyHours,
)
from booking.models import Practitioner as PractitionerProfile
from followup.models import MessageKind
from followup.outbox import outbox_put
from portal.audit import record_action
from portal.models import AuditAction, Clinic, Role, User
from portal.services import user_set_role

DAYS = {day.label[:3].lower(): int(day.value) for day in Weekday}
CLINIC_FIELDS = ("name", "address", "phone", "email", "email_from", "time_zone", "currency")
KINDS = {"private": ServiceKind.PRIVATE, "assessment": ServiceKind.ASSESSMENT}
KINDS["multibed"] = ServiceKind.MULTIBED
_RANGE = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")


class SetupError(Exception):
    """The spec cannot be applied; ``problems`` says every reason, each with where it is."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Hours:
    weekday: int
    start: time
    end: time


@dataclass
class PersonSpec:
    email: str
    first_name: str
    last_name: str


@dataclass
class PractitionerSpec(PersonSpec):
    title: str = ""
    bio: str = ""
    hours: list[Hours] | None = None  # None: leave the hours already set alone


@dataclass
class ServiceSpec:
    name: str
    slug: str
    kind: ServiceKind
    minutes: int
    buffer_after: int
    description: str
    rule: PriceRule
    price_minor: int
    min_minor: int = 0
    max_minor: int = 0
    step_minor: int = 0
    practitioners: list[str] | None = None  # emails; None: every practitioner in the spec


@dataclass
class ShiftSpec:
    hours: Hours
    practitioner: str


@dataclass
class RoomSpec:
    name: str
    recliners: int
    service: str  # the multibed service's slug
    start_every: int = 15
    new_per_start: int = 1
    shifts: list[ShiftSpec] = field(default_factory=list)


@dataclass
class ClinicSpec:
    clinic: dict[str, str]
    owner: PersonSpec
    practitioners: list[PractitionerSpec] = field(default_factory=list)
    services: list[ServiceSpec] = field(default_factory=list)
    rooms: list[RoomSpec] = field(default_factory=list)


@dataclass
class SetupReport:
    lines: list[str] = field(default_factory=list)
    invited: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)


# --- Reading the spec -------------------------------------------------------------------------


class _Reader:
    """Collects problems with their place in the spec instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def fail(self, where: str, message: str) -> None:
        self.problems.append(f"{where}: {message}")

    def text(self, data: dict[str, Any], key: str, where: str, *, required: bool = False) -> str:
        value = data.get(key, "")
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            self.fail(f"{where}.{key}", "should be text")
            return ""
        value = str(value).strip()
        if required and not value:
            self.fail(f"{where}.{key}", "is required")
        return value

    def email(self, data: dict[str, Any], key: str, where: str) -> str:
        value = self.text(data, key, where, required=True).lower()
        if value:
            try:
                validate_email(value)
            except ValidationError:
                self.fail(f"{where}.{key}", f"{value!r} is not an email address")
        return value

    def whole(self, data: dict[str, Any], key: str, where: str, default: int, low: int, high: int):
        value = data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | str):
            self.fail(f"{where}.{key}", "should be a whole number")
            return default
        try:
            number = int(value)
        except ValueError:
            self.fail(f"{where}.{key}", f"{value!r} is not a whole number")
            return default
        if not low <= number <= high:
            self.fail(f"{where}.{key}", f"should be between {low} and {high}, not {number}")
        return number

    def money(self, value: Any, where: str) -> int:
        """An amount in pounds (or the currency's major unit), as pence."""
        try:
            amount = Decimal(str(value).strip().lstrip("£$€"))
        except InvalidOperation:
            self.fail(where, f"{value!r} is not an amount such as 65 or 65.00")
            return 0
        if amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount > 100000:
            self.fail(where, f"{value!r} is not an amount such as 65 or 65.00")
            return 0
        return int(amount * 100)


def parse_hours(lines: Any, where: str, reader: _Reader | None = None) -> list[Hours]:
    """Weekly hours written as people write them: "Mon-Fri 09:00-12:30, 13:30-17:30"."""
    own = reader or _Reader()
    if isinstance(lines, str):
        lines = [lines]
    if not isinstance(lines, list):
        own.fail(where, 'should be a list such as ["Mon-Fri 09:00-12:30, 13:30-17:30"]')
        return []
    found: list[Hours] = []
    for n, line in enumerate(lines):
        here = f"{where}[{n}]"
        days_part, _, ranges_part = str(line).strip().partition(" ")
        days = _parse_days(days_part)
        if days is None:
            own.fail(here, f"{line!r} should start with days such as Mon-Fri or Tue,Thu")
            continue
        for piece in ranges_part.split(","):
            match = _RANGE.match(piece.strip())
            if match is None:
                own.fail(here, f"{piece.strip()!r} is not a time range such as 09:00-12:30")
                continue
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59:
                own.fail(here, f"{piece.strip()!r} is not a time of day")
                continue
            start, end = time(h1, m1), time(h2, m2)
            if end <= start:
                own.fail(here, f"{piece.strip()!r} ends before it starts")
                continue
            for day in days:
                clash = [h for h in found if h.weekday == day and h.start < end and start < h.end]
                if clash:
                    own.fail(here, f"{piece.strip()!r} overlaps other hours on that day")
                    break
                found.append(Hours(day, start, end))
    if reader is None and own.problems:
        raise SetupError(own.problems)
    return found


def _parse_days(text: str) -> list[int] | None:
    days: list[int] = []
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        if first[:3] not in DAYS or (last and last[:3] not in DAYS):
            return None
        a, b = DAYS[first[:3]], DAYS[last[:3]] if last else DAYS[first[:3]]
        if b < a:
            return None
        days.extend(range(a, b + 1))
    return days


def parse_spec(data: Any) -> ClinicSpec:
    """Check a whole spec; raises ``SetupError`` listing every problem found."""
    r = _Reader()
    if not isinstance(data, dict):
        raise SetupError(["The file should hold a [clinic] section, an [owner] and so on."])
    clinic_data: dict[str, Any] = _section(data, "clinic")
    if not clinic_data:
        r.fail("clinic", "is required (at least its name)")
    clinic = {
        key: r.text(clinic_data, key, "clinic") for key in CLINIC_FIELDS if key in clinic_data
    }
    r.text(clinic_data, "name", "clinic", required=True)
    unknown = set(clinic_data) - set(CLINIC_FIELDS)
    if unknown:
        r.fail("clinic", f"unknown setting(s): {', '.join(sorted(unknown))}")
    owner_data = _section(data, "owner")
    owner = PersonSpec(
        email=r.email(owner_data, "email", "owner"),
        first_name=r.text(owner_data, "first_name", "owner", required=True),
        last_name=r.text(owner_data, "last_name", "owner"),
    )
    practitioners = []
    for n, item in enumerate(_list(data, "practitioners", r)):
        where = f"practitioners[{n}]"
        practitioners.append(
            PractitionerSpec(
                email=r.email(item, "email", where),
                first_name=r.text(item, "first_name", where, required=True),
                last_name=r.text(item, "last_name", where),
                title=r.text(item, "title", where),
                bio=r.text(item, "bio", where),
                hours=parse_hours(item["hours"], f"{where}.hours", r) if "hours" in item else None,
            )
        )
    team = [p.email for p in practitioners]
    _no_repeats(r, "practitioners", team)
    if owner.email and owner.email in team:
        r.fail("owner.email", "the owner signs in as staff: give practitioners their own email")
    services = [
        _service(r, item, f"services[{n}]", team)
        for n, item in enumerate(_list(data, "services", r))
    ]
    _no_repeats(r, "services", [s.slug for s in services])
    rooms = [
        _room(r, item, f"rooms[{n}]", team, services)
        for n, item in enumerate(_list(data, "rooms", r))
    ]
    _no_repeats(r, "rooms", [room.name.lower() for room in rooms])
    if r.problems:
        raise SetupError(r.problems)
    return ClinicSpec(clinic, owner, practitioners, services, rooms)


def _section(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _list(data: dict[str, Any], key: str, r: _Reader) -> list[dict[str, Any]]:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        r.fail(key, f"should be a list of [[{key}]] entries")
        return []
    return items


def _no_repeats(r: _Reader, where: str, keys: list[str]) -> None:
    seen = set()
    for key in keys:
        if key and key in seen:
            r.fail(where, f"{key!r} is listed twice")
        seen.add(key)


def _service(r: _Reader, item: dict[str, Any], where: str, team: list[str]) -> ServiceSpec:
    name = r.text(item, "name", where, required=True)
    kind_text = r.text(item, "kind", where, required=True).lower()
    kind = KINDS.get(kind_text, ServiceKind.PRIVATE)
    if kind_text and kind_text not in KINDS:
        r.fail(f"{where}.kind", f"{kind_text!r} should be one of: {', '.join(KINDS)}")
    spec = ServiceSpec(
        name=name,
        slug=r.text(item, "slug", where) or slugify(name)[:50],
        kind=kind,
        minutes=r.whole(item, "minutes", where, 0, 5, 480),
        buffer_after=r.whole(item, "buffer_after", where, 0, 0, 120),
        description=r.text(item, "description", where),
        rule=PriceRule.FIXED,
        price_minor=0,
    )
    if "minutes" not in item:
        r.fail(f"{where}.minutes", "is required (how long a visit lasts)")
    price = item.get("price", "free" if kind == ServiceKind.ASSESSMENT else None)
    if price is None:
        r.fail(f"{where}.price", 'is required: an amount such as "65.00", "free", or a range')
    elif isinstance(price, dict):
        spec.rule = PriceRule.SLIDING
        for key in ("min", "max"):
            if key not in price:
                r.fail(f"{where}.price.{key}", "is required for a sliding scale")
        spec.min_minor = r.money(price.get("min", 0), f"{where}.price.min")
        spec.max_minor = r.money(price.get("max", 0), f"{where}.price.max")
        spec.price_minor = r.money(price.get("suggested", price.get("min", 0)), f"{where}.price")
        spec.step_minor = r.money(price.get("step", 0), f"{where}.price.step")
        if not spec.min_minor < spec.max_minor:
            r.fail(f"{where}.price", "the lowest amount must be below the highest")
        elif not spec.min_minor <= spec.price_minor <= spec.max_minor:
            r.fail(f"{where}.price.suggested", "must be within the range")
        elif spec.step_minor and (spec.max_minor - spec.min_minor) % spec.step_minor:
            r.fail(f"{where}.price.step", "the range should be a whole number of steps")
    elif str(price).strip().lower() in ("free", "0", "0.00"):
        spec.rule = PriceRule.FREE
    else:
        spec.price_minor = r.money(price, f"{where}.price")
    if kind == ServiceKind.ASSESSMENT and spec.rule != PriceRule.FREE:
        r.fail(f"{where}.price", 'an assessment is free: leave the price out or write "free"')
    if "practitioners" in item:
        listed = item["practitioners"]
        if not isinstance(listed, list):
            r.fail(f"{where}.practitioners", "should be a list of practitioners' emails")
        else:
            spec.practitioners = [str(e).strip().lower() for e in listed]
            for email in spec.practitioners:
                if email not in team:
                    r.fail(f"{where}.practitioners", f"{email!r} is not in [[practitioners]]")
    return spec


def _room(
    r: _Reader, item: dict[str, Any], where: str, team: list[str], services: list[ServiceSpec]
) -> RoomSpec:
    multibed = {s.slug: s for s in services if s.kind == ServiceKind.MULTIBED}
    by_name = {s.name.lower(): s.slug for s in multibed.values()}
    service = r.text(item, "service", where)
    slug = by_name.get(service.lower(), service) if service else next(iter(multibed), "")
    if slug not in multibed:
        r.fail(f"{where}.service", 'name a service of kind "multibed" from [[services]]')
    room = RoomSpec(
        name=r.text(item, "name", where, required=True),
        recliners=r.whole(item, "recliners", where, 0, 1, 20),
        service=slug,
        start_every=r.whole(item, "start_every_minutes", where, 15, 5, 60),
        new_per_start=r.whole(item, "new_per_start", where, 1, 1, 6),
    )
    if "recliners" not in item:
        r.fail(f"{where}.recliners", "is required (how many recliners the room has)")
    shifts = item.get("shifts", [])
    if not isinstance(shifts, list):
        r.fail(f"{where}.shifts", 'should be a list such as ["Tue,Thu 17:30-20:30 someone@…"]')
        shifts = []
    for n, line in enumerate(shifts):
        here = f"{where}.shifts[{n}]"
        when, _, email = str(line).strip().rpartition(" ")
        email = email.lower()
        if email not in team:
            r.fail(here, "should end with the email of who runs it, one of [[practitioners]]")
            continue
        for hours in parse_hours([when], here, r):
            room.shifts.append(ShiftSpec(hours, email))
    return room


# --- Writing it ---------------------------------------------------------------------------------


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
    owner = _apply_person(spec.owner, Role.STAFF, clinic, report, superuser=True)
    if owner_password:
        try:
            validate_password(owner_password, owner)
        except ValidationError as exc:
            raise SetupError([f"owner password: {m}" for m in exc.messages]) from None
        owner.set_password(owner_password)
        owner.save(update_fields=["password"])
        report.say(f"Owner {owner.email}: password set.")
    people = {p.email: _apply_practitioner(p, clinic, report) for p in spec.practitioners}
    services = {s.slug: _apply_service(s, clinic, people, report) for s in spec.services}
    for room in spec.rooms:
        _apply_room(room, clinic, people, services[room.service], report)
    for user in [owner, *(p.user for p in people.values())]:
        if not user.has_usable_password():
            _, new = outbox_put(kind=MessageKind.TEAM_INVITATION, recipient=user, due_at=now)
            if new:
                report.invited.append(user.email)
    return report


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
    domain = settings.SITE_URL.split("://", 1)[-1] or "localhost"
    Site.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": domain, "name": clinic.name}
    )
    report.say(f"Clinic: {clinic.name} ({clinic.time_zone}, {clinic.currency}).")
    return clinic


def _apply_person(
    person: PersonSpec, role: Role, clinic: Clinic, report: SetupReport, *, superuser: bool = False
) -> User:
    user = User.objects.filter(email__iexact=person.email).first()
    if user is not None and user.role == Role.PATIENT:
        # A patient's account never gains the team's access by a file: the owner changes a
        # role in the admin, where it is checked and recorded (portal.roles.change_role).
        raise SetupError(
            [
                f"{person.email}: this is a patient's account. Use another email for the team, "
                "or change the person's role in the admin."
            ]
        )
    created = user is None
    if user is None:
        user = User(email=person.email)
        user.set_unusable_password()
    user.first_name, user.last_name = person.first_name, person.last_name
    if superuser:
        user.is_superuser = True
    user.save()
    if user.role != role or user.clinic_id != clinic.pk or created:
        user_set_role(user=user, role=role, clinic=clinic)
        record_action(
            action=AuditAction.ROLE_CHANGED,
            actor=None,
            subject=user,
            detail={"role": str(role), "by": "setup_clinic"},
            clinic=clinic,
        )
    # The owner typed this address: it is the team member's, and the invitation proves it.
    EmailAddress.objects.filter(user=user).exclude(email=user.email).update(primary=False)
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    label = "Owner" if superuser else "Practitioner"
    report.say(f"{label} {user.email}: {'created' if created else 'updated'}.")
    return user


def _apply_practitioner(
    spec: PractitionerSpec, clinic: Clinic, report: SetupReport
) -> PractitionerProfile:
    user = _apply_person(spec, Role.PRACTITIONER, clinic, report)
    profile, _ = PractitionerProfile.objects.update_or_create(
        user=user,
        defaults={
            "clinic": clinic,
            "display_name": user.get_full_name() or user.email,
            "title": spec.title,
            "bio": spec.bio,
        },
    )
    if spec.hours is not None:
        # The spec is the whole week: hours it no longer lists go.
        profile.hours.all().delete()
        WeeklyHours.objects.bulk_create(
            WeeklyHours(practitioner=profile, weekday=h.weekday, start_time=h.start, end_time=h.end)
            for h in spec.hours
        )
        report.say(f"  hours: {len(spec.hours)} range(s) a week.")
    return profile


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
