""" "Download my data": the whole flow through the real views, the schema and completeness.

The patient asks from their privacy page after re-entering their password, the task runs
eagerly, the email's signed link downloads the zip once, a second click is refused kindly,
the link lapses after 7 days, another patient's session cannot use it, and the front desk
can produce the same for a request by post. data.json validates against the published schema
and holds one of every kind of record seeded through the services.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, BookingStatus, PaymentMode, WaitlistEntry
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage, OutboxStatus
from intake.access_log import log_health_access
from intake.breakglass import grant_see_anyway
from intake.diary_entries import diary_add
from intake.models import AlertLevel, FlagKind
from intake.services import alert_raise, flag_raise
from payments.at_clinic import record_clinic_payment
from payments.fee_reductions import fee_reduction_request
from payments.models import Payment, PaymentStatus, Refund, RefundReason, RefundStatus
from portal import export, patient_data
from portal.models import (
    AuditAction,
    AuditEvent,
    Clinic,
    DataExport,
    ExportChannel,
    ExportStatus,
    Role,
    User,
)
from portal.tasks import build_data_export, delete_expired_exports
from practice.models import RecordCorrection
from practice.services import TreatmentDetails, treatment_record_save
from tests.booking.conftest import eager_celery  # noqa: F401 (a fixture)
from tests.booking.factories import PractitionerFactory, ServiceFactory, visit_at
from tests.conftest import client_for, reauthenticated
from tests.factories import UserFactory
from tests.intake.factories import IntakeResponseFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

SCHEMA_PATH = Path(settings.BASE_DIR) / "docs" / "schemas" / "patient-export.schema.json"
LINK = re.compile(r"https?://\S+?(/me/privacy/my-data/[^/\s]+/)")
# Every kind of record the export must carry: the registry's exported kinds.
KINDS = tuple(kind.export_key for kind in patient_data.KINDS if kind.export_key)

Capture = Callable[..., Any]


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Capture) -> Callable[[], Any]:
    """Run on-commit work (the queued task, then its email) as the request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def seed_everything(patient: User, practitioner: User, desk: User) -> None:
    """One of every kind of record about ``patient``, written through the services."""
    clinic = Clinic.objects.current()
    mei = PractitionerFactory.create(user=practitioner)
    service = ServiceFactory.create(practitioners=[mei], name="Acupuncture")
    visit = visit_at(
        patient=patient,
        service=service,
        practitioner=mei,
        starts_at=timezone.now() - timedelta(days=3),
        status=BookingStatus.CONFIRMED,
        booked_by=patient,
    )
    treatment_record_save(
        booking=visit,
        by=practitioner,
        details=TreatmentDetails(
            areas_and_points="LI4, ST36", needle_count=8, depth="standard", stimulation="gentle"
        ),
    )
    earlier = visit_at(
        patient=patient,
        service=service,
        practitioner=mei,
        starts_at=timezone.now() - timedelta(days=10),
        status=BookingStatus.ATTENDED,
        booked_by=patient,
    )
    Booking.objects.filter(pk=earlier.pk).update(
        price_minor=4000, payment_mode=PaymentMode.AT_CLINIC
    )
    record_clinic_payment(booking_id=earlier.pk, amount_minor=4000, method="cash", by=desk)
    payment = Payment.objects.create(
        booking=visit,
        clinic=clinic,
        patient=patient,
        amount_minor=5000,
        currency="GBP",
        status=PaymentStatus.PARTLY_REFUNDED,
        paid_at=timezone.now(),
        refunded_minor=1000,
    )
    Refund.objects.create(
        payment=payment,
        amount_minor=1000,
        reason=RefundReason.STAFF,
        status=RefundStatus.SUCCEEDED,
        created_by=desk,
    )
    fee_reduction_request(patient=patient, clinic=clinic, reason="I am a student")
    IntakeResponseFactory.create(patient=patient)
    diary_add(patient=patient, pain=4, note="Stiff after gardening", tags=["flare"])
    checkin = CheckIn(
        booking=visit, patient=patient, stage=CheckInStage.CHECKIN, treatment_number=1
    )
    checkin.answers = {"comparison": "better", "pain_now": 3}
    checkin.outcome = {"level": "", "advice": [], "notes": [], "reasons": []}
    checkin.save()
    flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="Bruised easily last time")
    alert_raise(
        patient=patient,
        level=AlertLevel.ROUTINE,
        kind="diary_note",
        source_key="export-test",
        summary="A note to read",
    )
    log_health_access(viewer=practitioner, patient=patient, what="intake summary")
    david = UserFactory.create(first_name="David", role=Role.PRACTITIONER)
    PractitionerFactory.create(user=david)
    grant_see_anyway(viewer=david, patient=patient, reason="Covering for Mei today")
    WaitlistEntry.objects.create(
        clinic=clinic,
        patient=patient,
        service=service,
        weekdays=[1, 3],
        day_parts=["morning"],
        joined_at=timezone.now(),
    )
    RecordCorrection.objects.create(
        clinic=clinic,
        patient=patient,
        note="Date of birth is 3 May, not 5 March",
        written_by=desk,
        written_at=timezone.now(),
    )


def unzip(content: bytes) -> tuple[dict[str, Any], str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert sorted(archive.namelist()) == ["data.json", "summary.html"]
        return json.loads(archive.read("data.json")), archive.read("summary.html").decode()


def link_in_last_email(to: str) -> str:
    sent = [m for m in mail.outbox if m.to == [to]]
    assert sent, f"no email to {to}"
    found = LINK.search(str(sent[-1].body))
    assert found is not None, sent[-1].body
    return found.group(1)


def trail_of(patient: User) -> list[tuple[str, int | None, str]]:
    """The audit rows about ``patient``'s exports, oldest first: (action, actor id, channel)."""
    rows = AuditEvent.objects.filter(subject=patient, action__startswith="data_export_")
    return [(e.action, e.actor_id, e.detail.get("channel", "")) for e in rows.order_by("at", "pk")]


def ask_online(client: Client, capture: Callable[[], Any]) -> None:
    with capture():
        answer = client.post(reverse("export_request"))
    assert answer.status_code == 302 and answer["Location"] == reverse("intake:privacy")


# ---------------------------------------------------------------------------------------------
# The schema and completeness


@pytest.fixture
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def test_a_full_export_validates_against_the_published_schema_and_has_every_kind(
    patient: User, practitioner: User, front_desk: User, schema: dict[str, Any]
) -> None:
    seed_everything(patient, practitioner, front_desk)

    data, summary = unzip(export.archive_bytes(patient, export.collect(patient)))

    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
        data
    )
    assert [kind for kind in KINDS if not data[kind]] == []
    assert data["account"]["email"] == patient.email
    assert data["payments"][0]["refunds"][0]["amount_minor"] == 1000
    taken_here = [b["paid_at_clinic"] for b in data["bookings"] if b["paid_at_clinic"]]
    assert [(t["amount_minor"], t["method"]) for t in taken_here] == [(4000, "cash")]
    assert "paid at the clinic £40" in summary
    # Intake answers carry the question as the patient saw it in that version.
    answers = {a["key"]: a for s in data["intake_responses"][0]["sections"] for a in s["answers"]}
    assert answers["complaint"]["question"] and answers["complaint"]["question"] != "complaint"
    assert answers["complaint"]["answer"] == "Low back pain for three years"
    assert data["treatment_records"][0]["needle_count"] == 8
    assert data["health_access"][0]["what"] == "intake summary"
    # The readable summary is the template, with the patient's words in it.
    assert "Stiff after gardening" in summary and "LI4, ST36" in summary
    assert "Covering for Mei today" in summary


def test_the_schema_refuses_an_export_missing_a_kind(patient: User, schema: dict[str, Any]) -> None:
    data = json.loads(json.dumps(export.collect(patient)))
    jsonschema.validate(data, schema)
    del data["treatment_records"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema)


def test_another_patients_records_stay_out(
    patient: User, other_patient: User, practitioner: User, front_desk: User
) -> None:
    seed_everything(patient, practitioner, front_desk)
    data = export.collect(other_patient)
    assert [kind for kind in KINDS if data[kind]] == []


# ---------------------------------------------------------------------------------------------
# The patient's flow


def test_asking_needs_the_password_again(patient: User) -> None:
    client = client_for(patient)
    asked = client.post(reverse("export_request"))
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert not DataExport.objects.exists()


def test_the_privacy_page_offers_the_download(patient: User) -> None:
    page = client_for(patient).get(reverse("intake:privacy")).content.decode()
    assert reverse("export_request") in page


def test_patient_asks_is_emailed_and_downloads_once(
    patient: User, practitioner: User, front_desk: User, capture: Callable[[], Any]
) -> None:
    seed_everything(patient, practitioner, front_desk)
    client = reauthenticated(patient)
    assert client.get(reverse("export_request")).status_code == 200
    ask_online(client, capture)

    made = DataExport.objects.get(patient=patient)
    assert (made.status, made.channel, made.requested_by) == ("ready", "online", patient)
    assert "ready to download" in client.get(reverse("intake:privacy")).content.decode()
    # Stored encrypted: the raw column is a Fernet token, not a zip.
    stored = DataExport.objects.values_list("archive", flat=True).get(pk=made.pk)
    assert stored is not None
    raw = bytes(stored)
    assert not raw.startswith(b"PK") and b"data.json" not in raw
    row = OutboxMessage.objects.get(kind=MessageKind.DATA_EXPORT, recipient=patient)
    assert row.status == OutboxStatus.SENT
    path = link_in_last_email(patient.email)

    first = client.get(path)
    assert first.status_code == 200
    assert first["Content-Type"] == "application/zip"
    assert "attachment" in first["Content-Disposition"]
    data, _ = unzip(first.content)
    assert data["account"]["id"] == patient.pk and data["treatment_records"]

    again = client.get(path)
    assert again.status_code == 410
    page = again.content.decode()
    assert "already been used" in page and reverse("export_request") in page
    made.refresh_from_db()
    assert made.status == ExportStatus.DOWNLOADED and made.archive is None
    # The audit trail: asked by the patient online, produced by the system, downloaded once.
    assert trail_of(patient) == [
        (AuditAction.DATA_EXPORT_REQUESTED, patient.pk, "online"),
        (AuditAction.DATA_EXPORT_PRODUCED, None, ""),
        (AuditAction.DATA_EXPORT_DOWNLOADED, patient.pk, "online"),
    ]


def test_the_link_needs_the_patient_signed_in(patient: User, capture: Callable[[], Any]) -> None:
    ask_online(reauthenticated(patient), capture)
    path = link_in_last_email(patient.email)
    anonymous = Client().get(path)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    # A HEAD (a link checker in the patient's browser) does not use the link up.
    assert client_for(patient).head(path).status_code == 405
    assert DataExport.objects.get(patient=patient).status == ExportStatus.READY
    assert client_for(patient).get(path).status_code == 200


def test_another_patients_session_cannot_use_the_link(
    patient: User, other_patient: User, capture: Callable[[], Any]
) -> None:
    ask_online(reauthenticated(patient), capture)
    path = link_in_last_email(patient.email)

    refused = client_for(other_patient).get(path)
    assert refused.status_code == 404
    assert b"PK" not in refused.content[:2]
    # Still there for its patient.
    assert client_for(patient).get(path).status_code == 200


def test_a_tampered_link_is_refused_kindly(patient: User, capture: Callable[[], Any]) -> None:
    ask_online(reauthenticated(patient), capture)
    path = link_in_last_email(patient.email)
    answer = client_for(patient).get(path[:-3] + "xx/")
    assert answer.status_code == 404
    assert b"cannot find this download" in answer.content


def test_the_link_lapses_after_seven_days_and_the_file_is_deleted(
    patient: User, capture: Callable[[], Any]
) -> None:
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        ask_online(reauthenticated(patient), capture)
    path = link_in_last_email(patient.email)

    with time_machine.travel(start + timedelta(days=6, hours=23), tick=False):
        assert delete_expired_exports.delay().get() == 0
    with time_machine.travel(start + timedelta(days=7, minutes=1), tick=False):
        lapsed = client_for(patient).get(path)
        assert lapsed.status_code == 410 and b"expired" in lapsed.content
        assert delete_expired_exports.delay().get() == 1
    made = DataExport.objects.get(patient=patient)
    assert made.status == ExportStatus.EXPIRED and made.archive is None


def test_asking_twice_and_running_the_task_twice_build_and_send_once(
    patient: User, capture: Callable[[], Any]
) -> None:
    client = reauthenticated(patient)
    with capture():
        client.post(reverse("export_request"))
        # The second ask arrives before the first build's commit: it finds the same request.
        export.request_export(patient=patient, requested_by=patient, channel="online")
    made = DataExport.objects.get(patient=patient)
    with capture():
        assert build_data_export.delay(made.pk).get() == "resent"
    assert len([m for m in mail.outbox if m.to == [patient.email]]) == 1
    assert DataExport.objects.filter(patient=patient).count() == 1
    assert [action for action, _, _ in trail_of(patient)] == [
        AuditAction.DATA_EXPORT_REQUESTED,
        AuditAction.DATA_EXPORT_PRODUCED,
    ]


# ---------------------------------------------------------------------------------------------
# The front desk


def test_the_desk_produces_an_export_for_a_request_by_post(
    patient: User, front_desk: User, capture: Callable[[], Any]
) -> None:
    desk = reauthenticated(front_desk)
    assert desk.get(reverse("desk_export")).status_code == 200
    with capture():
        sent = desk.post(
            reverse("desk_export"),
            {"email": patient.email.upper(), "channel": "post", "identity_checked": "on"},
        )
    assert sent.status_code == 302

    made = DataExport.objects.get(patient=patient)
    assert (made.channel, made.requested_by, made.status) == (
        ExportChannel.POST,
        front_desk,
        ExportStatus.READY,
    )
    listed = desk.get(reverse("desk_export")).content.decode()
    assert "By post" in listed and f'data-export="{made.pk}"' in listed
    # Delivered the same way: the patient's own link, used signed in as the patient.
    path = link_in_last_email(patient.email)
    assert client_for(patient).get(path).status_code == 200
    assert client_for(front_desk).get(path).status_code == 403
    assert trail_of(patient) == [
        (AuditAction.DATA_EXPORT_REQUESTED, front_desk.pk, "post"),
        (AuditAction.DATA_EXPORT_PRODUCED, None, ""),
        (AuditAction.DATA_EXPORT_DOWNLOADED, patient.pk, "post"),
    ]


def test_the_desk_form_refuses_kindly(patient: User, front_desk: User) -> None:
    desk = reauthenticated(front_desk)
    unknown = desk.post(
        reverse("desk_export"),
        {"email": "nobody@example.com", "channel": "phone", "identity_checked": "on"},
    )
    assert unknown.status_code == 200 and b"No patient of the clinic" in unknown.content
    unchecked = desk.post(reverse("desk_export"), {"email": patient.email, "channel": "phone"})
    assert unchecked.status_code == 200 and b"check who is asking" in unchecked.content
    assert not DataExport.objects.exists()


def test_the_desk_is_asked_for_the_password_again(patient: User, front_desk: User) -> None:
    asked = client_for(front_desk).post(
        reverse("desk_export"),
        {"email": patient.email, "channel": "phone", "identity_checked": "on"},
    )
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert not DataExport.objects.exists()


def test_practitioners_do_not_get_the_desk_page(practitioner: User) -> None:
    assert client_for(practitioner).get(reverse("desk_export")).status_code == 403


def test_a_closed_account_gets_its_data_handed_over_by_the_desk(
    patient: User, front_desk: User, capture: Callable[[], Any]
) -> None:
    """Someone who cannot sign in any more keeps the right of access: the desk downloads the
    file once, to post or hand over, and no link is emailed that could not work."""
    User.objects.filter(pk=patient.pk).update(closed_at=timezone.now(), is_active=False)
    desk = reauthenticated(front_desk)
    form = {"email": patient.email, "channel": "post", "identity_checked": "on"}
    refused = desk.post(reverse("desk_export"), {**form, "delivery": "link"})
    assert refused.status_code == 200 and b"cannot sign in" in refused.content
    assert not DataExport.objects.exists()

    with capture():
        sent = desk.post(reverse("desk_export"), {**form, "delivery": "handover"})
    assert sent.status_code == 302
    made = DataExport.objects.get(patient=patient)
    assert (made.handover, made.status) == (True, ExportStatus.READY)
    assert not [m for m in mail.outbox if m.to == [patient.email]]
    page = desk.get(reverse("desk_export")).content.decode()
    assert 'data-action="handover-download"' in page

    handover = reverse("desk_export_handover", args=[made.pk])
    # The patient (signed out: closed) cannot take the desk's copy.
    got = desk.post(handover)
    assert got.status_code == 200 and got["Content-Type"] == "application/zip"
    data, _ = unzip(got.content)
    assert data["account"]["email"] == patient.email
    assert desk.post(handover).status_code == 410  # once
    assert trail_of(patient)[-1] == (AuditAction.DATA_EXPORT_DOWNLOADED, front_desk.pk, "post")


def test_a_practitioner_cannot_take_a_hand_over_file(
    patient: User, front_desk: User, practitioner: User, capture: Callable[[], Any]
) -> None:
    User.objects.filter(pk=patient.pk).update(closed_at=timezone.now(), is_active=False)
    patient.refresh_from_db()
    with capture():
        export.request_export(
            patient=patient, requested_by=front_desk, channel="phone", handover=True
        )
    made = DataExport.objects.get(patient=patient)
    answer = client_for(practitioner).post(reverse("desk_export_handover", args=[made.pk]))
    assert answer.status_code == 403
    assert DataExport.objects.get(pk=made.pk).status == ExportStatus.READY
