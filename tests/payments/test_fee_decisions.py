"""A fee floor is a real reduction (between £0 and the full price), the decision can be changed
later (audited, the patient emailed again), and the team's form speaks to the team."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core import mail

from booking.models import Service
from payments.fee_reductions import (
    FeeReductionError,
    current_floor,
    fee_reduction_approve,
    fee_reduction_change,
    fee_reduction_decline,
    fee_reduction_request,
    highest_full_price,
)
from payments.forms import FeeReductionDecisionForm
from payments.models import FeeReduction, FeeReductionStatus
from portal.audit import AuditAction
from portal.models import AuditEvent, Clinic, User
from tests.conftest import client_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]
TODAY = date(2027, 3, 1)


def test_the_highest_full_price_is_a_fixed_price_or_a_sliding_scales_top(
    private: Service, sliding: Service, clinic: Clinic
) -> None:
    assert highest_full_price(clinic) == 5000
    private.is_active = False
    private.save()
    assert highest_full_price(clinic) == 3500


@pytest.mark.parametrize("floor", [50000, 5001])
def test_a_floor_above_the_full_price_is_refused(
    floor: int, private: Service, patient: User, practitioner: User, clinic: Clinic
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    with pytest.raises(FeeReductionError, match=r"more than the full price .*£50"):
        fee_reduction_approve(reduction=request, by=practitioner, floor_minor=floor)
    request.refresh_from_db()
    assert request.status == FeeReductionStatus.PENDING
    assert mail.outbox == []


def test_a_floor_below_zero_is_refused(
    private: Service, patient: User, practitioner: User, clinic: Clinic
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    with pytest.raises(FeeReductionError, match="below £0"):
        fee_reduction_approve(reduction=request, by=practitioner, floor_minor=-1)


def test_the_full_price_itself_and_zero_are_allowed(
    private: Service, patient: User, practitioner: User, clinic: Clinic
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    fee_reduction_approve(reduction=request, by=practitioner, floor_minor=0)
    assert current_floor(patient=patient, clinic=clinic, today=TODAY) == 0


def test_the_form_refuses_500_pounds_with_a_friendly_error() -> None:
    form = FeeReductionDecisionForm(
        {"decision": "approve", "floor": "500"}, currency="GBP", highest_price_minor=5000
    )
    assert not form.is_valid()
    assert "more than the full price of any visit here (£50)" in form.errors["floor"][0]


def test_the_form_speaks_to_the_team_not_the_patient() -> None:
    form = FeeReductionDecisionForm(currency="GBP")
    words = " ".join(
        str(text) for f in form.fields.values() for text in (f.label, f.help_text) if text
    )
    assert "Your answer" not in words and "you change it" not in words
    empty = FeeReductionDecisionForm({"decision": "approve", "floor": ""}, currency="GBP")
    assert not empty.is_valid()
    assert "would like to pay" not in empty.errors["floor"][0]


def test_the_decision_can_be_changed_audited_and_the_patient_is_told_again(
    private: Service,
    patient: User,
    practitioner: User,
    clinic: Clinic,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        fee_reduction_approve(reduction=request, by=practitioner, floor_minor=2000)
    with django_capture_on_commit_callbacks(execute=True):
        fee_reduction_change(reduction=request, by=practitioner, approve=True, floor_minor=1500)

    request.refresh_from_db()
    assert (request.status, request.floor_minor) == (FeeReductionStatus.APPROVED, 1500)
    assert current_floor(patient=patient, clinic=clinic, today=TODAY) == 1500
    assert len(mail.outbox) == 2 and "£15" in mail.outbox[1].body
    event = AuditEvent.objects.get(action=AuditAction.FEE_REDUCTION_CHANGED)
    assert event.detail["was"] == {"status": "approved", "floor_minor": 2000}
    assert event.detail["now"] == {"status": "approved", "floor_minor": 1500}

    with django_capture_on_commit_callbacks(execute=True):
        fee_reduction_change(reduction=request, by=practitioner, approve=False)
    request.refresh_from_db()
    assert request.status == FeeReductionStatus.DECLINED and request.floor_minor is None
    assert current_floor(patient=patient, clinic=clinic, today=TODAY) is None
    assert len(mail.outbox) == 3


def test_a_change_is_checked_like_a_first_answer(
    private: Service, patient: User, practitioner: User, clinic: Clinic
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    fee_reduction_decline(reduction=request, by=practitioner)
    with pytest.raises(FeeReductionError, match="more than the full price"):
        fee_reduction_change(reduction=request, by=practitioner, approve=True, floor_minor=50000)
    assert FeeReduction.objects.get().status == FeeReductionStatus.DECLINED
    pending = fee_reduction_request(patient=patient, clinic=clinic, reason="again")
    with pytest.raises(FeeReductionError, match="not been answered"):
        fee_reduction_change(reduction=pending, by=practitioner, approve=False)


def test_the_desk_changes_a_decision_on_the_page(
    private: Service,
    patient: User,
    practitioner: User,
    front_desk: User,
    clinic: Clinic,
    django_capture_on_commit_callbacks: Any,
) -> None:
    request = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    fee_reduction_approve(reduction=request, by=practitioner, floor_minor=2000)
    desk = client_for(front_desk)
    url = f"/fee-reductions/{request.pk}/"

    page = desk.get(url).content.decode()
    assert "Change the decision" in page and 'value="20"' in page

    refused = desk.post(url, {"decision": "approve", "floor": "500"})
    assert refused.status_code == 200
    assert "more than the full price" in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(url, {"decision": "approve", "floor": "12.50", "reply": "Updated."})
    assert response.status_code == 302
    request.refresh_from_db()
    assert (request.floor_minor, request.decided_by) == (1250, front_desk)
