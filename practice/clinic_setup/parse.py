"""Checking a whole spec, section by section, naming every problem at once."""

from __future__ import annotations

from typing import Any

from django.utils.text import slugify

from booking.models import PriceRule, ServiceKind
from practice.clinic_setup.hours import parse_hours
from practice.clinic_setup.reader import Reader, section
from practice.clinic_setup.spec import (
    CLINIC_FIELDS,
    ClinicSpec,
    PersonSpec,
    PractitionerSpec,
    RoomSpec,
    ServiceSpec,
    SetupError,
    ShiftSpec,
)

KINDS = {
    "private": ServiceKind.PRIVATE,
    "assessment": ServiceKind.ASSESSMENT,
    "multibed": ServiceKind.MULTIBED,
}


def parse_spec(data: Any) -> ClinicSpec:
    """Check a whole spec; raises ``SetupError`` listing every problem found."""
    if not isinstance(data, dict):
        raise SetupError(["The file should hold a [clinic] section, an [owner] and so on."])
    r = Reader()
    clinic = _clinic(r, section(data, "clinic"))
    owner_data = section(data, "owner")
    owner = PersonSpec(
        email=r.email(owner_data, "email", "owner"),
        first_name=r.text(owner_data, "first_name", "owner", required=True),
        last_name=r.text(owner_data, "last_name", "owner"),
    )
    practitioners = [
        _practitioner(r, item, f"practitioners[{n}]")
        for n, item in enumerate(r.entries(data, "practitioners"))
    ]
    team = [p.email for p in practitioners]
    r.no_repeats("practitioners", team)
    if owner.email and owner.email in team:
        r.fail("owner.email", "the owner signs in as staff: give practitioners their own email")
    services = [
        _service(r, item, f"services[{n}]", team)
        for n, item in enumerate(r.entries(data, "services"))
    ]
    r.no_repeats("services", [s.slug for s in services])
    rooms = [
        _room(r, item, f"rooms[{n}]", team, services)
        for n, item in enumerate(r.entries(data, "rooms"))
    ]
    r.no_repeats("rooms", [room.name.lower() for room in rooms])
    if r.problems:
        raise SetupError(r.problems)
    return ClinicSpec(clinic, owner, practitioners, services, rooms)


def _clinic(r: Reader, data: dict[str, Any]) -> dict[str, str]:
    if not data:
        r.fail("clinic", "is required (at least its name)")
    values = {key: r.text(data, key, "clinic") for key in CLINIC_FIELDS if key in data}
    r.text(data, "name", "clinic", required=True)
    unknown = set(data) - set(CLINIC_FIELDS)
    if unknown:
        r.fail("clinic", f"unknown setting(s): {', '.join(sorted(unknown))}")
    return values


def _practitioner(r: Reader, item: dict[str, Any], where: str) -> PractitionerSpec:
    return PractitionerSpec(
        email=r.email(item, "email", where),
        first_name=r.text(item, "first_name", where, required=True),
        last_name=r.text(item, "last_name", where),
        title=r.text(item, "title", where),
        bio=r.text(item, "bio", where),
        hours=parse_hours(item["hours"], f"{where}.hours", r) if "hours" in item else None,
    )


def _service(r: Reader, item: dict[str, Any], where: str, team: list[str]) -> ServiceSpec:
    name = r.text(item, "name", where, required=True)
    kind = _kind(r, item, where)
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
    _price(r, item, where, spec)
    if "practitioners" in item:
        spec.practitioners = _service_team(r, item["practitioners"], where, team)
    return spec


def _kind(r: Reader, item: dict[str, Any], where: str) -> ServiceKind:
    kind_text = r.text(item, "kind", where, required=True).lower()
    if kind_text and kind_text not in KINDS:
        r.fail(f"{where}.kind", f"{kind_text!r} should be one of: {', '.join(KINDS)}")
    return KINDS.get(kind_text, ServiceKind.PRIVATE)


def _price(r: Reader, item: dict[str, Any], where: str, spec: ServiceSpec) -> None:
    """The price as "65.00", "free" or a sliding scale ``{min, max, suggested, step}``."""
    price = item.get("price", "free" if spec.kind == ServiceKind.ASSESSMENT else None)
    if price is None:
        r.fail(f"{where}.price", 'is required: an amount such as "65.00", "free", or a range')
    elif isinstance(price, dict):
        _sliding_scale(r, price, f"{where}.price", spec)
    elif str(price).strip().lower() in ("free", "0", "0.00"):
        spec.rule = PriceRule.FREE
    else:
        spec.price_minor = r.money(price, f"{where}.price")
    if spec.kind == ServiceKind.ASSESSMENT and spec.rule != PriceRule.FREE:
        r.fail(f"{where}.price", 'an assessment is free: leave the price out or write "free"')


def _sliding_scale(r: Reader, price: dict[str, Any], where: str, spec: ServiceSpec) -> None:
    spec.rule = PriceRule.SLIDING
    for key in ("min", "max"):
        if key not in price:
            r.fail(f"{where}.{key}", "is required for a sliding scale")
    spec.min_minor = r.money(price.get("min", 0), f"{where}.min")
    spec.max_minor = r.money(price.get("max", 0), f"{where}.max")
    spec.price_minor = r.money(price.get("suggested", price.get("min", 0)), where)
    spec.step_minor = r.money(price.get("step", 0), f"{where}.step")
    if not spec.min_minor < spec.max_minor:
        r.fail(where, "the lowest amount must be below the highest")
    elif not spec.min_minor <= spec.price_minor <= spec.max_minor:
        r.fail(f"{where}.suggested", "must be within the range")
    elif spec.step_minor and (spec.max_minor - spec.min_minor) % spec.step_minor:
        r.fail(f"{where}.step", "the range should be a whole number of steps")


def _service_team(r: Reader, listed: Any, where: str, team: list[str]) -> list[str] | None:
    """The emails of who offers the service, each one of the spec's practitioners."""
    if not isinstance(listed, list):
        r.fail(f"{where}.practitioners", "should be a list of practitioners' emails")
        return None
    emails = [str(e).strip().lower() for e in listed]
    for email in emails:
        if email not in team:
            r.fail(f"{where}.practitioners", f"{email!r} is not in [[practitioners]]")
    return emails


def _room(
    r: Reader, item: dict[str, Any], where: str, team: list[str], services: list[ServiceSpec]
) -> RoomSpec:
    service = _room_service(r, item, where, services)
    room = RoomSpec(
        name=r.text(item, "name", where, required=True),
        recliners=r.whole(item, "recliners", where, 0, 1, 20),
        service=service,
        start_every=r.whole(item, "start_every_minutes", where, 15, 5, 60),
        new_per_start=r.whole(item, "new_per_start", where, 1, 1, 6),
    )
    if "recliners" not in item:
        r.fail(f"{where}.recliners", "is required (how many recliners the room has)")
    room.shifts = _shifts(r, item, where, team)
    return room


def _room_service(r: Reader, item: dict[str, Any], where: str, services: list[ServiceSpec]) -> str:
    """The slug of the multibed service the room runs, named by name or slug (default: the
    first multibed service)."""
    multibed = {s.slug: s for s in services if s.kind == ServiceKind.MULTIBED}
    by_name = {s.name.lower(): s.slug for s in multibed.values()}
    service = r.text(item, "service", where)
    slug = by_name.get(service.lower(), service) if service else next(iter(multibed), "")
    if slug not in multibed:
        r.fail(f"{where}.service", 'name a service of kind "multibed" from [[services]]')
    return slug


def _shifts(r: Reader, item: dict[str, Any], where: str, team: list[str]) -> list[ShiftSpec]:
    """ "Tue,Thu 17:30-20:30 someone@…" lines: when, then who runs it."""
    lines = item.get("shifts", [])
    if not isinstance(lines, list):
        r.fail(f"{where}.shifts", 'should be a list such as ["Tue,Thu 17:30-20:30 someone@…"]')
        return []
    shifts: list[ShiftSpec] = []
    for n, line in enumerate(lines):
        here = f"{where}.shifts[{n}]"
        when, _, email = str(line).strip().rpartition(" ")
        email = email.lower()
        if email not in team:
            r.fail(here, "should end with the email of who runs it, one of [[practitioners]]")
            continue
        shifts += [ShiftSpec(hours, email) for hours in parse_hours([when], here, r)]
    return shifts
