"""Treatment on hold while a flag is open (issue 12, section 4), and what the messages say
(section 5): the safety net in every pre-visit email, plain text not HTML-escaped, team emails
without the patient footer, the alert email naming its level and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse

from booking.models import Booking, Practitioner, Service
from followup import tasks
from followup.models import MessageKind, OutboxMessage, OutboxStatus
from followup.outbox import deliver
from followup.planner import plan
from intake.models import AlertLevel, FlagKind, PatientFlag
from intake.services import alert_raise, flag_raise
from portal.models import Clinic, Role, User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import local
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.followup.conftest import book, past_visit

pytestmark = pytest.mark.django_db

# Wednesday's 09:00 treatment is in the 36-hour guidance window on Tuesday morning (outside the
# quiet hours).
GUIDANCE_DUE = datetime(2027, 3, 2, 8, 30, tzinfo=UTC)
PATIENT_FOOTER = "if you feel very unwell"


def beat(at: datetime) -> None:
    with time_machine.travel(at, tick=False):
        tasks.dispatch_due.delay()


@pytest.fixture
def upcoming(private: Service, patient: User) -> Booking:
    return book(patient, private, local(WED, 9), now=NOW)


def kinds_sent_to(person: User) -> list[str]:
    return list(
        OutboxMessage.objects.filter(recipient=person, status=OutboxStatus.SENT)
        .order_by("sent_at")
        .values_list("kind", flat=True)
    )


def test_an_open_flag_holds_booked_treatment_until_a_practitioner_clears_it(
    patient: User,
    mei: Practitioner,
    upcoming: Booking,
    front_desk: User,
    eager_celery: None,
) -> None:
    with time_machine.travel(NOW, tick=False):
        flag, _ = flag_raise(patient=patient, kind=FlagKind.URGENT, reason="Check-in")
    beat(NOW + timedelta(minutes=1))
    beat(NOW + timedelta(minutes=2))
    # One kind message, once.
    assert kinds_sent_to(patient) == [MessageKind.TREATMENT_HOLD]
    (hold,) = [m for m in mail.outbox if m.to == [patient.email]]
    assert "on hold" in hold.body and "not cancelled" in hold.body
    # A second flag while the first is open sends nothing more.
    flag_raise(patient=patient, kind=FlagKind.REVIEW, reason="Intake")
    beat(NOW + timedelta(minutes=3))
    assert kinds_sent_to(patient) == [MessageKind.TREATMENT_HOLD]

    # The patient's booking page says so; the team sees "Needs review" on the visit and the day.
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        page = client_for(patient).get(reverse("booking:detail", args=[upcoming.pk]))
        assert "data-on-hold" in page.content.decode()
        assert "This treatment is on hold" in page.content.decode()
        visit_page = client_for(mei.user).get(reverse("practice:booking", args=[upcoming.pk]))
        assert 'data-badge="on_hold"' in visit_page.content.decode()
        assert "Needs review" in visit_page.content.decode()
        day = client_for(mei.user).get(reverse("practice:day") + "?date=2027-03-03")
        assert 'data-badge="on_hold"' in day.content.decode()

    # No guidance while on hold.
    beat(GUIDANCE_DUE)
    beat(GUIDANCE_DUE + timedelta(hours=11))
    assert not OutboxMessage.objects.filter(
        kind__in=[MessageKind.PRE_VISIT, MessageKind.FIRST_VISIT]
    ).exists()

    # The front desk cannot clear a hold: it is a practitioner's decision.
    with time_machine.travel(GUIDANCE_DUE + timedelta(hours=11), tick=False):
        client_for(front_desk).post(reverse("intake:clear_flag", args=[flag.pk]))
        assert PatientFlag.objects.get(pk=flag.pk).cleared_at is None
        for open_flag in PatientFlag.objects.filter(cleared_at__isnull=True):
            client_for(mei.user).post(reverse("intake:clear_flag", args=[open_flag.pk]))
        page = client_for(patient).get(reverse("booking:detail", args=[upcoming.pk]))
        assert "data-on-hold" not in page.content.decode()
    # Cleared: the guidance that was due goes out at the next tick.
    beat(GUIDANCE_DUE + timedelta(hours=11, minutes=1))
    assert kinds_sent_to(patient) == [MessageKind.TREATMENT_HOLD, MessageKind.FIRST_VISIT]


def test_guidance_planned_before_the_flag_is_skipped_then_sent_once_cleared(
    patient: User, mei: Practitioner, upcoming: Booking
) -> None:
    plan(GUIDANCE_DUE)
    (row,) = OutboxMessage.objects.filter(kind=MessageKind.FIRST_VISIT)
    flag, _ = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="Intake")
    assert deliver(row.pk, now=GUIDANCE_DUE) == "skipped"
    plan(GUIDANCE_DUE + timedelta(minutes=1))
    assert OutboxMessage.objects.get(pk=row.pk).status == OutboxStatus.SKIPPED
    PatientFlag.objects.filter(pk=flag.pk).update(cleared_at=GUIDANCE_DUE)
    plan(GUIDANCE_DUE + timedelta(minutes=2))
    assert deliver(row.pk, now=GUIDANCE_DUE + timedelta(minutes=2)) == "sent"
    assert [m.to for m in mail.outbox] == [[patient.email]]


def guidance_email(booking: Booking, at: datetime) -> EmailMultiAlternatives:
    plan(at)
    row = OutboxMessage.objects.get(
        booking=booking, kind__in=[MessageKind.PRE_VISIT, MessageKind.FIRST_VISIT]
    )
    assert deliver(row.pk, now=at) == "sent"
    message = mail.outbox[-1]
    assert isinstance(message, EmailMultiAlternatives)
    return message


@pytest.mark.parametrize("earlier_treatments", [0, 1, 2, 4])
def test_every_pre_visit_email_carries_the_safety_net_and_the_advice(
    private: Service, patient: User, earlier_treatments: int
) -> None:
    for weeks in range(1, earlier_treatments + 1):
        past_visit(patient, private, weeks_ago=weeks)
    upcoming = book(patient, private, local(WED, 9), now=NOW)
    message = guidance_email(upcoming, GUIDANCE_DUE)
    expected_kind = MessageKind.FIRST_VISIT if earlier_treatments < 2 else MessageKind.PRE_VISIT
    assert OutboxMessage.objects.get(booking=upcoming).kind == expected_kind
    html = str(message.alternatives[0][0])
    for body in (message.body, html):
        # The safety net: emergency and urgent signs, with where to go.
        assert "999" in body and "NHS 111" in body
        assert "bladder or bowel" in body and "breathlessness" in body
        assert "slurred speech" in body and "hot, red, swollen" in body
        # The advice from the seeds.
        assert "drink plenty of water" in body and "blood thinners" in body
        assert "turn the volume down" in body and "do not drive" in body
        assert "more than a few days, call us or see your GP" in body
    assert "A&E" in message.body and "A&amp;E" in html


def test_the_free_assessments_guidance_carries_the_safety_net_too(
    assessment: Service, patient: User
) -> None:
    upcoming = book(patient, assessment, local(WED, 9), now=NOW)
    message = guidance_email(upcoming, GUIDANCE_DUE)
    assert "999" in message.body and "NHS 111" in message.body


def test_plain_text_emails_are_not_html_escaped(
    clinic: Clinic, patient: User, mei: Practitioner, upcoming: Booking
) -> None:
    clinic.name = "O'Neill & Daughters Acupuncture"
    clinic.save()
    message = guidance_email(upcoming, GUIDANCE_DUE)
    assert "O'Neill & Daughters Acupuncture" in message.body and "A&E" in message.body
    assert "&amp;" not in message.body and "&#x27;" not in message.body
    assert "O&#x27;Neill &amp; Daughters" in str(message.alternatives[0][0])
    flag_raise(patient=patient, kind=FlagKind.REVIEW, reason="Intake")
    plan(GUIDANCE_DUE)
    row = OutboxMessage.objects.get(kind=MessageKind.TREATMENT_HOLD)
    assert deliver(row.pk, now=GUIDANCE_DUE) == "sent"
    assert mail.outbox[-1].subject == "About your next treatment at O'Neill & Daughters Acupuncture"


@pytest.fixture
def team_emails(
    clinic: Clinic, patient: User, mei: Practitioner, upcoming: Booking
) -> Iterator[list[EmailMultiAlternatives]]:
    """An urgent alert, an emergency alert, its chase and an intake red flag, all delivered."""
    UserFactory.create(role=Role.STAFF, email="desk@example.com")
    patient.last_name = "O'Neill"
    patient.phone = "07700 900123"
    patient.save()
    with time_machine.travel(datetime(2027, 3, 1, 10, 0, tzinfo=UTC), tick=False):
        for level, kind in (
            (AlertLevel.URGENT, "checkin_red_flag"),
            (AlertLevel.EMERGENCY, "checkin_emergency"),
            (AlertLevel.URGENT, "intake_red_flag"),
        ):
            alert_raise(
                patient=patient,
                level=level,
                kind=kind,
                source_key="s",
                summary="Answered yes to a red-flag question in a check-in",
                practitioner=mei,
            )
    later = datetime(2027, 3, 1, 10, 40, tzinfo=UTC)
    plan(datetime(2027, 3, 1, 10, 1, tzinfo=UTC))
    plan(later)
    for row in OutboxMessage.objects.all():
        deliver(row.pk, now=later)
    yield [m for m in mail.outbox if isinstance(m, EmailMultiAlternatives)]


def test_team_emails_carry_no_patient_footer(
    team_emails: list[EmailMultiAlternatives], patient: User
) -> None:
    assert {m.to[0] for m in team_emails} == {"mei@example.com", "desk@example.com"}
    assert len(team_emails) == 12  # three alerts and three chases, to two people each
    for message in team_emails:
        html = str(message.alternatives[0][0])
        assert PATIENT_FOOTER not in message.body.lower() and PATIENT_FOOTER not in html.lower()
        assert "Sent to the" in html
        # The patient's own name is written literally in the plain text.
        assert "O'Neill" in message.body


def test_an_alert_email_states_its_level_and_never_the_symptom_or_the_name_in_the_subject(
    team_emails: list[EmailMultiAlternatives], patient: User
) -> None:
    subjects = {m.subject for m in team_emails}
    assert any(s.startswith("Emergency alert") for s in subjects)
    assert any(s.startswith("Urgent alert") for s in subjects)
    assert any(s.startswith("Not yet acknowledged: emergency alert") for s in subjects)
    for message in team_emails:
        html = str(message.alternatives[0][0])
        assert (
            patient.last_name not in message.subject and patient.first_name not in message.subject
        )
        level = "EMERGENCY" if "mergency" in message.subject else "URGENT"
        assert f"LEVEL: {level}" in message.body
        for body in (message.body, html):
            assert "red-flag question in a check-in" not in body  # the summary stays in the portal
            for symptom in ("numb", "weakness", "fever", "breathless"):
                assert symptom not in body.lower()


def test_a_patient_email_keeps_its_footer(patient: User, upcoming: Booking) -> None:
    message = guidance_email(upcoming, GUIDANCE_DUE)
    assert PATIENT_FOOTER in str(message.alternatives[0][0]).lower()
