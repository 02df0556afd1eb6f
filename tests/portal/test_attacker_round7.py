"""Round 7 of the attacker tests: trust, least privilege and privacy, through real requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.core import mail
from django.urls import reverse

from booking.models import ACTIVE_STATUSES, Booking, BookingStatus, Practitioner, Service
from followup import tasks
from followup.alerts import urgent_alert_put
from followup.links import make_token
from followup.models import CheckInStage, MessageKind, OutboxMessage, OutboxStatus
from intake.models import Alert, AlertLevel, DiaryEntry
from intake.services import alert_raise
from portal.models import Clinic, Role, User
from practice.models import CalendarFeed
from tests.booking.conftest import (  # noqa: F401 (fixtures)
    NOW,
    WED,
    _fast_passwords,
    eager_celery,
    frozen,
    mei,
    patient,
    policies,
    private,
)
from tests.booking.factories import local, visit_at
from tests.booking.test_views import post_confirm
from tests.conftest import client_for, reauthenticated
from tests.followup.conftest import CHECKIN_DUE, visit  # noqa: F401 (fixture)
from tests.portal.test_admin_privileges import _clinic_form_data
from tests.portal.test_attacker_round4 import admin_form

pytestmark = pytest.mark.django_db


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[], Any]:
    """Run on-commit work (a queued task) as the request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def weekday_starts(first: date, count: int) -> list[Any]:
    """``count`` open treatment times with Mei (09:00 and 13:00 on weekdays from ``first``)."""
    starts: list[Any] = []
    day = first
    while len(starts) < count:
        if day.weekday() < 5:
            starts += [local(day, 9), local(day, 13)]
        day += timedelta(days=1)
    return starts[:count]


# --- One patient books every open time in the diary -----------------------------------------


@pytest.mark.usefixtures("frozen")
def test_a_patient_cannot_hold_every_open_time_in_the_diary(
    patient: User,  # noqa: F811
    private: Service,  # noqa: F811
    mei: Practitioner,  # noqa: F811
    front_desk: User,
) -> None:
    """Only a new patient's upcoming visits were capped: anyone treated once could book (or
    hold unpaid for online payment, again and again) every open time of the next eight weeks
    from a script, and no other patient could book online. A patient booking for themself now
    holds at most the clinic's ``online_booking_limit`` upcoming visits; the team may book more
    for them, and moving a visit is never refused by it."""
    visit_at(
        patient=patient,
        service=private,
        practitioner=mei,
        starts_at=NOW - timedelta(days=7),
        status=BookingStatus.ATTENDED,
    )
    limit = Clinic.objects.current().online_booking_limit
    assert 0 < limit < 20
    starts = weekday_starts(date(2027, 3, 3), limit + 3)
    browser = client_for(patient)
    for start in starts[: limit + 2]:
        post_confirm(browser, private, start)
    upcoming = Booking.objects.filter(
        patient=patient, status__in=ACTIVE_STATUSES, starts_at__gte=NOW
    )
    assert upcoming.count() == limit
    refused = post_confirm(browser, private, starts[limit + 2])
    assert refused.status_code == 200
    assert b"as many as can be held online at once" in refused.content
    # The confirm page says so before the patient presses Confirm.
    asked = urlencode({"start": starts[-1].isoformat()})
    page = browser.get(f"{reverse('booking:confirm', args=[private.slug])}?{asked}")
    assert b"as many as can be held online at once" in page.content
    # A visit they hold still moves.
    first = upcoming.order_by("starts_at").first()
    assert first is not None
    post_confirm(browser, private, starts[limit], query={"reschedule": first.pk})
    assert Booking.objects.get(pk=first.pk).status == BookingStatus.RESCHEDULED
    # The desk books a course for a caller whatever the count.
    post_confirm(client_for(front_desk), private, starts[limit + 2], query={"for": patient.pk})
    assert upcoming.count() == limit + 1


# --- Someone moved off the team keeps getting the team's alert emails ------------------------


def test_an_account_moved_off_the_team_is_emailed_no_patients_alerts(
    patient: User,  # noqa: F811
    mei: Practitioner,  # noqa: F811
    visit: Booking,  # noqa: F811
    front_desk: User,
    owner: User,
    eager_celery: None,  # noqa: F811
    capture: Callable[[], Any],
) -> None:
    """The alert emails went to the booked practitioner's account and to the clinic's duty
    contact as long as the account was active, whatever its role now. Moving the duty contact
    or a practitioner to the patient role (someone who left the team but stays a patient)
    kept their inbox on every emergency and urgent alert: the patient's name, phone number and
    level. The team's alert emails now go only to accounts still on the team."""
    clinic = Clinic.objects.current()
    clinic.duty_contact = front_desk
    clinic.save()
    admin = reauthenticated(owner)
    for leaving in (front_desk, mei.user):
        url = reverse("admin:portal_user_change", args=[leaving.pk])
        form = {k: v for k, v in admin_form(admin, url).items() if k != "groups"}
        assert admin.post(url, {**form, "role": Role.PATIENT}).status_code == 302
        assert User.objects.get(pk=leaving.pk).role == Role.PATIENT
    with time_machine.travel(CHECKIN_DUE, tick=False), capture():
        token = make_token(booking_id=visit.pk, stage=CheckInStage.CHECKIN)
        client_for(patient).post(
            reverse("followup:checkin", args=[token]),
            {"comparison": "same", "pain_now": "4", "red_flags": ["leg_weakness_worsening"]},
        )
    assert Alert.objects.filter(level__in=[AlertLevel.EMERGENCY, AlertLevel.URGENT]).exists()
    told = {m.to[0] for m in mail.outbox if "alert" in m.subject.lower()}
    assert front_desk.email not in told, "the former duty contact was emailed the alert"
    assert mei.user.email not in told, "the former practitioner was emailed the alert"
    # Someone on the team still is: with no duty contact left, every staff member.
    assert owner.email in told


@pytest.mark.usefixtures("frozen")
def test_an_alert_email_queued_before_someone_left_the_team_is_not_sent(
    patient: User,  # noqa: F811
    mei: Practitioner,  # noqa: F811
    visit: Booking,  # noqa: F811
    owner: User,
    eager_celery: None,  # noqa: F811
) -> None:
    """The outbox re-checks a row when it sends it: a team alert put for a practitioner who is
    then moved off the team goes to nobody (it used to check only that the account was open)."""
    alert, _ = alert_raise(
        patient=patient,
        level=AlertLevel.URGENT,
        kind="checkin_triage",
        source_key="checkin:1",
        summary="Answered a check-in question that needs a call",
        practitioner=mei,
        booking=visit,
    )
    rows = urgent_alert_put(alert=alert, now=NOW)
    theirs = next(row for row, _ in rows if row.recipient_id == mei.user_id)
    admin = reauthenticated(owner)
    url = reverse("admin:portal_user_change", args=[mei.user_id])
    form = {k: v for k, v in admin_form(admin, url).items() if k != "groups"}
    admin.post(url, {**form, "role": Role.PATIENT})
    tasks.send_outbox_message.delay(theirs.pk)
    assert mei.user.email not in {m.to[0] for m in mail.outbox}
    row = OutboxMessage.objects.get(pk=theirs.pk)
    assert row.kind == MessageKind.ALERT_URGENT
    assert row.status == OutboxStatus.SKIPPED


# --- A practitioner who left still takes online bookings -------------------------------------


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize("how", ["deactivated", "moved to the desk"])
def test_a_practitioner_who_left_is_offered_for_no_more_bookings(
    patient: User,  # noqa: F811
    private: Service,  # noqa: F811
    mei: Practitioner,  # noqa: F811
    owner: User,
    how: str,
    capture: Callable[[], Any],
) -> None:
    """The owner switches off a practitioner who leaves (or moves them to the front desk) but
    the profile still ticked "bookable": patients went on seeing them on the public pages and
    booking their times, each visit confirmed by email with a practitioner nobody would meet,
    its check-ins' routine notes addressed to no one on the team. A profile takes bookings only
    while its account is an active practitioner's (the open times cached before are forgotten)."""
    browser = client_for(patient)
    week = reverse("booking:week", args=[private.slug])
    assert b"start=" in browser.get(week).content  # Mei's times, now cached
    admin = reauthenticated(owner)
    url = reverse("admin:portal_user_change", args=[mei.user_id])
    form = {k: v for k, v in admin_form(admin, url).items() if k != "groups"}
    if how == "deactivated":
        form.pop("is_active")
    else:
        form["role"] = Role.STAFF
    with capture():  # the commit that forgets the cached open times
        assert admin.post(url, form).status_code == 302
    left = User.objects.get(pk=mei.user_id)
    assert not left.is_active or left.role == Role.STAFF
    assert b"start=" not in browser.get(week).content
    assert b"Mei Chen" not in browser.get(reverse("booking:services")).content
    post_confirm(browser, private, local(WED, 9))
    assert not Booking.objects.filter(patient=patient).exists()


# --- The desk redirects where patients' replies and urgent calls go --------------------------


@pytest.mark.parametrize(
    ("field", "posted"),
    [
        ("email", "sam.private@example.net"),
        ("phone", "07700 900999"),
        ("email_from", "sam.private@example.net"),
    ],
)
def test_the_desk_cannot_move_where_patients_replies_and_urgent_calls_go(
    front_desk: User, owner: User, field: str, posted: str
) -> None:
    """The clinic's email address is the Reply-To of every email the portal sends (urgent
    advice, check-ins, the treatment-hold notice: patients answer them with their symptoms)
    and where the privacy notice and the access log send questions about who read a record;
    its phone number is the one urgent advice, the safety net and the check-in tell a patient to
    call; ``email_from`` is the sender every email, urgent ones included, is delivered as. The
    desk, who reads no health data, could point any of them at itself (or nowhere) in the admin
    while the emergency numbers beside them were already the owner's. They are now too."""
    clinic = Clinic.objects.current()
    clinic.email, clinic.phone = "hello@clinic.example", "0117 496 0000"
    clinic.email_from = "Clinic <hello@clinic.example>"
    clinic.save()
    url = reverse("admin:portal_clinic_change", args=[clinic.pk])
    desk = client_for(front_desk)
    data = {**_clinic_form_data(desk, clinic), field: posted, "address": "1 High St"}
    assert desk.post(url, data).status_code == 302
    clinic.refresh_from_db()
    assert clinic.address == "1 High St"  # the desk's ordinary details
    assert getattr(clinic, field) != posted, f"the desk changed the clinic's {field}"
    owners = client_for(owner)
    assert owners.post(url, {**_clinic_form_data(owners, clinic), field: posted}).status_code == 302
    clinic.refresh_from_db()
    assert getattr(clinic, field).replace(" ", "") == posted.replace(" ", "")


# --- An unlocked workspace hands out the calendar feed's address ------------------------------


def test_the_calendar_feed_address_is_shown_only_after_the_password(
    mei: Practitioner,  # noqa: F811
) -> None:
    """The feed's address opens the practitioner's diary (patients' initials, services, times
    and room, 30 days back and 120 ahead) to whoever holds it, without signing in, until it is
    renewed; its page showed it, or turned it on, for anyone at an unlocked workspace, who kept
    a live view of when each patient will be at the clinic after the session ended. The page
    now asks for the password or a code first, as "download my data" does."""
    unlocked = client_for(mei.user)
    for answer in (
        unlocked.get(reverse("practice:feed")),
        unlocked.post(reverse("practice:feed"), {"action": "enable"}),
    ):
        assert answer.status_code == 302
        assert answer["Location"].startswith(reverse("account_reauthenticate"))
    assert not CalendarFeed.objects.exists()
    CalendarFeed.objects.create(practitioner=mei, made_for=mei.user)
    token = CalendarFeed.objects.get().token
    assert token not in unlocked.get(reverse("practice:feed")).content.decode()
    # Having re-entered the password, the practitioner copies it as before.
    assert token in reauthenticated(mei.user).get(reverse("practice:feed")).content.decode()


# --- A busy diary hides the latest pain scores from the practitioner ------------------------


@pytest.mark.usefixtures("frozen")
def test_the_practitioners_pain_chart_shows_the_latest_scores_of_a_busy_diary(
    patient: User,  # noqa: F811
    private: Service,  # noqa: F811
    mei: Practitioner,  # noqa: F811
) -> None:
    """The chart read at most 500 scores of its window, the oldest first: a patient who notes
    their pain several times a day (six a day is 540 in 90 days) had their latest scores and
    check-ins cut off, and the practitioner reading it before treating saw the trend of weeks
    ago as if it were now. Safety, not an attack; found on this round's sweep of many rows.
    The chart keeps the newest 500."""
    visit_at(
        patient=patient,
        service=private,
        practitioner=mei,
        starts_at=NOW - timedelta(days=3),
        status=BookingStatus.ATTENDED,
    )
    DiaryEntry.objects.bulk_create(
        DiaryEntry(
            clinic=patient.clinic,
            patient=patient,
            recorded_at=NOW - timedelta(days=80) + timedelta(hours=3 * n),
            pain=2,
            note="",
            tags=[],
        )
        for n in range(600)
    )
    at = (NOW - timedelta(minutes=10)).astimezone(Clinic.objects.current().tz)
    client_for(patient).post(
        reverse("intake:diary"),
        {"pain": "9", "recorded_at": at.strftime("%Y-%m-%dT%H:%M"), "note": "Much worse"},
    )
    assert DiaryEntry.objects.filter(patient=patient, pain=9).exists()
    page = client_for(mei.user).get(reverse("intake:practice_diary", args=[patient.pk]))
    assert page.status_code == 200
    assert "to 9 out of 10" in page.content.decode(), "the latest score is not on the chart"
