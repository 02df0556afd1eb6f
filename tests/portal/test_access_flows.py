"""The access holes of issue 13 through the real views: book-then-cancel grants nothing, a
colleague cannot cancel another's visit, the dashboard lists only visible patients, and
"see this record anyway" (a reason, re-authentication, logged, shown to patient and owner)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse

from booking.models import Booking, BookingStatus, Practitioner, Service
from intake.models import Alert, AlertLevel, FlagKind, HealthAccess, PatientFlag, RecordAccessGrant
from intake.services import alert_raise, flag_raise
from portal.models import Clinic, Role, User
from tests.booking.conftest import (  # noqa: F401 - fixtures shared with the booking tests
    NOW,
    WED,
    _fast_passwords,
    eager_celery,
    frozen,
    mei,
    policies,
    private,
)
from tests.booking.factories import PractitionerFactory, book, local, visit_at
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD, UserFactory
from tests.intake.factories import IntakeResponseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


@pytest.fixture(autouse=True)
def _questionnaire_sent(patient: User) -> None:
    # Intake's gate runs, as in production: the patient who books has sent it.
    IntakeResponseFactory.create(patient=patient)


@pytest.fixture
def david(policies: Clinic) -> Practitioner:  # noqa: F811
    user = UserFactory.create(email="david@example.com", first_name="David", role=Role.PRACTITIONER)
    return PractitionerFactory.create(user=user, display_name="David Rhys")


def book_as(client: Client, service: Service, start: datetime, patient: User) -> Booking:
    """Book through the confirm page, for ``patient``, as whoever ``client`` is."""
    url = f"/book/{service.slug}/confirm/?" + urlencode(
        {"start": start.isoformat(), "for": patient.pk}
    )
    body = {"start": start.isoformat(), "practitioner": "any", "request_key": str(uuid.uuid4())}
    response = client.post(url, body)
    booking = Booking.objects.get(patient=patient, starts_at=start)
    assert response["Location"] == f"/bookings/{booking.pk}/"
    return booking


def known_to(patient: User, service: Service, practitioner: Practitioner) -> None:
    """Give Mei a cancelled visit with the patient, booked by the patient: she may now find them
    to book for (``policy.findable_patients``), and it grants nothing else."""
    visit = book(patient, service, local(WED, 15), now=NOW, practitioner=practitioner)
    Booking.objects.filter(pk=visit.pk).update(status=BookingStatus.CANCELLED)


def record_urls(patient: User) -> list[str]:
    return [
        reverse("intake:practice_intake", args=[patient.pk]),
        reverse("intake:practice_diary", args=[patient.pk]),
        reverse("practice:patient", args=[patient.pk]),
    ]


# --- Hole 2: a practitioner cannot grant themself a patient ---------------------------------


def test_book_then_cancel_opens_nothing(
    private: Service,  # noqa: F811
    patient: User,
    practitioner: User,
    mei: Practitioner,  # noqa: F811
) -> None:
    alert, _ = alert_raise(
        patient=patient, level=AlertLevel.ROUTINE, kind="k", source_key="1", summary="Saddle numb"
    )
    flag, _ = flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="Sore for a week")
    client = client_for(practitioner)
    # A stranger cannot even be booked for (nor found by name): a 404 that names nobody.
    assert client.get(f"/book/?for={patient.pk}").status_code == 404
    known_to(patient, private, mei)
    booking = book_as(client, private, local(WED, 9), patient)
    assert booking.booked_by == practitioner and booking.status == BookingStatus.CONFIRMED
    # Booking it themself grants nothing...
    for url in record_urls(patient):
        assert client.get(url).status_code == 403
    # ...and neither does cancelling it.
    assert client.post(f"/bookings/{booking.pk}/cancel/").status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    for url in record_urls(patient):
        response = client.get(url)
        assert response.status_code == 403
        assert b"Saddle numb" not in response.content and b"Sore for a week" not in response.content
    # The visit page is theirs, but not the patient's health record.
    visit_page = client.get(f"/practice/bookings/{booking.pk}/").content
    assert b"data-health-hidden" in visit_page and b"Sore for a week" not in visit_page
    assert client.post(reverse("intake:acknowledge_alert", args=[alert.pk])).status_code == 404
    assert client.post(reverse("intake:clear_flag", args=[flag.pk])).status_code == 404
    assert Alert.objects.get().acknowledged_at is None
    assert PatientFlag.objects.get().cleared_at is None
    dashboard = client.get("/practice/").content
    assert b"Saddle numb" not in dashboard and b"Sore for a week" not in dashboard
    assert not HealthAccess.objects.exists()


def test_a_visit_the_patient_booked_opens_the_record(
    private: Service,  # noqa: F811
    patient: User,
    practitioner: User,
    mei: Practitioner,  # noqa: F811
) -> None:
    book(patient, private, local(WED, 9), now=NOW)
    client = client_for(practitioner)
    for url in record_urls(patient):
        assert client.get(url).status_code == 200


# --- Hole 3: one rule for a booking ---------------------------------------------------------


def test_a_colleague_cannot_cancel_another_practitioner_s_visit(
    private: Service,  # noqa: F811
    patient: User,
    david: Practitioner,
    front_desk: User,
) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    client = client_for(david.user)
    for url in (
        f"/bookings/{booking.pk}/",
        f"/bookings/{booking.pk}/cancel/",
        f"/bookings/{booking.pk}/cancel-and-refund/",
        f"/practice/bookings/{booking.pk}/",
        f"/practice/bookings/{booking.pk}/cancel/",
    ):
        assert client.get(url).status_code == 404
        if "cancel" in url:
            response = client.post(url, {"how": "normal", "note": "x"})
            # A refund first asks the team member to re-enter their password (and would then
            # be refused too); nothing is cancelled either way.
            refund_asks_again = "cancel-and-refund" in url and response.status_code == 302
            assert refund_asks_again or response.status_code == 404
            if refund_asks_again:
                assert response["Location"].startswith(reverse("account_reauthenticate"))
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    # The desk runs every booking: it can cancel for a caller, and reads nothing of health.
    desk = client_for(front_desk)
    page = desk.get(f"/practice/bookings/{booking.pk}/")
    assert page.status_code == 200 and b"data-health-hidden" in page.content
    assert desk.post(f"/bookings/{booking.pk}/cancel/").status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert not HealthAccess.objects.exists()


def test_the_dashboard_lists_flags_and_alerts_only_for_visible_patients(
    private: Service,  # noqa: F811
    patient: User,
    practitioner: User,
    mei: Practitioner,  # noqa: F811
    david: Practitioner,
) -> None:
    stranger = UserFactory.create(first_name="Robin", last_name="Stranger")
    book(patient, private, local(WED, 9), now=NOW)
    for person, reason in ((patient, "Alex sore"), (stranger, "Robin sore")):
        flag_raise(patient=person, kind=FlagKind.TREAT_GENTLY, reason=reason)
        flag_raise(patient=person, kind=FlagKind.RED_FLAG, reason=f"{reason} red")
        alert_raise(
            patient=person,
            level=AlertLevel.ROUTINE,
            kind="checkin_worse",
            source_key=str(person.pk),
            summary=f"{reason} note",
        )
    mine = client_for(practitioner).get("/practice/").content.decode()
    assert "Alex sore" in mine and "Alex sore note" in mine
    # Robin's treatment is on hold: the team sees that (someone must clear it), with "see this
    # record anyway" rather than a link, and nothing of the flags' reasons or his notes.
    assert "Robin sore" not in mine
    assert reverse("intake:see_anyway", args=[stranger.pk]) in mine
    his = client_for(david.user).get("/practice/").content.decode()
    assert "sore" not in his


def test_an_urgent_team_alert_outside_care_is_named_not_told(
    patient: User,
    practitioner: User,
    mei: Practitioner,  # noqa: F811
) -> None:
    alert_raise(
        patient=patient, level=AlertLevel.URGENT, kind="k", source_key="1", summary="Saddle numb"
    )
    page = client_for(practitioner).get("/practice/").content.decode()
    assert "data-paging-alerts" in page and patient.get_full_name() in page
    assert reverse("intake:see_anyway", args=[patient.pk]) in page
    assert "Saddle numb" not in page


# --- See this record anyway -------------------------------------------------------------------


def test_see_anyway_asks_a_reason_and_reauthentication_and_is_shown_to_patient_and_owner(
    patient: User, david: Practitioner, owner: User, front_desk: User
) -> None:
    client = client_for(david.user)
    intake_url = reverse("intake:practice_intake", args=[patient.pk])
    refused = client.get(intake_url)
    assert refused.status_code == 403
    ask = reverse("intake:see_anyway", args=[patient.pk])
    assert ask.encode() in refused.content
    # The password first (allauth's reauthentication), before the reason is typed; a POST
    # without it grants nothing either.
    response = client.get(ask)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    response = client.post(ask, {"reason": "Covering for Mei today", "next": intake_url})
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    assert not RecordAccessGrant.objects.exists()
    confirm = client.get(reverse("account_reauthenticate")).content.decode()
    assert "Confirm it is you" in confirm and "Confirm Access" not in confirm
    assert (
        client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD}).status_code
        == 302
    )
    assert client.get(ask).status_code == 200  # the form
    # A reason is required.
    empty = client.post(ask, {"reason": "  ", "next": intake_url})
    assert empty.status_code == 200 and b"Please say why" in empty.content
    assert not RecordAccessGrant.objects.exists()
    granted = client.post(ask, {"reason": "Covering for Mei today", "next": intake_url})
    assert granted["Location"] == intake_url
    grant = RecordAccessGrant.objects.get()
    assert (grant.viewer, grant.patient, grant.reason) == (
        david.user,
        patient,
        "Covering for Mei today",
    )
    assert client.get(intake_url).status_code == 200
    assert client.get(reverse("practice:patient", args=[patient.pk])).status_code == 200
    assert HealthAccess.objects.filter(viewer=david.user, patient=patient).exists()
    # The patient sees who and why on their privacy page.
    privacy = client_for(patient).get(reverse("intake:privacy")).content.decode()
    assert "David" in privacy and "Covering for Mei today" in privacy
    # So does the owner (and only the owner).
    listing = client_for(owner).get(reverse("intake:record_access"))
    assert listing.status_code == 200 and b"Covering for Mei today" in listing.content
    assert client_for(owner).get("/desk/").content.count(b"record-access") == 1
    assert client_for(front_desk).get(reverse("intake:record_access")).status_code == 403


def test_the_grant_ends_with_the_clinic_day(
    patient: User,
    david: Practitioner,
    private: Service,  # noqa: F811
) -> None:
    import time_machine

    from intake.breakglass import grant_see_anyway

    grant = grant_see_anyway(viewer=david.user, patient=patient, reason="Urgent alert today")
    client = client_for(david.user)
    url = reverse("intake:practice_intake", args=[patient.pk])
    assert client.get(url).status_code == 200
    with time_machine.travel(grant.expires_at, tick=False):
        # Signed in afresh: the idle timeout has long ended the first session.
        assert client_for(david.user).get(url).status_code == 403


def test_a_past_attended_visit_keeps_the_record_open(
    patient: User,
    practitioner: User,
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    visit_at(
        patient=patient,
        service=private,
        practitioner=mei,
        starts_at=local(WED, 9).replace(year=2026),
        status=BookingStatus.ATTENDED,
    )
    client: Any = client_for(practitioner)
    assert client.get(reverse("practice:patient", args=[patient.pk])).status_code == 200


def test_calendar_badges_show_flags_only_to_those_who_may_read(
    private: Service,  # noqa: F811
    patient: User,
    practitioner: User,
    mei: Practitioner,  # noqa: F811
    front_desk: User,
) -> None:
    visit = book(patient, private, local(WED, 9), now=NOW)
    flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="Sore for days")
    url = f"/practice/calendar/day/?date={WED.isoformat()}&p=all"
    mine = client_for(practitioner).get(url).content.decode()
    assert f'data-booking="{visit.pk}"' in mine and "Treat more gently" in mine
    # The desk sees every column of the day, and no health flags on it.
    page = client_for(front_desk).get(url).content.decode()
    assert f'data-booking="{visit.pk}"' in page and "Treat more gently" not in page


# --- Safety across the access rule (docs/clinical-safety.md S1, S2) --------------------------


def test_an_emergency_outside_care_is_named_and_acknowledged_by_any_practitioner(
    patient: User,
    practitioner: User,
    mei: Practitioner,  # noqa: F811
) -> None:
    alert, _ = alert_raise(
        patient=patient,
        level=AlertLevel.EMERGENCY,
        kind="intake_red_flag",
        source_key="s1",
        summary="Saddle numbness in the questionnaire",
    )
    client = client_for(practitioner)  # no visit with the patient: outside care
    page = client.get("/practice/").content.decode()
    row = page[page.index("data-paging-alerts") :]
    assert patient.get_full_name() in row
    assert reverse("intake:see_anyway", args=[patient.pk]) in row
    assert "Saddle numbness" not in page
    response = client.post(reverse("intake:acknowledge_alert", args=[alert.pk]))
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.acknowledged_by == practitioner and alert.acknowledged_at is not None
    # Acknowledging reads no record; the patient's log says only that the alert was seen.
    assert list(HealthAccess.objects.values_list("what", flat=True)) == [
        "alerts and flags on the team's dashboard"
    ]


def test_a_hold_shows_to_whoever_runs_the_visit_even_without_the_record(
    private: Service,  # noqa: F811
    patient: User,
    practitioner: User,
    mei: Practitioner,  # noqa: F811
    front_desk: User,
) -> None:
    # Mei booked the visit herself: no care relationship, so she cannot read the record.
    client = client_for(practitioner)
    known_to(patient, private, mei)
    visit = book_as(client, private, local(WED, 9), patient)
    flag_raise(patient=patient, kind=FlagKind.URGENT, reason="Fever with back pain")
    day = f"/practice/calendar/day/?date={WED.isoformat()}&p=all"
    for viewer in (client, client_for(front_desk)):
        calendar = viewer.get(day).content.decode()
        assert f'data-booking="{visit.pk}"' in calendar
        assert 'data-badge="on_hold"' in calendar
        assert "Fever with back pain" not in calendar
        assert f'data-badge="{FlagKind.URGENT}"' not in calendar
        detail = viewer.get(f"/practice/bookings/{visit.pk}/").content.decode()
        assert "data-on-hold" in detail and "Fever with back pain" not in detail
