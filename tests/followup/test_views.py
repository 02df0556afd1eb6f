"""Check-in pages (signed link, no login), the patient's follow-up page, acknowledge and clear."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from booking.models import Booking, BookingStatus, Practitioner
from followup.links import make_token
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxStatus
from intake.models import Alert, AlertLevel, FlagKind, PatientFlag
from intake.services import alert_raise, flag_raise
from portal.messaging import outbox_put
from portal.models import User
from tests.conftest import client_for
from tests.followup.conftest import CHECKIN_DUE, set_status

pytestmark = pytest.mark.django_db

GOOD = {"comparison": "better", "pain_now": "3", "note": "Much easier to get out of bed"}


@pytest.fixture
def at_checkin_time() -> Any:
    with time_machine.travel(CHECKIN_DUE, tick=False):
        yield


def url_for(booking: Booking, stage: CheckInStage = CheckInStage.CHECKIN) -> str:
    return reverse("followup:checkin", args=[make_token(booking_id=booking.pk, stage=stage)])


@pytest.mark.usefixtures("at_checkin_time")
def test_the_form_shows_only_first_name_and_visit_date(client: Client, visit: Booking) -> None:
    response = client.get(url_for(visit))
    assert response.status_code == 200
    text = response.content.decode()
    assert f"How are you, {visit.patient.first_name}?" in text
    assert "Wednesday 3 March" in text
    assert visit.patient.last_name not in text and visit.patient.email not in text
    assert "no-store" in response["Cache-Control"]
    assert "Numbness around your genitals or bottom" in text  # the red-flag screen
    assert "Short of breath, chest pain, or pain when you breathe in" in text


@pytest.mark.usefixtures("at_checkin_time")
def test_answering_stores_once_and_a_second_visit_says_thank_you(
    client: Client, visit: Booking
) -> None:
    url = url_for(visit)
    response = client.post(url, GOOD)
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    checkin = CheckIn.objects.get()
    assert checkin.answers["note"] == GOOD["note"] and checkin.answers["pain_now"] == 3
    again = client.post(url, {**GOOD, "comparison": "worse"})
    assert "You have already answered" in again.content.decode()
    assert client.get(url).status_code == 200
    assert CheckIn.objects.count() == 1


@pytest.mark.usefixtures("at_checkin_time")
def test_a_red_flag_shows_urgent_advice_on_screen(client: Client, visit: Booking) -> None:
    response = client.post(url_for(visit), {**GOOD, "red_flags": ["fever"]})
    text = response.content.decode()
    assert "Please get medical advice today" in text
    assert visit.clinic.emergency_numbers in text
    assert Alert.objects.get(kind="checkin_red_flag").level == AlertLevel.URGENT


@pytest.mark.usefixtures("at_checkin_time")
@pytest.mark.parametrize(
    "bad",
    [
        {"comparison": "better", "pain_now": "11"},
        {"comparison": "better", "pain_now": "-1"},
        {"comparison": "terrible", "pain_now": "3"},
        {"pain_now": "3"},
        {"comparison": "better", "pain_now": "3", "red_flags": ["made_up"]},
        {"comparison": "better", "pain_now": "3", "note": "x" * 10_001},
    ],
)
def test_out_of_range_answers_get_a_clear_error_and_write_nothing(
    client: Client, visit: Booking, bad: dict[str, Any]
) -> None:
    response = client.post(url_for(visit), bad)
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert CheckIn.objects.count() == 0


@pytest.mark.usefixtures("at_checkin_time")
@pytest.mark.parametrize("who", ["other_patient", "practitioner", "front_desk"])
def test_a_link_opened_while_signed_in_as_someone_else_is_refused(
    visit: Booking, who: str, request: pytest.FixtureRequest
) -> None:
    someone_else = client_for(request.getfixturevalue(who))
    url = url_for(visit)
    response = someone_else.get(url)
    assert response.status_code == 403
    text = response.content.decode()
    assert 'data-problem="someone_else"' in text
    # Nothing about the visit or the patient is shown.
    assert visit.patient.first_name not in text and "March" not in text
    assert someone_else.post(url, GOOD).status_code == 403
    assert not CheckIn.objects.exists()
    # The link's address goes to no other site as a Referer (our own access log redacts it);
    # "no-referrer" would make Chromium post the answers with "Origin: null", which CSRF refuses.
    assert response["Referrer-Policy"] == "same-origin"


@pytest.mark.usefixtures("at_checkin_time")
def test_the_patient_signed_in_as_themself_may_answer(visit: Booking) -> None:
    own = client_for(visit.patient)
    url = url_for(visit)
    assert own.get(url).status_code == 200
    assert own.post(url, GOOD).status_code == 200
    assert CheckIn.objects.get().booking == visit


@pytest.mark.usefixtures("at_checkin_time")
def test_signing_out_from_the_refusal_opens_the_link_for_whoever_holds_it(
    visit: Booking, other_patient: User
) -> None:
    shared_computer = client_for(other_patient)
    url = url_for(visit)
    assert shared_computer.get(url).status_code == 403
    shared_computer.post(reverse("account_logout"))
    response = shared_computer.get(url)
    assert response.status_code == 200
    assert f"How are you, {visit.patient.first_name}?" in response.content.decode()


def test_a_tampered_link_is_refused(client: Client, visit: Booking) -> None:
    token = make_token(booking_id=visit.pk, stage=CheckInStage.CHECKIN)
    response = client.get(reverse("followup:checkin", args=[token[:-2] + "xx"]))
    assert response.status_code == 400
    assert "This link doesn" in response.content.decode()
    assert client.post(reverse("followup:checkin", args=["nonsense"]), GOOD).status_code == 400
    assert CheckIn.objects.count() == 0


def test_an_expired_link_is_refused(client: Client, visit: Booking) -> None:
    with time_machine.travel(CHECKIN_DUE, tick=False):
        url = url_for(visit)
    with time_machine.travel(CHECKIN_DUE + timedelta(days=15), tick=False):
        response = client.post(url, GOOD)
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    assert CheckIn.objects.count() == 0


@pytest.mark.usefixtures("at_checkin_time")
def test_a_link_for_a_cancelled_visit_is_closed(client: Client, visit: Booking) -> None:
    set_status(visit, BookingStatus.CANCELLED)
    response = client.post(url_for(visit), GOOD)
    assert response.status_code == 410
    assert "This visit was cancelled" in response.content.decode()
    assert CheckIn.objects.count() == 0


def test_a_link_for_a_missing_visit_is_refused(client: Client, db: None) -> None:
    token = make_token(booking_id=999_999, stage=CheckInStage.CHECKIN)
    assert client.get(reverse("followup:checkin", args=[token])).status_code == 400


def test_checkin_rejects_other_methods(client: Client, visit: Booking) -> None:
    assert client.put(url_for(visit)).status_code == 405


# --- the patient's page ------------------------------------------------------------------


@pytest.mark.usefixtures("at_checkin_time")
def test_patients_see_open_and_answered_checkins(visit: Booking, patient: User) -> None:
    row, _ = outbox_put(
        kind=MessageKind.CHECKIN, to_user=patient, booking=visit, due_at=CHECKIN_DUE, send_now=False
    )
    row.status, row.sent_at = OutboxStatus.SENT, CHECKIN_DUE
    row.save()
    client = client_for(patient)
    page = client.get(reverse("followup:mine"))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    assert "Answer now" in page.content.decode()
    assert "Answer now" in client.get(reverse("patient_dashboard")).content.decode()
    client.post(url_for(visit), GOOD)
    text = client.get(reverse("followup:mine")).content.decode()
    assert "Answer now" not in text
    assert "3/10" in text and "Better" in text


def test_the_patient_page_needs_a_patient(client: Client, practitioner: User) -> None:
    url = reverse("followup:mine")
    assert client.get(url).status_code == 302
    assert client_for(practitioner).get(url).status_code == 403


def test_other_patients_checkins_are_not_listed(visit: Booking, other_patient: User) -> None:
    with time_machine.travel(CHECKIN_DUE, tick=False):
        Client().post(url_for(visit), GOOD)
    text = client_for(other_patient).get(reverse("followup:mine")).content.decode()
    assert "No check-ins yet" in text


# --- the practitioner's check-in notes and treatment flags --------------------------------


@pytest.fixture
def note(visit: Booking, mei: Practitioner, patient: User) -> Alert:
    return alert_raise(
        patient=patient,
        level=AlertLevel.ROUTINE,
        kind="checkin_worse_early",
        source_key="checkin:1",
        summary="Worse 48 hours after treatment 1; re-check booked",
        practitioner=mei,
        booking=visit,
    )[0]


def test_practitioners_see_check_in_notes_and_mark_them_read(
    note: Alert, practitioner: User
) -> None:
    client = client_for(practitioner)
    text = client.get(reverse("practitioner_dashboard")).content.decode()
    assert "Worse 48 hours after treatment 1" in text
    assert reverse("intake:acknowledge_alert", args=[note.pk]) in text
    client.post(reverse("intake:acknowledge_alert", args=[note.pk]))
    note.refresh_from_db()
    assert note.acknowledged_by_id == practitioner.pk
    text = client.get(reverse("practitioner_dashboard")).content.decode()
    assert "Worse 48 hours after treatment 1" not in text


def test_urgent_alerts_are_left_to_the_attention_box(
    visit: Booking, mei: Practitioner, patient: User, practitioner: User
) -> None:
    from followup.summaries import practitioner_followup

    alert_raise(
        patient=patient,
        level=AlertLevel.URGENT,
        kind="checkin_red_flag",
        source_key="checkin:2",
        summary="Answered yes to a red-flag question in a check-in",
        practitioner=mei,
    )
    flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="Check-in")
    shown = practitioner_followup(practitioner)
    assert shown == {"followup_alerts": [], "followup_flags": []}


def test_practitioners_see_and_clear_treatment_flags(
    visit: Booking, patient: User, practitioner: User
) -> None:
    flag, _ = flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="Worse twice")
    client = client_for(practitioner)
    dashboard = client.get(reverse("practitioner_dashboard")).content.decode()
    assert "Treat more gently next time" in dashboard
    assert reverse("intake:clear_flag", args=[flag.pk]) in dashboard
    client.post(reverse("intake:clear_flag", args=[flag.pk]), {"note": "Used Japanese style"})
    flag.refresh_from_db()
    assert flag.cleared_by_id == practitioner.pk and flag.clear_note == "Used Japanese style"
    assert not PatientFlag.objects.filter(cleared_at__isnull=True).exists()
