from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import key_rotation


class Command(BaseCommand):
    help = (
        "Re-encrypt stored health data with the newest key in FIELD_ENCRYPTION_KEYS, so an "
        "older key can be removed. --check only counts what is still under an older key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--check",
            action="store_true",
            help="Count tokens not written by the newest key; exit 1 if there are any.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["check"]:
            stale = key_rotation.stale_counts()
            for label, count in stale.items():
                self.stdout.write(f"{label}: {count} under an older key")
            if stale:
                raise CommandError(
                    f"{sum(stale.values())} values still need the newest key: run "
                    "rotate_encryption_key before removing an old key."
                )
            self.stdout.write(self.style.SUCCESS("Every value is under the newest key."))
            return
        rewritten = key_rotation.rotate()
        for label, count in rewritten.items():
            self.stdout.write(f"{label}: {count} re-encrypted")
        self.stdout.write(
            self.style.SUCCESS(
                f"Done: {sum(rewritten.values())} values re-encrypted. The older keys can be "
                "removed from FIELD_ENCRYPTION_KEYS once every process runs with the new list."
            )
        )
