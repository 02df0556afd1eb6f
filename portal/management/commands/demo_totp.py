from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from portal.authenticators import totp_code
from portal.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the code the demo team's authenticator app shows now (demo secret only)."

    def handle(self, *args: Any, **options: Any) -> None:
        period = int(getattr(settings, "MFA_TOTP_PERIOD", 30))
        left = period - int(time.time()) % period
        self.stdout.write(f"Demo authenticator secret: {DEMO_TOTP_SECRET}")
        self.stdout.write(self.style.SUCCESS(f"Code now: {totp_code(DEMO_TOTP_SECRET)}"))
        self.stdout.write(f"(changes in {left} s; each code signs one person in once)")
