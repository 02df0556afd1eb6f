"""What a checked clinic spec holds, the error naming every problem, and what applying said."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from booking.models import PriceRule, ServiceKind

CLINIC_FIELDS = ("name", "address", "phone", "email", "email_from", "time_zone", "currency")


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
