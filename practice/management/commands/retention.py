"""``manage.py retention --dry-run``: what the monthly retention run would do, or run it now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from practice import retention


class Command(BaseCommand):
    help = (
        "Show (--dry-run) or carry out the retention run: patients past the retention period "
        "(anonymised only once the owner approves), never-booked accounts idle for two years."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Show what would happen; change nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if not dry_run:
            result = retention.run()
            self.stdout.write(
                f"Listed {result.listed} for approval, deleted {result.deleted} inactive "
                f"account(s), anonymised {result.anonymised} approved and "
                f"{result.never_treated} never-treated inactive."
            )
            return
        plan = retention.dry_run()
        self.stdout.write(f"Past retention ({len(plan.due)}), anonymised once approved:")
        for item in plan.due:
            held = ", ".join(f"{n} {what}" for what, n in item.counts.items() if n)
            self.stdout.write(
                f"  patient {item.patient.pk}, last treated {item.last_treated_at:%Y-%m-%d}: "
                f"{held or 'no records'}"
            )
        self.stdout.write(f"Approved, anonymised on the next run ({len(plan.approved)}):")
        for case in plan.approved:
            self.stdout.write(f"  patient {case.patient_id}")
        self.stdout.write(f"Never booked, inactive two years, deleted ({len(plan.inactive)}):")
        for user in plan.inactive:
            last = user.last_login or user.date_joined
            self.stdout.write(f"  account {user.pk}, last seen {last:%Y-%m-%d}")
        self.stdout.write(
            f"Booked, never treated, inactive two years, anonymised ({len(plan.never_treated)}):"
        )
        for user in plan.never_treated:
            self.stdout.write(f"  patient {user.pk}")
        self.stdout.write("Dry run: nothing was changed.")
