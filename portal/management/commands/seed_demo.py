from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.demo import DEMO_PASSWORD, DEMO_RECOVERY_CODES, DEMO_TOTP_SECRET, PEOPLE, seed_clinic


class Command(BaseCommand):
    help = "Create or refresh the demo clinic, its team and the sample patients (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.PRODUCTION:
            # The demo logins share a published password and authenticator secret.
            raise CommandError(
                "seed_demo only runs in the demo: it creates logins whose password and "
                "authenticator secret are published in the README. This is the production "
                "profile (DEBUG=false or PORTAL_PROFILE=production); set up a real clinic "
                "with: python manage.py setup_clinic"
            )
        clinic, _users = seed_clinic()
        from booking.demo import seed_booking, seed_history

        seed_booking(clinic)
        seed_history(clinic)
        from intake.demo import seed_intake

        seed_intake(clinic)
        from payments.demo import seed_payments

        seed_payments(clinic)
        from practice.demo import seed_practice

        seed_practice(clinic)
        from followup.demo import seed_followup

        seed_followup(clinic)
        self.stdout.write(self.style.SUCCESS(f"Demo clinic ready: {clinic.name}"))
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        self.stdout.write(
            f"The team also types a code from an authenticator app with the secret "
            f"{DEMO_TOTP_SECRET} (or run: python manage.py demo_totp), or a recovery code "
            f"such as {DEMO_RECOVERY_CODES[0]} (each works once)"
        )
        self.stdout.write(
            "To see a 48-hour check-in: python manage.py followup_fast_forward --patient EMAIL"
        )
        width = max(len(p.email) for p in PEOPLE)
        for person in PEOPLE:
            self.stdout.write(
                f"  {person.email:<{width}}  {person.role.label:<13} {person.first_name} "
                f"{person.last_name}: {person.note}"
            )
