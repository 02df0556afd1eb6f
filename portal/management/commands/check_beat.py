"""The beat container's health check: fails when beat's heartbeat is older than three minutes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from portal import health


class Command(BaseCommand):
    help = "Exit 1 unless beat's heartbeat (the task it queues every minute) ran recently."

    def handle(self, *args: Any, **options: Any) -> None:
        seconds_ago = health.seconds_since_heartbeat()
        if seconds_ago is None:
            raise CommandError("No heartbeat yet: beat has not run, or the cache is unreachable.")
        if health.beat_is_stale(seconds_ago):
            raise CommandError(f"Beat last ran {seconds_ago} s ago.")
        self.stdout.write(f"Beat ran {seconds_ago} s ago.")
