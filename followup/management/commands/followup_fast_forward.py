from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from booking.models import ACTIVE_STATUSES, Booking, BookingStatus
from followup.links import checkin_url
from followup.models import CheckIn, CheckInStage
from followup.planner import plan
from followup.tasks import dispatch_due


class Command(BaseCommand):
    help = (
        "Demo only: move a visit so it ended 48 hours ago (marked attended), plan its check-in "
        "and print the check-in link. The running worker emails it within a minute."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--booking", type=int, help="The visit's id.")
        parser.add_argument(
            "--patient",
            default="jordan@patient.example",
            help="Otherwise, this patient's next (or latest) visit.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("This rewrites visit times: it only runs in the demo (DEBUG=true).")
        visits = Booking.objects.select_related("clinic", "patient").filter(
            status__in=ACTIVE_STATUSES
        )
        if options["booking"]:
            visit = visits.filter(pk=options["booking"]).first()
        else:
            answered = CheckIn.objects.filter(stage=CheckInStage.CHECKIN).values("booking_id")
            mine = visits.filter(patient__email__iexact=options["patient"]).exclude(pk__in=answered)
            visit = (
                mine.filter(starts_at__gte=timezone.now()).order_by("starts_at").first()
                or mine.order_by("-starts_at").first()
            )
        if visit is None:
            raise CommandError(
                "No such visit. Book one first (log in as the patient), or pass --booking ID."
            )
        now = timezone.now()
        ended = now - timedelta(hours=visit.clinic.checkin_after_hours, minutes=1)
        shift = ended - visit.ends_at
        with transaction.atomic():
            Booking.objects.filter(pk=visit.pk).update(
                starts_at=visit.starts_at + shift,
                ends_at=visit.ends_at + shift,
                blocked_from=visit.blocked_from + shift,
                blocked_until=visit.blocked_until + shift,
                status=BookingStatus.ATTENDED,
                attendance_marked_at=now,
            )
            made = plan(now)
            transaction.on_commit(dispatch_due.delay)
        visit.refresh_from_db()
        self.stdout.write(
            f"Visit {visit.pk} ({visit.patient}, {visit.service}) now ended "
            f"{visit.ends_at.astimezone(visit.clinic.tz):%a %d %b %H:%M}; "
            f"{made} message(s) planned."
        )
        self.stdout.write("The worker emails the check-in within a minute (see its console).")
        self.stdout.write("Check-in link:")
        self.stdout.write(
            self.style.SUCCESS(checkin_url(booking_id=visit.pk, stage=CheckInStage.CHECKIN))
        )
