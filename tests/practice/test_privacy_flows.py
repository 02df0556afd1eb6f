"""Closing an account (the patient, after re-authentication) and the desk's erasure and
rectification workflow, through the real views."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse

from booking.models import Booking, BookingStatus, Service
from intake.models import DiaryEntry, IntakeResponse
from payments.fee_reductions import fee_reduction_request
from payments.models import FeeReduction
from portal.models import AuditAction, AuditEvent, Clinic, User
from practice import privacy_requests
from practice.models import (
    PrivacyRequest,
    PrivacyRequestStatus,
    PrivacyRequestStep,
    RecordCorrection,
    TreatmentRecord,
)
from tests.booking.conftest import NOW
from tests.conftest import client_for, reauthenticated
from tests.factories import TEST_PASSWORD, UserFactory
from tests.intake.factories import IntakeResponseFactory
from tests.practice.test_retention import MARKER, treated_at

pytestmark = pytest.mark.usefixtures("frozen")


# -- Closing an account -------------------------------------------------------------------------


def test_privacy_page_links_to_closing(patient: User) -> None:
    page = client_for(patient).get(reverse("intake:privacy")).content.decode()
    assert reverse("practice:close_account") in page


def test_close_explains_what_is_kept_then_closes_after_reauthentication(
    patient: User,
    private: Service,
    practitioner: User,
    visit: Booking,
    django_capture_on_commit_callbacks: Any,
) -> None:
    treated_at(patient, private, practitioner, NOW - timedelta(days=400))
    client = client_for(patient)
    page = client.get(reverse("practice:close_account")).content.decode()
    # Before confirming: what goes now, what is kept, until when and why.
    assert "data-kept" in page and "HMRC" in page and "8 years" in page
    keep_until = (NOW - timedelta(days=400)).replace(year=NOW.year + 7)
    assert f"{keep_until:%-d %B %Y}" in page
    assert "Treatment on" in page  # the upcoming visit that will be cancelled

    # The POST that acts waits for the password.
    asked = client.post(reverse("practice:close_account"), {"confirm": "close"})
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    patient.refresh_from_db()
    assert patient.closed_at is None

    client = reauthenticated(patient)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        done = client.post(reverse("practice:close_account"), {"confirm": "close"})
    assert done.status_code == 302 and done["Location"] == reverse("home")
    patient.refresh_from_db()
    assert patient.closed_at is not None and not patient.is_active
    assert patient.anonymised_at is None  # health records kept until the retention date
    assert TreatmentRecord.objects.filter(patient=patient).exists()
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CANCELLED
    # Cancelled through the booking service: the cancellation email is queued as for any.
    assert callbacks, "the booking service queues the cancellation email on commit"
    closed = AuditEvent.objects.get(action=AuditAction.ACCOUNT_CLOSED, subject=patient)
    assert closed.actor_email == "" and closed.detail["by"] == "patient"
    # Signed out, and cannot sign in again.
    assert client.get(reverse("intake:privacy")).status_code == 302
    assert not Client().login(email=patient.email, password=TEST_PASSWORD)


def test_never_booked_patient_closing_is_deleted(clinic: Clinic) -> None:
    patient = UserFactory.create(email="brief@example.com")
    IntakeResponseFactory.create(patient=patient)
    client = reauthenticated(patient)
    page = client.get(reverse("practice:close_account")).content.decode()
    assert "deleted now" in page and "data-kept" not in page
    client.post(reverse("practice:close_account"), {"confirm": "close"})
    assert not User.objects.filter(pk=patient.pk).exists()
    assert not IntakeResponse.objects.filter(patient_id=patient.pk).exists()
    deleted = AuditEvent.objects.get(action=AuditAction.ACCOUNT_DELETED)
    # The trail keeps no trace of the deleted person's address.
    assert deleted.actor_email == "" and "brief@" not in str(deleted.detail)


def test_booked_but_never_treated_is_anonymised_now(patient: User, visit: Booking) -> None:
    client = reauthenticated(patient)
    client.post(reverse("practice:close_account"), {"confirm": "close"})
    patient.refresh_from_db()
    assert patient.anonymised_at is not None and patient.first_name == ""
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CANCELLED


def test_a_visit_too_close_to_cancel_online_stops_closing(
    patient: User, private: Service, clinic: Clinic
) -> None:
    from tests.booking.factories import visit_at

    soon = visit_at(
        patient=patient,
        service=private,
        practitioner=private.practitioners.get(),
        starts_at=NOW + timedelta(hours=3),
    )
    client = reauthenticated(patient)
    assert "data-too-late" in client.get(reverse("practice:close_account")).content.decode()
    response = client.post(reverse("practice:close_account"), {"confirm": "close"}, follow=True)
    assert "too close to cancel online" in response.content.decode()
    patient.refresh_from_db()
    soon.refresh_from_db()
    assert patient.closed_at is None and soon.status == BookingStatus.CONFIRMED


# -- Erasure and rectification requests ---------------------------------------------------------


def _record(client: Client, patient: User, kind: str) -> PrivacyRequest:
    response = client.post(
        reverse("practice:privacy_request_new"),
        {
            "patient_email": patient.email.upper(),
            "kind": kind,
            "received_via": "letter",
            "details": f"Please act on my data. {MARKER}",
        },
    )
    assert response.status_code == 302
    return PrivacyRequest.objects.get(patient=patient)


def test_practitioner_is_refused_the_staff_workflow(practitioner: User, patient: User) -> None:
    client = client_for(practitioner)
    assert client.get(reverse("practice:privacy_requests")).status_code == 403
    assert client.get(reverse("practice:privacy_request_new")).status_code == 403
    refused = client.post(
        reverse("practice:privacy_request_new"),
        {
            "patient_email": patient.email,
            "kind": "erasure",
            "received_via": "email",
            "details": "x",
        },
    )
    assert refused.status_code == 403 and not PrivacyRequest.objects.exists()


def test_unknown_patient_gets_a_friendly_error(front_desk: User) -> None:
    response = client_for(front_desk).post(
        reverse("practice:privacy_request_new"),
        {"patient_email": "nobody@example.com", "kind": "erasure", "received_via": "email"},
    )
    assert response.status_code == 200
    assert "No patient account uses that email address" in response.content.decode()


def test_erasure_of_a_treated_patient_keeps_health_records_and_says_why(
    owner: User, patient: User, private: Service, practitioner: User
) -> None:
    treated_at(patient, private, practitioner, NOW - timedelta(days=30))
    # The owner: completing an erasure closes the account (the desk records and decides).
    client = reauthenticated(owner)
    request = _record(client, patient, "erasure")
    page = client.get(reverse("practice:privacy_request", args=[request.pk])).content.decode()
    assert 'data-verdict="keep"' in page and "Must be kept until" in page
    assert "HMRC" in page and "Can be erased now" in page
    # Completing before deciding is refused.
    client.post(reverse("practice:privacy_request", args=[request.pk]), {"action": "erase"})
    assert PrivacyRequest.objects.get().status == PrivacyRequestStatus.OPEN

    client.post(
        reverse("practice:privacy_request", args=[request.pk]),
        {"action": "decide", "decision": "Health records kept until the retention date."},
    )
    client.post(reverse("practice:privacy_request", args=[request.pk]), {"action": "erase"})
    request.refresh_from_db()
    patient.refresh_from_db()
    assert request.status == PrivacyRequestStatus.COMPLETED
    assert patient.closed_at is not None and patient.anonymised_at is None
    assert TreatmentRecord.objects.filter(patient=patient).exists()
    assert DiaryEntry.objects.filter(patient=patient).exists()
    # The pending request for a lower fee (with its reason) goes with the account.
    assert not FeeReduction.objects.filter(patient=patient).exists()
    assert PrivacyRequestStep.objects.filter(request=request).count() == 3
    actions = set(AuditEvent.objects.filter(subject=patient).values_list("action", flat=True))
    assert {
        AuditAction.ERASURE_REQUEST_RECORDED,
        AuditAction.ERASURE_REQUEST_DECIDED,
        AuditAction.PRIVACY_REQUEST_COMPLETED,
        AuditAction.ACCOUNT_CLOSED,
    } <= actions


def test_erasure_of_an_untreated_patient_erases_now(
    owner: User, patient: User, visit: Booking, clinic: Clinic
) -> None:
    fee_reduction_request(patient=patient, clinic=clinic, reason=MARKER)
    IntakeResponseFactory.create(patient=patient)
    client = reauthenticated(owner)  # the owner works the requests too
    request = _record(client, patient, "erasure")
    page = client.get(reverse("practice:privacy_request", args=[request.pk])).content.decode()
    assert "Must be kept until" not in page
    client.post(
        reverse("practice:privacy_request", args=[request.pk]),
        {"action": "decide", "decision": "Erased."},
    )
    client.post(reverse("practice:privacy_request", args=[request.pk]), {"action": "erase"})
    patient.refresh_from_db()
    assert patient.anonymised_at is not None and patient.email.endswith("@anonymised.invalid")
    assert not IntakeResponse.objects.filter(patient=patient).exists()
    assert Booking.objects.filter(patient=patient).count() == 1  # kept as figures
    assert AuditEvent.objects.filter(action=AuditAction.ANONYMISED, subject=patient).exists()
    # A second click changes nothing and says so.
    again = client.post(
        reverse("practice:privacy_request", args=[request.pk]), {"action": "erase"}, follow=True
    )
    assert again.status_code == 200 and "Record the decision first" in again.content.decode()


def test_rectification_corrects_details_and_adds_a_note_to_clinical_records(
    owner: User, patient: User, other_patient: User, practitioner: User, visit: Booking
) -> None:
    # The owner: a new sign-in address is theirs to set (the desk corrects the rest, below).
    client = reauthenticated(owner)
    request = _record(client, patient, "rectification")
    url = reverse("practice:privacy_request", args=[request.pk])
    page = client.get(url).content.decode()
    assert "Clinical records are not rewritten" in page
    client.post(url, {"action": "decide", "decision": "Correct the name and date of birth."})
    # An email another account uses is refused, nothing changed.
    clash = client.post(
        url,
        {
            "action": "rectify",
            "first_name": "Alexa",
            "last_name": "Smith",
            "email": other_patient.email,
            "phone": "",
        },
        follow=True,
    )
    assert "Another account already uses" in clash.content.decode()
    patient.refresh_from_db()
    assert patient.first_name == "Alex"

    client.post(
        url,
        {
            "action": "rectify",
            "first_name": "Alexa",
            "last_name": "Smith",
            "email": "alexa@example.com",
            "phone": "07700 900123",
            "date_of_birth": "1980-04-02",
            "note": "",
        },
    )
    patient.refresh_from_db()
    assert (patient.first_name, patient.email, patient.phone) == (
        "Alexa",
        "alexa@example.com",
        "+447700900123",  # stored as E.164
    )
    assert EmailAddress.objects.get(user=patient).email == "alexa@example.com"
    assert (
        RecordCorrection.objects.get(patient=patient).note
        == "Date of birth corrected to 2 April 1980."
    )
    # The practitioner caring for them sees the note beside the (unchanged) record.
    overview = client_for(practitioner).get(reverse("practice:patient", args=[patient.pk]))
    assert "Date of birth corrected to 2 April 1980." in overview.content.decode()
    request.refresh_from_db()
    assert request.status == PrivacyRequestStatus.COMPLETED
    steps = list(PrivacyRequestStep.objects.filter(request=request).values_list("what", flat=True))
    assert len(steps) == 3 and "first name" in steps[-1] and "correction note" in steps[-1]
    assert AuditEvent.objects.filter(
        action=AuditAction.PRIVACY_REQUEST_COMPLETED, subject=patient
    ).exists()


def test_the_desk_cannot_move_a_patients_sign_in_to_an_address_it_holds(
    front_desk: User, owner: User, patient: User, other_patient: User
) -> None:
    """Changing the address someone signs in with hands their account (and their health
    record) to whoever reads the new address: a password reset goes there. The front desk
    reads no health data, so a "rectification" it records and decides itself must not move
    the patient's email; the owner (who may already set passwords) makes that change."""
    from django.core import mail

    desk = reauthenticated(front_desk)
    request = _record(desk, patient, "rectification")
    url = reverse("practice:privacy_request", args=[request.pk])
    desk.post(url, {"action": "decide", "decision": "Correct the email."})
    attempt = {"action": "rectify", "first_name": "Alexa", "last_name": "", "phone": ""}
    desk.post(url, {**attempt, "email": "desk.attacker@example.net", "note": ""})
    mail.outbox.clear()
    Client().post(reverse("account_reset_password"), {"email": "desk.attacker@example.net"})
    # (An address with no account is told so, to prevent enumeration: no reset link.)
    reset_links = [
        m
        for m in mail.outbox
        if "desk.attacker@example.net" in m.to and "/accounts/password/reset/key/" in str(m.body)
    ]
    assert not reset_links, "a password reset for the patient's account went to the desk"
    patient.refresh_from_db()
    # The name is corrected; the address is the one the patient signs in with.
    assert (patient.first_name, patient.email) == ("Alexa", "patient@example.com")
    assert EmailAddress.objects.get(user=patient).email == "patient@example.com"
    # The rule is the service's, whatever form posts to it.
    second = _record(desk, other_patient, "rectification")
    privacy_requests.decide(request=second, decision="Correct the email.", by=front_desk)

    def rectify(by: User, email: str) -> str:
        return privacy_requests.complete_rectification(
            request=second,
            by=by,
            first_name="",
            last_name="",
            email=email,
            phone="",
            date_of_birth=None,
            note="",
        )

    with pytest.raises(privacy_requests.RequestError):
        rectify(front_desk, "desk.attacker@example.net")
    # The owner corrects a wrong address.
    rectify(owner, "their.new@example.com")
    other_patient.refresh_from_db()
    assert other_patient.email == "their.new@example.com"


def test_erasing_asks_the_owner_for_their_password_again(owner: User, patient: User) -> None:
    """Completing an erasure anonymises the patient (their questionnaire and diary deleted) or
    closes their account: as final as the owner's retention approval, which asks for the
    password again. An unlocked session left at reception must not do it alone."""
    IntakeResponseFactory.create(patient=patient)
    client = client_for(owner)
    request = _record(client, patient, "erasure")
    url = reverse("practice:privacy_request", args=[request.pk])
    asked = client.post(url, {"action": "decide", "decision": "Erase what can be erased."})
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    client.post(url, {"action": "erase"})
    patient.refresh_from_db()
    assert patient.anonymised_at is None and patient.closed_at is None
    assert IntakeResponse.objects.filter(patient=patient).exists()
    # Having re-entered the password, the owner completes it.
    client.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    client.post(url, {"action": "decide", "decision": "Erase what can be erased."})
    client.post(url, {"action": "erase"})
    patient.refresh_from_db()
    assert patient.anonymised_at is not None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("2999-01-01", "The date of birth cannot be in the future."),
        ("1066-10-14", "Check the year: that would make them over 120."),
    ],
)
def test_a_corrected_date_of_birth_must_be_possible(
    patient: User, typed: str, message: str
) -> None:
    from practice.privacy_forms import RectifyForm

    data = {"email": patient.email, "phone": "", "date_of_birth": typed}
    form = RectifyForm(data, patient=patient)
    assert not form.is_valid()
    assert form.errors["date_of_birth"] == [message]
