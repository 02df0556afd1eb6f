"""Private fee reductions: asked from the account, answered by the team, the patient emailed."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from booking.models import Practitioner, Service
from payments.fee_reductions import (
    FeeReductionError,
    current_floor,
    fee_reduction_approve,
    fee_reduction_decline,
    fee_reduction_request,
)
from payments.models import FeeReduction, FeeReductionStatus
from portal.models import Clinic, User
from tests.booking.factories import visit_at
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
TODAY = date(2027, 3, 1)


def test_a_second_request_while_one_is_open_returns_the_first(
    patient: User, clinic: Clinic
) -> None:
    first = fee_reduction_request(patient=patient, clinic=clinic, reason="Money is tight")
    again = fee_reduction_request(patient=patient, clinic=clinic, reason="again")
    assert again.pk == first.pk and FeeReduction.objects.count() == 1


def test_approval_sets_the_floor_and_tells_the_patient_once(
    patient: User, practitioner: User, clinic: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        fee_reduction_approve(
            reduction=request, by=practitioner, floor_minor=1500, reply="Glad to help, Alex."
        )
    assert current_floor(patient=patient, clinic=clinic, today=TODAY) == 1500
    (message,) = mail.outbox
    assert message.to == [patient.email]
    assert "£15 per visit" in message.body and "Glad to help, Alex." in message.body
    from payments.tasks import send_fee_reduction_email

    send_fee_reduction_email.delay(request.pk)  # a duplicate task sends nothing
    assert len(mail.outbox) == 1


def test_a_floor_ends_on_its_date(patient: User, practitioner: User, clinic: Clinic) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    fee_reduction_approve(
        reduction=request, by=practitioner, floor_minor=1500, ends_on=date(2099, 1, 31)
    )
    assert current_floor(patient=patient, clinic=clinic, today=date(2099, 1, 31)) == 1500
    assert current_floor(patient=patient, clinic=clinic, today=date(2099, 2, 1)) is None


def test_an_end_date_in_the_past_is_refused(
    patient: User, practitioner: User, clinic: Clinic
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    with pytest.raises(FeeReductionError, match="already passed"):
        fee_reduction_approve(
            reduction=request, by=practitioner, floor_minor=1500, ends_on=date(2000, 1, 1)
        )


def test_a_decline_is_kind_and_leaves_no_floor(
    patient: User, front_desk: User, clinic: Clinic, django_capture_on_commit_callbacks: Any
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        fee_reduction_decline(
            reduction=request, by=front_desk, reply="Our community clinic is £15."
        )
    assert current_floor(patient=patient, clinic=clinic, today=TODAY) is None
    (message,) = mail.outbox
    assert "welcome to ask again" in message.body and "community clinic is £15" in message.body


def test_two_answers_at_once_decide_once(
    patient: User, practitioner: User, front_desk: User, clinic: Clinic
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    stale = FeeReduction.objects.get(pk=request.pk)
    fee_reduction_approve(reduction=request, by=practitioner, floor_minor=1500)
    with pytest.raises(FeeReductionError, match="already answered"):
        fee_reduction_decline(reduction=stale, by=front_desk)
    assert FeeReduction.objects.get().status == FeeReductionStatus.APPROVED


# --- pages ---------------------------------------------------------------------------------


def test_a_patient_asks_from_their_account(patient: User) -> None:
    client = client_for(patient)
    page = client.get("/me/fee-reduction/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    response = client.post("/me/fee-reduction/", {"reason": "I lost my job"}, follow=True)
    assert "We have your request" in response.content.decode()
    assert FeeReduction.objects.get().reason == "I lost my job"


def test_the_request_page_is_for_signed_in_patients_only(practitioner: User) -> None:
    assert Client().get("/me/fee-reduction/").status_code == 302
    assert client_for(practitioner).get("/me/fee-reduction/").status_code == 403
    assert client_for(practitioner).delete("/me/fee-reduction/").status_code == 403


def test_fee_reductions_are_never_mentioned_on_public_pages(patient: User, clinic: Clinic) -> None:
    fee_reduction_request(patient=patient, clinic=clinic, reason="Between jobs")
    for url in ("/", "/accounts/login/", "/accounts/signup/"):
        page = Client().get(url).content.decode().lower()
        assert "fee reduction" not in page and "fee-reduction" not in page
        assert "between jobs" not in page


def _treated_by(patient: User, mei: Practitioner, private: Service) -> None:
    """Alex had a visit with Mei last month: a care relationship (``portal.policy``)."""
    visit_at(
        patient=patient,
        service=private,
        practitioner=mei,
        starts_at=timezone.now() - timedelta(days=30),
        status="attended",
    )


def test_the_team_answers_from_their_list(
    patient: User,
    practitioner: User,
    mei: Practitioner,
    private: Service,
    django_capture_on_commit_callbacks: Any,
    clinic: Clinic,
) -> None:
    _treated_by(patient, mei, private)
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="Student parent")
    client = client_for(practitioner)
    assert "Student parent" in client.get("/fee-reductions/").content.decode()
    url = f"/fee-reductions/{request.pk}/"
    ends = (TODAY + timedelta(days=3650)).isoformat()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"decision": "approve", "floor": "15", "ends_on": ends, "reply": "Of course."}
        )
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.status, request.floor_minor, request.decided_by) == (
        "approved",
        1500,
        practitioner,
    )
    assert len(mail.outbox) == 1


def test_a_practitioner_answers_only_for_patients_in_their_care(
    patient: User, practitioner: User, mei: Practitioner, front_desk: User, clinic: Clinic
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="Student parent")
    client = client_for(practitioner)
    assert "Student parent" not in client.get("/fee-reductions/").content.decode()
    assert client.get(f"/fee-reductions/{request.pk}/").status_code == 404
    response = client.post(f"/fee-reductions/{request.pk}/", {"decision": "decline"})
    assert response.status_code == 404
    assert FeeReduction.objects.get().status == FeeReductionStatus.PENDING
    # The desk answers any request of the clinic (money, not health).
    assert "Student parent" in client_for(front_desk).get("/fee-reductions/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"decision": "approve", "floor": ""}, "Enter the reduced fee in pounds"),
        ({"decision": "approve", "floor": "-3"}, "cannot be below £0"),
        ({"decision": "approve", "floor": "abc"}, "could not be read"),
        ({"decision": "approve", "floor": "10", "ends_on": "2001-01-01"}, "That date has passed"),
        ({}, "Choose whether to approve or decline"),
    ],
)
def test_a_wrong_answer_form_is_explained(
    patient: User, front_desk: User, clinic: Clinic, data: dict[str, str], message: str
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    response = client_for(front_desk).post(f"/fee-reductions/{request.pk}/", data)
    assert response.status_code == 200 and message in response.content.decode()
    assert FeeReduction.objects.get().status == FeeReductionStatus.PENDING


def test_other_patients_cannot_see_requests(
    patient: User, other_patient: User, clinic: Clinic
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="private")
    url = f"/fee-reductions/{request.pk}/"
    assert client_for(other_patient).get(url).status_code == 403
    assert client_for(other_patient).get("/fee-reductions/").status_code == 403
    assert Client().get(url).status_code == 302
