from __future__ import annotations

import getpass
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from booking.models import Practitioner, Room, Service
from portal.models import Clinic, User
from practice.clinic_setup.apply import apply_spec
from practice.clinic_setup.hours import parse_hours
from practice.clinic_setup.parse import parse_spec
from practice.clinic_setup.spec import CLINIC_FIELDS, SetupError

CLINIC_PROMPTS = {
    "name": "Clinic name",
    "address": "Address",
    "phone": "Phone number patients call",
    "email": "Email patients write to (replies go here)",
    "email_from": 'Emails come from (e.g. "Clinic name <bookings@your-domain>")',
    "time_zone": "Time zone",
    "currency": "Currency (three letters)",
}


class Command(BaseCommand):
    help = (
        "Set up a real clinic: its details, the owner's account, practitioners and their hours, "
        "services and prices, the multibed room. Asks questions, or reads a TOML/JSON file "
        "(--file; see docs/clinic-setup.example.toml). Running it again updates, never duplicates."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--file", help="A TOML or JSON file describing the clinic.")
        parser.add_argument(
            "--no-input",
            action="store_true",
            help="Ask nothing (needs --file). A new owner is emailed a link to choose a password.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        interactive = not options["no_input"] and sys.stdin.isatty()
        if options["file"]:
            data = load_file(Path(options["file"]))
        elif interactive:
            data = self.ask_everything()
        else:
            raise CommandError("Give --file clinic.toml (nothing can be asked without a terminal).")
        try:
            spec = parse_spec(data)
        except SetupError as exc:
            raise CommandError(problem_list(exc)) from None
        password = self.ask_password(spec.owner.email) if interactive else None
        try:
            report = apply_spec(spec, owner_password=password)
        except SetupError as exc:
            raise CommandError(problem_list(exc)) from None
        for line in report.lines:
            self.stdout.write(line)
        for email in report.invited:
            self.stdout.write(f"Invitation to choose a password queued for {email}.")
        login = settings.SITE_URL + reverse("account_login")
        self.stdout.write(self.style.SUCCESS("The clinic is set up. Next:"))
        self.stdout.write(
            "  - the Celery worker and beat send the invitations (docker compose runs them);\n"
            f"  - sign in at {login} as {spec.owner.email}: you are asked to set up an "
            "authenticator app (scan the QR code, type a code, keep the recovery codes);\n"
            "  - opening hours, time off and one-off dates: Hours & time off, or run this "
            "command again with a changed file."
        )

    def ask_password(self, email: str) -> str | None:
        owner = User.objects.filter(email__iexact=email).first()
        has_one = owner is not None and owner.has_usable_password()
        hint = "Enter keeps the current one" if has_one else "Enter emails a link instead"
        while True:
            first = getpass.getpass(f"Owner's password ({hint}): ")
            if not first:
                return None
            if getpass.getpass("The same password again: ") == first:
                return first
            self.stderr.write("The two passwords differ; try again.")

    def ask(self, label: str, default: str = "", *, required: bool = False) -> str:
        while True:
            shown = f" [{default}]" if default else ""
            answer = input(f"{label}{shown}: ").strip() or default
            if answer or not required:
                return answer
            self.stderr.write("This one is needed.")

    def ask_everything(self) -> dict[str, Any]:
        """The same questions as the file's sections, with what is already set as defaults."""
        clinic = Clinic.objects.current()
        self.stdout.write("The clinic (Enter keeps the value in brackets).")
        defaults = {key: str(getattr(clinic, key) or "") for key in CLINIC_FIELDS}
        if defaults["name"] == "Our clinic":
            defaults["name"] = ""
        data: dict[str, Any] = {
            "clinic": {
                key: self.ask(label, defaults[key], required=key == "name")
                for key, label in CLINIC_PROMPTS.items()
            }
        }
        owner = User.objects.filter(is_superuser=True, is_active=True).order_by("pk").first()
        self.stdout.write("\nThe owner (signs in as clinic staff and runs the admin).")
        data["owner"] = {
            "email": self.ask("Owner's email", owner.email if owner else "", required=True),
            "first_name": self.ask("First name", owner.first_name if owner else "", required=True),
            "last_name": self.ask("Last name", owner.last_name if owner else ""),
        }
        data["practitioners"] = self.ask_practitioners()
        data["services"] = self.ask_services()
        data["rooms"] = self.ask_rooms()
        return data

    def ask_practitioners(self) -> list[dict[str, Any]]:
        people: list[dict[str, Any]] = []
        known = {p.user.email: p for p in Practitioner.objects.select_related("user")}
        self.stdout.write(
            "\nPractitioners: each is emailed a link to choose a password. Hours are written "
            'like "Mon-Fri 09:00-12:30, 13:30-17:30"; several lines, empty to finish.'
        )
        while True:
            email = self.ask("Practitioner's email (empty when done)").lower()
            if not email:
                return people
            current = known.get(email)
            person: dict[str, Any] = {
                "email": email,
                "first_name": self.ask(
                    "First name", current.user.first_name if current else "", required=True
                ),
                "last_name": self.ask("Last name", current.user.last_name if current else ""),
                "title": self.ask(
                    "Title (e.g. Acupuncturist, BAcC)", current.title if current else ""
                ),
            }
            lines = []
            while True:
                line = self.ask("Weekly hours (empty when done)")
                if not line:
                    break
                try:
                    parse_hours([line], "hours")
                except SetupError as exc:
                    self.stderr.write(problem_list(exc))
                    continue
                lines.append(line)
            if lines or current is None:
                person["hours"] = lines
            people.append(person)

    def ask_services(self) -> list[dict[str, Any]]:
        services: list[dict[str, Any]] = []
        self.stdout.write(
            "\nServices. Kind: private, assessment (free) or multibed (the community room). "
            'Price: an amount such as 65, "free", or a range such as 15-35 (you choose).'
        )
        known = {s.name.lower(): s for s in Service.objects.all()}
        while True:
            name = self.ask("Service name (empty when done)")
            if not name:
                return services
            current = known.get(name.lower())
            kind = self.ask("Kind", current.kind if current else "private", required=True)
            service: dict[str, Any] = {
                "name": name,
                "kind": kind,
                "minutes": self.ask(
                    "Minutes", str(current.duration_minutes) if current else "", required=True
                ),
                "description": self.ask(
                    "One line for patients", current.description if current else ""
                ),
            }
            if kind != "assessment":
                price = self.ask("Price", required=True)
                low, dash, high = price.partition("-")
                if dash:
                    suggested = self.ask("Suggested amount", low.strip())
                    service["price"] = {"min": low, "max": high, "suggested": suggested}
                else:
                    service["price"] = price
            services.append(service)

    def ask_rooms(self) -> list[dict[str, Any]]:
        current = Room.objects.first()
        self.stdout.write(
            '\nThe multibed room (empty name for none). Shifts look like "Tue,Thu 17:30-20:30 '
            'practitioner@email"; empty when done.'
        )
        name = self.ask("Room name", current.name if current else "")
        if not name:
            return []
        room: dict[str, Any] = {
            "name": name,
            "recliners": self.ask(
                "Recliners", str(current.recliners) if current else "", required=True
            ),
            "shifts": [],
        }
        while line := self.ask("Shift (empty when done)"):
            room["shifts"].append(line)
        return [room]


def load_file(path: Path) -> Any:
    """Read a TOML (``.toml``) or JSON file, with a message that says what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from None
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        return tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise CommandError(
            f"{path} is not valid {path.suffix.lstrip('.').upper() or 'TOML'}: {exc}"
        ) from None


def problem_list(exc: SetupError) -> str:
    return "Nothing was changed. Please fix:\n" + "\n".join(f"  - {p}" for p in exc.problems)
