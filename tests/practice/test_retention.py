"""Retention on PostgreSQL with time-machine: who is listed, the owner's approval, what an
anonymised person keeps, the dry run, and never-booked accounts idle for two years."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from booking.models import Booking, BookingStatus, Service, WaitlistEntry
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage
from intake import diary_entries
from intake import services as intake_services
from intake.access_log import log_health_access
from intake.models import (
    Alert,
    AlertLevel,
    DiaryEntry,
    FlagKind,
    HealthAccess,
    IntakeResponse,
    PatientFlag,
    RecordAccessGrant,
)
from payments.fee_reductions import fee_reduction_request
from payments.models import FeeReduction, Payment, PaymentStatus
from portal.celery import app as celery_app
from portal.models import AuditAction, AuditEvent, Clinic, User
from practice import retention
from practice.models import RecordCorrection, RetentionCase, TreatmentRecord
from practice.services import TreatmentDetails, treatment_record_save
from tests.booking.conftest import NOW
from tests.booking.factories import visit_at
from tests.conftest import client_for, reauthenticated
from tests.factories import TEST_PASSWORD, UserFactory
from tests.intake.factories import IntakeResponseFactory

MARKER = "Zebrafinch-lumbago"


def _years_ago(years: int, *, days: int = 0) -> datetime:
    return retention.years_before(NOW, years) + timedelta(days=days)


def treated_at(patient: User, private: Service, practitioner: User, when: datetime) -> Booking:
    """A visit at ``when`` with every kind of health record the clinic can hold about it."""
    visit = visit_at(
        patient=patient,
        service=private,
        practitioner=private.practitioners.get(),
        starts_at=when,
        price_minor=5000,
    )
    treatment_record_save(
        booking=visit,
        by=practitioner,
        details=TreatmentDetails(
            areas_and_points=f"{MARKER} BL23",
            needle_count=8,
            depth="standard",
            stimulation="gentle",
        ),
        now=when + timedelta(hours=1),
    )
    Payment.objects.create(
        booking=visit,
        clinic=visit.clinic,
        patient=patient,
        amount_minor=5000,
        currency="GBP",
        status=PaymentStatus.SUCCEEDED,
        client_secret="pi_secret_x",
    )
    IntakeResponseFactory.create(patient=patient)
    diary_entries.diary_add(patient=patient, pain=6, note=MARKER, recorded_at=when)
    CheckIn.objects.create(
        booking=visit,
        patient=patient,
        stage=CheckInStage.CHECKIN,
        treatment_number=1,
        answers={"note": MARKER},
    )
    intake_services.flag_raise(patient=patient, kind=FlagKind.REVIEW, reason=MARKER)
    intake_services.alert_raise(
        patient=patient,
        level=AlertLevel.REVIEW,
        kind="test",
        source_key=f"test:{visit.pk}",
        summary=MARKER,
    )
    fee_reduction_request(patient=patient, clinic=visit.clinic, reason=MARKER)
    RecordAccessGrant.objects.create(
        clinic=visit.clinic,
        viewer=practitioner,
        patient=patient,
        reason=MARKER,
        expires_at=when + timedelta(hours=8),
    )
    log_health_access(viewer=practitioner, patient=patient, what="questionnaire")
    OutboxMessage.objects.create(
        kind=MessageKind.BOOKING_CONFIRMED,
        recipient=patient,
        booking=visit,
        due_at=when,
        subject=MARKER,
    )
    Booking.objects.filter(pk=visit.pk).update(cancellation_note=MARKER)
    return visit


@pytest.fixture
def old(private: Service, patient: User, practitioner: User) -> User:
    """Alex, last treated 8 years and a day before "now"."""
    treated_at(patient, private, practitioner, _years_ago(8, days=-1))
    return patient


@pytest.fixture
def younger(private: Service, other_patient: User, practitioner: User) -> User:
    """Another patient, last treated a day less than 8 years ago."""
    treated_at(other_patient, private, practitioner, _years_ago(8, days=1))
    return other_patient


def test_eight_years_and_a_day_is_listed_a_day_younger_is_not(old: User, younger: User) -> None:
    with time_machine.travel(NOW, tick=False):
        due = {d.patient.pk for d in retention.due_for_anonymisation()}
        assert due == {old.pk}
        retention.run()
    assert list(RetentionCase.objects.values_list("patient", flat=True)) == [old.pk]
    # Listed, not anonymised: nothing happens until the owner approves.
    old.refresh_from_db()
    assert old.anonymised_at is None and old.first_name == "Alex"


def test_a_bigger_retention_setting_lists_nobody(old: User, clinic: Clinic) -> None:
    Clinic.objects.filter(pk=clinic.pk).update(health_record_retention_years=10)
    with time_machine.travel(NOW, tick=False):
        assert retention.due_for_anonymisation() == []


@pytest.mark.usefixtures("eager_celery")
def test_owner_approves_and_the_person_is_anonymised(
    old: User,
    younger: User,
    owner: User,
    practitioner: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(NOW, tick=False):
        retention.run()
        case = RetentionCase.objects.get()
        client = reauthenticated(owner)
        page = client.get(reverse("practice:retention")).content.decode()
        assert f'data-case="{case.pk}"' in page
        with django_capture_on_commit_callbacks(execute=True):
            approved = client.post(reverse("practice:retention"), {"case": case.pk})
        assert approved.status_code == 302

    old.refresh_from_db()
    assert old.anonymised_at is not None and old.closed_at is not None
    assert old.first_name == old.last_name == old.phone == ""
    assert old.email.endswith("@anonymised.invalid") and "alex" not in old.email.lower()
    assert not old.is_active and not old.has_usable_password()
    assert not EmailAddress.objects.filter(user=old).exists()
    # Health content gone.
    for model in (IntakeResponse, DiaryEntry, CheckIn, TreatmentRecord, PatientFlag, Alert):
        assert not model.objects.filter(patient=old).exists(), model
    assert not TreatmentRecord.history.filter(patient=old).exists()  # no kept versions either
    assert not DiaryEntry.history.filter(patient=old).exists()
    assert not OutboxMessage.objects.filter(recipient=old).exists()
    assert FeeReduction.objects.get(patient=old).reason == ""
    assert RecordAccessGrant.objects.get(patient=old).reason == ""
    # Bookings and payments stay as figures for the accounts, without notes.
    visit = Booking.objects.get(patient=old)
    assert visit.status == BookingStatus.ATTENDED and visit.price_minor == 5000
    assert visit.cancellation_note == ""
    assert Payment.objects.get(patient=old).amount_minor == 5000
    assert HealthAccess.objects.filter(patient=old).count() == 1
    assert RetentionCase.objects.get().done_at is not None
    anonymised = AuditEvent.objects.get(action=AuditAction.ANONYMISED)
    assert (anonymised.subject_id, anonymised.actor_id) == (old.pk, owner.pk)
    # The younger patient is untouched.
    younger.refresh_from_db()
    assert younger.anonymised_at is None
    assert TreatmentRecord.objects.filter(patient=younger).exists()

    # Safe to run twice: nothing more happens, nobody is listed again.
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        again = retention.run()
    assert (again.listed, again.anonymised) == (0, 0)
    assert retention.anonymise(patient_id=old.pk, actor=None, why="again") is False

    # The anonymised person cannot sign in.
    assert not Client().login(email=old.email, password=TEST_PASSWORD)


def test_a_patient_treated_again_after_listing_is_taken_off(
    old: User, owner: User, private: Service, practitioner: User
) -> None:
    with time_machine.travel(NOW, tick=False):
        retention.run()
        case = RetentionCase.objects.get()
        assert retention.approve(case_id=case.pk, by=owner)
        treated_at(old, private, practitioner, NOW - timedelta(days=3))
        assert retention.anonymise_approved_case(case_id=case.pk) is False
    old.refresh_from_db()
    assert old.anonymised_at is None and not RetentionCase.objects.exists()


def test_dry_run_changes_nothing(old: User, clinic: Clinic) -> None:
    idle = UserFactory.create(email="idle@example.com")
    User.objects.filter(pk=idle.pk).update(date_joined=_years_ago(3))
    with time_machine.travel(NOW, tick=False):
        plan = retention.dry_run()
        call_command("retention", "--dry-run")
    assert [d.patient.pk for d in plan.due] == [old.pk]
    assert plan.due[0].counts["treatment records"] == 1
    assert [u.pk for u in plan.inactive] == [idle.pk]
    assert not RetentionCase.objects.exists()
    assert User.objects.filter(pk=idle.pk).exists()
    old.refresh_from_db()
    assert old.first_name == "Alex" and TreatmentRecord.objects.filter(patient=old).exists()


def test_never_booked_inactive_account_deleted_after_two_years_not_before(
    clinic: Clinic, practitioner: User
) -> None:
    joined = NOW - timedelta(days=10)
    gone = UserFactory.create(email="gone@example.com")
    stays = UserFactory.create(email="stays@example.com")
    User.objects.filter(pk=gone.pk).update(
        date_joined=_years_ago(5), last_login=_years_ago(2, days=-1)
    )
    User.objects.filter(pk=stays.pk).update(
        date_joined=_years_ago(5), last_login=_years_ago(2, days=1)
    )
    IntakeResponseFactory.create(patient=gone)
    with time_machine.travel(NOW, tick=False):
        diary_entries.diary_add(patient=gone, pain=3, note=MARKER, recorded_at=joined)
    log_health_access(viewer=practitioner, patient=gone, what="questionnaire")
    with time_machine.travel(NOW, tick=False):
        result = retention.run()
        assert result.deleted == 1
        assert retention.run().deleted == 0
    assert not User.objects.filter(pk=gone.pk).exists()
    deleted = AuditEvent.objects.get(action=AuditAction.ACCOUNT_DELETED)
    assert deleted.actor_id is None and deleted.detail["account"] == str(gone.pk)
    assert not IntakeResponse.objects.filter(patient_id=gone.pk).exists()
    assert not DiaryEntry.history.filter(patient_id=gone.pk).exists()
    assert User.objects.filter(pk=stays.pk).exists()
    # Two years and a day later the second one goes too.
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        assert retention.run().deleted == 1
    assert not User.objects.filter(pk=stays.pk).exists()


def test_the_team_is_never_deleted_for_inactivity(practitioner: User, owner: User) -> None:
    User.objects.update(date_joined=_years_ago(5), last_login=None)
    with time_machine.travel(NOW, tick=False):
        assert retention.run().deleted == 0
    assert User.objects.filter(pk__in=[practitioner.pk, owner.pk]).count() == 2


def test_retention_page_is_the_owners_only(
    front_desk: User, practitioner: User, owner: User
) -> None:
    assert client_for(front_desk).get(reverse("practice:retention")).status_code == 403
    assert client_for(practitioner).get(reverse("practice:retention")).status_code == 403
    case_post = client_for(front_desk).post(reverse("practice:retention"), {"case": "1"})
    assert case_post.status_code == 403
    assert reauthenticated(owner).get(reverse("practice:retention")).status_code == 200


def test_approval_asks_for_the_password_again(old: User, owner: User) -> None:
    with time_machine.travel(NOW, tick=False):
        retention.run()
    case = RetentionCase.objects.get()
    asked = client_for(owner).post(reverse("practice:retention"), {"case": case.pk})
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert RetentionCase.objects.get().approved_at is None


def test_monthly_task_is_in_the_beat_schedule() -> None:
    entry = celery_app.conf.beat_schedule["retention-monthly"]
    assert entry["task"] == "practice.tasks.retention_monthly"
    # The tasks a worker knows: its start-up imports every app's tasks module (autodiscovery),
    # whichever tests this process happened to run before.
    celery_app.loader.import_default_modules()
    assert entry["task"] in celery_app.tasks


def test_booked_never_treated_and_idle_two_years_is_anonymised_not_kept_forever(
    private: Service, patient: User, other_patient: User
) -> None:
    """Someone who booked but never came in holds no record the clinic must keep: two years
    after their last booking and sign-in they are anonymised, like a closed account."""
    practitioner = private.practitioners.get()
    for person, days in ((patient, -1), (other_patient, 1)):
        User.objects.filter(pk=person.pk).update(
            date_joined=_years_ago(4), last_login=_years_ago(2, days=days)
        )
        visit_at(
            patient=person,
            service=private,
            practitioner=practitioner,
            starts_at=_years_ago(2, days=days - 1),
            status=BookingStatus.CANCELLED,
        )
        IntakeResponseFactory.create(patient=person)
    with time_machine.travel(NOW, tick=False):
        assert [u.pk for u in retention.dry_run().never_treated] == [patient.pk]
        result = retention.run()
        assert (result.never_treated, result.deleted) == (1, 0)
        assert retention.run().never_treated == 0
    patient.refresh_from_db()
    assert patient.anonymised_at is not None and patient.first_name == ""
    assert not IntakeResponse.objects.filter(patient=patient).exists()
    assert Booking.objects.filter(patient=patient).count() == 1  # kept as a figure
    event = AuditEvent.objects.get(action=AuditAction.ANONYMISED)
    assert event.actor_id is None and event.subject_id == patient.pk
    # A day younger stays.
    assert User.objects.get(pk=other_patient.pk).anonymised_at is None
    assert IntakeResponse.objects.filter(patient=other_patient).exists()


def test_a_treated_patient_is_never_taken_by_the_never_treated_rule(
    old: User, private: Service
) -> None:
    User.objects.filter(pk=old.pk).update(last_login=_years_ago(9))
    with time_machine.travel(NOW, tick=False):
        assert old.pk not in [u.pk for u in retention.inactive_never_treated()]


def test_anonymising_does_to_each_kind_what_the_registry_says(old: User, private: Service) -> None:
    """``portal.patient_data.KINDS`` is the list the privacy pages and the export rely on:
    every kind it says is deleted is gone, and what it keeps is still there."""
    from django.apps import apps

    from portal.patient_data import KINDS, OnAnonymise

    def count(kind: Any) -> int:
        manager = apps.get_model(kind.model)._default_manager
        return int(manager.filter(**{kind.patient_field: old}).count())

    WaitlistEntry.objects.create(
        clinic=Clinic.objects.current(),
        patient=old,
        service=private,
        weekdays=[0],
        day_parts=["evening"],
        joined_at=NOW - timedelta(days=2),
    )
    RecordCorrection.objects.create(
        clinic=Clinic.objects.current(),
        patient=old,
        note=MARKER,
        written_at=NOW - timedelta(days=1),
    )
    before = {kind.model: count(kind) for kind in KINDS}
    with time_machine.travel(NOW, tick=False):
        assert retention.anonymise(patient_id=old.pk, actor=None, why="test")
    for kind in KINDS:
        if kind.on_anonymise is OnAnonymise.DELETE:
            assert count(kind) == 0, kind.model
        elif kind.on_anonymise in (OnAnonymise.KEEP_AS_FIGURES, OnAnonymise.EMPTY_TEXT):
            assert count(kind) == before[kind.model], kind.model
    seeded = [k.model for k in KINDS if k.on_anonymise is not OnAnonymise.KEEP]
    assert all(before[m] for m in seeded), "treated_at() should hold one of each kind"
