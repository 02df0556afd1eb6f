"""Alerts reach a person and are chased (issue 12, section 4): emergency and urgent alerts are
emailed at once to the booked practitioner and the duty contact, shown on every team dashboard,
sent again and escalated to the owner when nobody acknowledges them within the clinic's minutes
of opening hours; a call request is a same-day task, not tomorrow's digest."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from booking.models import Booking, Practitioner
from followup import tasks
from followup.links import make_token
from followup.models import CheckInStage, MessageKind, OutboxMessage
from followup.planner import plan
from intake.models import Alert, AlertLevel
from intake.services import alert_raise
from portal.models import Clinic, Role, User
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.followup.conftest import CHECKIN_DUE

pytestmark = pytest.mark.django_db

# Monday 1 March 2027 (London = UTC in March); the clinic is open 08:00-18:00, Monday-Saturday.
MONDAY_10 = datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def beat() -> int:
    """One tick of the every-minute beat: plan, then send what is due (eager Celery)."""
    return tasks.dispatch_due.delay().get()


def raise_alert(
    patient: User,
    level: AlertLevel,
    *,
    practitioner: Practitioner | None = None,
    booking: Booking | None = None,
    key: str = "checkin:1",
    kind: str = "checkin_triage",
) -> Alert:
    alert, _ = alert_raise(
        patient=patient,
        level=level,
        kind=kind,
        source_key=key,
        summary="Answered a check-in question that needs a call",
        practitioner=practitioner,
        booking=booking,
    )
    return alert


@pytest.fixture
def team(clinic: Clinic, mei: Practitioner) -> dict[str, User]:
    """Mei (booked), a colleague, two staff members and the owner (a superuser)."""
    return {
        "colleague": UserFactory.create(role=Role.PRACTITIONER, email="david@example.com"),
        "desk": UserFactory.create(role=Role.STAFF, email="desk@example.com", first_name="Sam"),
        "manager": UserFactory.create(role=Role.STAFF, email="manager@example.com"),
        "owner": User.objects.create_superuser("owner@example.com", "pw-long-enough-123"),
    }


@pytest.fixture
def monday() -> Iterator[None]:
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def recipients(kind: MessageKind) -> list[str]:
    rows = OutboxMessage.objects.filter(kind=kind).select_related("recipient")
    return sorted(row.recipient.email for row in rows)


@pytest.mark.usefixtures("monday")
def test_an_emergency_goes_at_once_to_the_booked_practitioner_and_every_staff_member(
    patient: User,
    mei: Practitioner,
    visit: Booking,
    team: dict[str, User],
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        alert = raise_alert(patient, AlertLevel.EMERGENCY, practitioner=mei, booking=visit)
    # At once (the hand-off on commit), to Mei and both staff members: not the colleague who
    # does not treat this patient, and the owner only if nobody acknowledges it.
    expected = sorted([mei.user.email, "desk@example.com", "manager@example.com"])
    assert sorted(m.to[0] for m in mail.outbox) == expected
    assert recipients(MessageKind.ALERT_URGENT) == expected
    assert all(m.subject.startswith("Emergency alert") for m in mail.outbox)
    # A second hand-off, or the beat, sends nothing more.
    tasks.send_outbox_message.delay(OutboxMessage.objects.first().pk)  # type: ignore[union-attr]
    beat()
    assert len(mail.outbox) == 3
    # Every team dashboard shows it: the booked practitioner, the colleague and the front desk.
    for person in (mei.user, team["colleague"]):
        page = client_for(person).get(reverse("practitioner_dashboard")).content.decode()
        assert f'data-alert="{alert.pk}" data-level="emergency"' in page
    page = client_for(team["desk"]).get(reverse("staff_dashboard")).content.decode()
    assert f'data-alert="{alert.pk}" data-level="emergency"' in page


@pytest.mark.usefixtures("monday")
@pytest.mark.parametrize(
    ("still_here", "told"),
    [
        (True, ["david@example.com"]),  # the chosen contact replaces the whole staff
        (False, ["desk@example.com", "manager@example.com"]),  # left: every staff member
    ],
)
def test_a_chosen_duty_contact_replaces_the_whole_staff_while_they_are_here(
    clinic: Clinic,
    patient: User,
    mei: Practitioner,
    visit: Booking,
    team: dict[str, User],
    eager_celery: None,
    still_here: bool,
    told: list[str],
) -> None:
    clinic.duty_contact = team["colleague"]
    clinic.save()
    User.objects.filter(pk=team["colleague"].pk).update(is_active=still_here)
    raise_alert(patient, AlertLevel.URGENT, practitioner=mei, booking=visit)
    beat()  # the planner catches the alert (no hand-off in this test)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mei.user.email, *told])
    assert all(m.subject.startswith("Urgent alert") for m in mail.outbox)


def test_an_urgent_check_in_reaches_the_booked_practitioner_and_the_staff_through_the_view(
    client: Any,
    patient: User,
    mei: Practitioner,
    visit: Booking,
    team: dict[str, User],
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with (
        time_machine.travel(CHECKIN_DUE, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        token = make_token(booking_id=visit.pk, stage=CheckInStage.CHECKIN)
        client.post(
            reverse("followup:checkin", args=[token]),
            {"comparison": "same", "pain_now": "4", "red_flags": ["leg_weakness_worsening"]},
        )
    alert = Alert.objects.get(level__in=[AlertLevel.EMERGENCY, AlertLevel.URGENT])
    told = set(recipients(MessageKind.ALERT_URGENT))
    assert {mei.user.email, "desk@example.com", "manager@example.com"} <= told
    assert "owner@example.com" not in told
    assert Alert.objects.get(pk=alert.pk).practitioner_id == mei.pk


def chase_rows() -> list[str]:
    return recipients(MessageKind.ALERT_CHASE)


def test_an_unacknowledged_alert_is_sent_again_after_30_minutes_and_escalated_to_the_owner(
    clinic: Clinic,
    patient: User,
    mei: Practitioner,
    visit: Booking,
    team: dict[str, User],
    eager_celery: None,
) -> None:
    clinic.duty_contact = team["desk"]
    clinic.save()
    with time_machine.travel(MONDAY_10, tick=False):
        alert = raise_alert(patient, AlertLevel.URGENT, practitioner=mei, booking=visit)
        beat()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([mei.user.email, "desk@example.com"])
    with time_machine.travel(MONDAY_10 + timedelta(minutes=29), tick=False):
        beat()
    assert chase_rows() == [] and len(mail.outbox) == 2
    with time_machine.travel(MONDAY_10 + timedelta(minutes=30), tick=False):
        beat()
        beat()  # the next tick, or a second beat: nothing twice
    chased = sorted([mei.user.email, "desk@example.com", "owner@example.com"])
    assert chase_rows() == chased
    resent = [m for m in mail.outbox[2:]]
    assert sorted(m.to[0] for m in resent) == chased
    assert all("Not yet acknowledged" in m.subject for m in resent)
    assert patient.get_full_name() not in resent[0].subject
    alert.refresh_from_db()
    assert alert.chased_at == MONDAY_10 + timedelta(minutes=30)
    # A retried task for a sent row sends nothing; later ticks chase no more.
    for row in OutboxMessage.objects.filter(kind=MessageKind.ALERT_CHASE):
        assert tasks.send_outbox_message.delay(row.pk).get() == "not-claimed"
    with time_machine.travel(MONDAY_10 + timedelta(hours=3), tick=False):
        beat()
    assert len(mail.outbox) == 5

    # Acknowledged 45 minutes after it was raised: recorded and shown on the dashboard.
    with time_machine.travel(MONDAY_10 + timedelta(minutes=45), tick=False):
        response = client_for(team["desk"]).post(
            reverse("intake:acknowledge_alert", args=[alert.pk])
        )
        assert response.status_code == 302
        alert.refresh_from_db()
        assert alert.acknowledged_by == team["desk"]
        assert alert.time_to_acknowledge == timedelta(minutes=45)
        page = client_for(mei.user).get(reverse("practitioner_dashboard")).content.decode()
    assert f'data-alert="{alert.pk}" data-level' not in page  # no longer waiting
    assert "data-done-today" in page and "after 45 min" in page


@pytest.mark.parametrize(
    ("raised", "not_yet", "due"),
    [
        # 17:50 on Monday: ten minutes count today, twenty from Tuesday's 08:00 opening.
        (
            datetime(2027, 3, 1, 17, 50, tzinfo=UTC),
            datetime(2027, 3, 2, 8, 19, tzinfo=UTC),
            datetime(2027, 3, 2, 8, 20, tzinfo=UTC),
        ),
        # 23:00 on Monday (closed): the thirty minutes start at Tuesday's opening.
        (
            datetime(2027, 3, 1, 23, 0, tzinfo=UTC),
            datetime(2027, 3, 2, 8, 29, tzinfo=UTC),
            datetime(2027, 3, 2, 8, 30, tzinfo=UTC),
        ),
        # Saturday 17:45: fifteen minutes on Saturday, Sunday closed, the rest on Monday.
        (
            datetime(2027, 3, 6, 17, 45, tzinfo=UTC),
            datetime(2027, 3, 8, 8, 14, tzinfo=UTC),
            datetime(2027, 3, 8, 8, 15, tzinfo=UTC),
        ),
    ],
)
def test_the_thirty_minutes_count_only_opening_hours(
    clinic: Clinic,
    patient: User,
    mei: Practitioner,
    team: dict[str, User],
    raised: datetime,
    not_yet: datetime,
    due: datetime,
) -> None:
    assert (clinic.opens_at, clinic.closes_at, clinic.open_days) == (time(8), time(18), "012345")
    with time_machine.travel(raised, tick=False):
        raise_alert(patient, AlertLevel.EMERGENCY, practitioner=mei)
    # The night's ticks (every hour here) chase nothing while the clinic is closed.
    tick = raised
    while tick <= not_yet:
        plan(tick)
        tick += timedelta(hours=1)
    plan(not_yet)
    assert chase_rows() == []
    plan(due)
    assert "owner@example.com" in chase_rows()


def test_a_same_day_or_acknowledged_alert_is_never_chased(
    patient: User, mei: Practitioner, team: dict[str, User]
) -> None:
    with time_machine.travel(MONDAY_10, tick=False):
        raise_alert(patient, AlertLevel.TODAY, practitioner=mei, key="a")
        acked = raise_alert(patient, AlertLevel.URGENT, practitioner=mei, key="b")
        Alert.objects.filter(pk=acked.pk).update(acknowledged_at=MONDAY_10)
    plan(MONDAY_10 + timedelta(hours=2))
    assert chase_rows() == []


def test_a_call_request_is_a_task_on_todays_dashboard_not_tomorrows_digest(
    client: Any, patient: User, mei: Practitioner, visit: Booking, team: dict[str, User]
) -> None:
    with time_machine.travel(CHECKIN_DUE, tick=False):
        token = make_token(booking_id=visit.pk, stage=CheckInStage.CHECKIN)
        response = client.post(
            reverse("followup:checkin", args=[token]),
            {"comparison": "better", "pain_now": "3", "wants_call": "on"},
        )
        assert response.status_code == 200
        call = Alert.objects.get(kind="call_requested")
        assert call.level == AlertLevel.TODAY
        page = client_for(mei.user).get(reverse("practitioner_dashboard")).content.decode()
        tasks_box = page.split("data-today-tasks", 1)[1].split("</ul>", 1)[0]
        assert f'data-alert="{call.pk}"' in tasks_box and "Call back today" in tasks_box
        desk = client_for(team["desk"]).get(reverse("staff_dashboard")).content.decode()
        assert f'data-alert="{call.pk}" data-level="today"' in desk
    # The next morning's digest does not carry it (it was today's work).
    plan(datetime(2027, 3, 6, 8, 0, tzinfo=UTC))
    assert not OutboxMessage.objects.filter(kind=MessageKind.ALERT_DIGEST).exists()
    # Done: who and when are recorded, and it leaves the task list.
    done_at = CHECKIN_DUE + timedelta(minutes=20)
    with time_machine.travel(done_at, tick=False):
        client_for(mei.user).post(reverse("intake:acknowledge_alert", args=[call.pk]))
        page = client_for(mei.user).get(reverse("practitioner_dashboard")).content.decode()
    call.refresh_from_db()
    assert (call.acknowledged_by, call.acknowledged_at) == (mei.user, done_at)
    assert "data-today-tasks" not in page and "after 20 min" in page
