"""Malformed values on the team's intake pages and buttons: never a 500, nothing half-done.

The cases reported in issue 13: odd digits in ``?response=``, a ``next`` that is not a URL
on the alert and flag buttons (the action ran, then ``NoReverseMatch``), and a NUL byte
in the flag-clear note (it reached PostgreSQL).
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from intake.models import Alert, AlertLevel, FlagKind, PatientFlag
from intake.services import alert_raise, flag_raise
from tests.conftest import client_for
from tests.intake.conftest import past_visit
from tests.intake.factories import IntakeResponseFactory, full_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def carer(patient, practitioner, mei):
    """Mei, who treated the patient last week: their record is open to her."""
    past_visit(patient, mei)
    return practitioner


NOT_URLS = ["practitioner_dashboard", "foo", "javascript:alert(1)", "//evil.example/", "", "\x00"]


@pytest.mark.parametrize("value", ["²", "¹²³", "⑦", "-1", "9" * 30])
def test_odd_digits_in_response_show_the_latest(patient, carer, value) -> None:
    IntakeResponseFactory.create(patient=patient, answers=full_answers(hopes="new hope"))
    url = reverse("intake:practice_intake", args=[patient.pk])
    response = client_for(carer).get(url, {"response": value})
    assert response.status_code == 200 and b"new hope" in response.content


@pytest.mark.parametrize("value", NOT_URLS)
def test_acknowledging_with_a_next_that_is_no_local_url_goes_to_the_dashboard(
    patient, carer, value
) -> None:
    alert, _ = alert_raise(
        patient=patient, level=AlertLevel.URGENT, kind="k", source_key="1", summary="s"
    )
    response = client_for(carer).post(
        reverse("intake:acknowledge_alert", args=[alert.pk]), {"next": value}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("practitioner_dashboard")
    assert Alert.objects.get().acknowledged_by == carer


@pytest.mark.parametrize("value", NOT_URLS)
def test_clearing_with_a_next_that_is_no_local_url_goes_to_the_dashboard(
    patient, carer, value
) -> None:
    flag, _ = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="r")
    response = client_for(carer).post(
        reverse("intake:clear_flag", args=[flag.pk]), {"next": value, "note": "GP saw them"}
    )
    assert response["Location"] == reverse("practitioner_dashboard")
    assert PatientFlag.objects.get().clear_note == "GP saw them"


def test_a_local_next_is_still_followed(patient, carer) -> None:
    flag, _ = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="r")
    back = reverse("intake:practice_intake", args=[patient.pk]) + "?response=3"
    response = client_for(carer).post(reverse("intake:clear_flag", args=[flag.pk]), {"next": back})
    assert response["Location"] == back


@pytest.mark.parametrize("note", ["a\x00b", "x" * 301])
def test_a_note_that_cannot_be_saved_leaves_the_flag_open_and_says_why(
    patient, carer, note
) -> None:
    flag, _ = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="r")
    client = client_for(carer)
    response = client.post(reverse("intake:clear_flag", args=[flag.pk]), {"note": note})
    assert response.status_code == 302
    assert PatientFlag.objects.get().cleared_at is None
    page = client.get(response["Location"])
    assert "the flag is still open" in page.content.decode()
