"""The demo's follow-up data and the fast-forward command."""

from __future__ import annotations

from io import StringIO
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from booking.models import Booking, BookingStatus
from followup.demo import PRIYA_UNANSWERED, visit_key
from followup.models import CheckIn, MessageKind, OutboxMessage
from intake.models import Alert, AlertLevel, FlagKind, PatientFlag

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded() -> None:
    call_command("seed_demo", stdout=StringIO())


def test_the_demo_has_answered_checkins_alerts_and_a_flag(seeded: None) -> None:
    call_command("seed_demo", stdout=StringIO())  # twice: nothing doubles
    assert CheckIn.objects.count() == 8  # followup.demo.CHECKINS, Priya's left unanswered
    # Tom asked for a call: a same-day task.
    assert Alert.objects.filter(level=AlertLevel.TODAY, kind="call_requested").count() == 1
    assert PatientFlag.objects.filter(
        patient__email="alex@patient.example", kind=FlagKind.TREAT_GENTLY
    ).exists()
    # Worse after early treatments: re-checks (how many depends on the visits other demos seed).
    assert OutboxMessage.objects.filter(kind=MessageKind.RECHECK).exists()
    priya = Booking.objects.get(request_key=visit_key(PRIYA_UNANSWERED))
    assert priya.status == BookingStatus.CONFIRMED  # attendance not marked: still checked in


def test_fast_forward_moves_a_visit_and_prints_a_working_link(seeded: None) -> None:
    out = StringIO()
    with override_settings(DEBUG=True):
        call_command("followup_fast_forward", "--patient", "priya@patient.example", stdout=out)
    lines = out.getvalue().strip().splitlines()
    link = lines[-1]
    assert "/checkin/" in link
    visit = Booking.objects.get(pk=int(lines[0].split()[1]))
    assert visit.patient.email == "priya@patient.example"
    assert visit.status == BookingStatus.ATTENDED
    assert OutboxMessage.objects.filter(booking=visit, kind=MessageKind.CHECKIN).exists()
    page = Client().get(urlparse(link).path)
    assert page.status_code == 200
    assert "How are you, Priya?" in page.content.decode()


def test_fast_forward_refuses_outside_the_demo(seeded: None) -> None:
    with override_settings(DEBUG=False), pytest.raises(CommandError, match="demo"):
        call_command("followup_fast_forward", stdout=StringIO())
