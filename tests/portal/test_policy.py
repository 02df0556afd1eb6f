"""The one access policy (``portal.policy``), rule by rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from booking.models import Booking, BookingStatus, Practitioner, Service
from intake.breakglass import GrantRefused, end_of_clinic_day, grant_see_anyway
from intake.models import AlertLevel, FlagKind
from intake.services import alert_raise, flag_raise
from payments.fee_reductions import fee_reduction_request
from payments.models import Payment, PaymentStatus
from portal import policy
from portal.models import Clinic, Role, User
from tests.booking.factories import PractitionerFactory, ServiceFactory, visit_at
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 10, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def mei(practitioner: User) -> Practitioner:
    return PractitionerFactory.create(user=practitioner, display_name="Mei Chen")


@pytest.fixture
def david(clinic: Clinic) -> Practitioner:
    user = UserFactory.create(email="david@example.com", role=Role.PRACTITIONER)
    return PractitionerFactory.create(user=user, display_name="David Rhys")


@pytest.fixture
def treatment(mei: Practitioner, david: Practitioner) -> Service:
    return ServiceFactory.create(practitioners=[mei, david])


_day = iter(range(1, 10_000))


def visit(
    patient: User, practitioner: Practitioner, service: Service, starts_at: datetime, **fields: Any
) -> Booking:
    """A visit row at ``starts_at``, a few minutes apart from any other (no overlaps)."""
    fields.setdefault("booked_by", patient)
    return visit_at(
        patient=patient,
        service=service,
        practitioner=practitioner,
        starts_at=starts_at + timedelta(seconds=next(_day)),
        **fields,
    )


# --- Health records: the care relationship ------------------------------------------------


def test_a_patient_reads_only_their_own(patient: User, other_patient: User) -> None:
    assert policy.may_read_record(patient, patient)
    assert not policy.may_read_record(patient, other_patient)
    assert list(policy.readable_patients(patient)) == [patient]


def test_an_upcoming_confirmed_visit_the_patient_made_counts(
    frozen: Any, patient: User, practitioner: User, mei: Practitioner, treatment: Service
) -> None:
    assert not policy.may_read_record(practitioner, patient)
    visit(patient, mei, treatment, NOW + timedelta(days=5), status=BookingStatus.CONFIRMED)
    assert policy.may_read_record(practitioner, patient)
    assert list(policy.patients_in_care(practitioner)) == [patient]


def test_a_visit_the_desk_made_for_a_caller_counts(
    frozen: Any,
    patient: User,
    practitioner: User,
    mei: Practitioner,
    treatment: Service,
    front_desk: User,
) -> None:
    visit(
        patient, mei, treatment, NOW + timedelta(days=5), status="confirmed", booked_by=front_desk
    )
    assert policy.may_read_record(practitioner, patient)


def test_a_visit_the_practitioner_booked_themself_grants_nothing(
    frozen: Any, patient: User, practitioner: User, mei: Practitioner, treatment: Service
) -> None:
    booked = visit(
        patient, mei, treatment, NOW + timedelta(days=5), status="confirmed", booked_by=practitioner
    )
    assert not policy.may_read_record(practitioner, patient)
    # Moving a visit the patient made keeps it theirs (a move copies who made the visit).
    made = visit(patient, mei, treatment, NOW + timedelta(days=6), status="rescheduled")
    booked.rescheduled_from, booked.made_by = made, patient
    booked.save()
    assert policy.may_read_record(practitioner, patient)


@pytest.mark.parametrize(
    "status",
    [
        BookingStatus.HELD,
        BookingStatus.CANCELLED,
        BookingStatus.LATE_CANCELLED,
        BookingStatus.RESCHEDULED,
        BookingStatus.EXPIRED,
        BookingStatus.NO_SHOW,
    ],
)
@pytest.mark.parametrize("when", [timedelta(days=5), -timedelta(days=30)])
def test_other_statuses_do_not_count(
    frozen: Any,
    patient: User,
    practitioner: User,
    mei: Practitioner,
    treatment: Service,
    status: str,
    when: timedelta,
) -> None:
    visit(patient, mei, treatment, NOW + when, status=status)
    assert not policy.may_read_record(practitioner, patient)
    assert not policy.patients_in_care(practitioner).exists()


def test_a_confirmed_visit_counts_until_a_day_after_it_ends(
    frozen: Any, patient: User, practitioner: User, mei: Practitioner, treatment: Service
) -> None:
    booked = visit(patient, mei, treatment, NOW - timedelta(hours=3), status="confirmed")
    assert policy.may_read_record(practitioner, patient)  # time to mark it and write the record
    frozen.move_to(booked.ends_at + policy.CONFIRMED_GRACE + timedelta(seconds=1))
    assert not policy.may_read_record(practitioner, patient)


def test_an_attended_visit_counts_for_twelve_months(
    frozen: Any, patient: User, practitioner: User, mei: Practitioner, treatment: Service
) -> None:
    attended = visit(patient, mei, treatment, NOW - timedelta(days=1), status="attended")
    twelve_months_on = attended.starts_at.replace(year=attended.starts_at.year + 1)
    frozen.move_to(twelve_months_on)
    assert policy.may_read_record(practitioner, patient)
    frozen.move_to(twelve_months_on + timedelta(seconds=1))
    assert not policy.may_read_record(practitioner, patient)
    assert not policy.patients_in_care(practitioner).exists()


def test_twelve_months_back_from_the_end_of_a_month() -> None:
    assert policy.months_ago(datetime(2028, 2, 29, 9, tzinfo=UTC), 12) == datetime(
        2027, 2, 28, 9, tzinfo=UTC
    )
    assert policy.months_ago(datetime(2027, 3, 31, 9, tzinfo=UTC), 1) == datetime(
        2027, 2, 28, 9, tzinfo=UTC
    )


def test_a_colleague_s_visits_grant_nothing(
    frozen: Any,
    patient: User,
    practitioner: User,
    mei: Practitioner,
    david: Practitioner,
    treatment: Service,
) -> None:
    visit(patient, david, treatment, NOW + timedelta(days=2), status="confirmed")
    visit(patient, david, treatment, NOW - timedelta(days=20), status="attended")
    assert policy.may_read_record(david.user, patient)
    assert not policy.may_read_record(practitioner, patient)


def test_desk_and_owner_read_no_health_data(
    frozen: Any, patient: User, front_desk: User, owner: User, mei: Practitioner, treatment: Service
) -> None:
    visit(
        patient, mei, treatment, NOW - timedelta(days=20), status="attended", booked_by=front_desk
    )
    for user in (front_desk, owner):
        assert not policy.may_read_record(user, patient)
        assert not policy.readable_patients(user).exists()
        assert not policy.may_ask_to_see_anyway(user, patient)


def test_inactive_and_anonymous_read_nothing(
    frozen: Any, patient: User, practitioner: User, mei: Practitioner, treatment: Service
) -> None:
    from django.contrib.auth.models import AnonymousUser

    visit(patient, mei, treatment, NOW + timedelta(days=2), status="confirmed")
    practitioner.is_active = False
    assert not policy.may_read_record(practitioner, patient)
    assert not policy.may_read_record(AnonymousUser(), patient)
    assert not policy.bookings_for(AnonymousUser()).exists()


# --- Alerts and flags follow the record ------------------------------------------------------


def test_alerts_and_flags_follow_the_record(
    frozen: Any,
    patient: User,
    other_patient: User,
    practitioner: User,
    mei: Practitioner,
    treatment: Service,
    front_desk: User,
) -> None:
    visit(patient, mei, treatment, NOW + timedelta(days=2), status="confirmed")
    mine, _ = alert_raise(
        patient=patient, level=AlertLevel.URGENT, kind="k", source_key="1", summary="s"
    )
    alert_raise(
        patient=other_patient, level=AlertLevel.URGENT, kind="k", source_key="2", summary="s"
    )
    flag, _ = flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="sore")
    flag_raise(patient=other_patient, kind=FlagKind.TREAT_GENTLY, reason="sore")
    assert list(policy.alerts_for(practitioner)) == [mine]
    assert list(policy.flags_for(practitioner)) == [flag]
    for user in (front_desk, patient):
        assert not policy.alerts_for(user).exists() and not policy.flags_for(user).exists()
    # Urgent alerts are the whole team's to act on, the record behind them still is not;
    # a routine one follows the record.
    routine, _ = alert_raise(
        patient=other_patient, level=AlertLevel.ROUTINE, kind="k", source_key="3", summary="s"
    )
    for user in (practitioner, front_desk):
        acts_on = set(policy.alerts_to_act_on(user))
        assert {a.patient for a in acts_on if a.level == AlertLevel.URGENT} == {
            patient,
            other_patient,
        }
        assert routine not in acts_on
    assert not policy.alerts_to_act_on(patient).exists()


# --- Bookings, payments, fee requests ---------------------------------------------------------


def test_bookings_patient_own_practitioner_own_desk_all(
    frozen: Any,
    patient: User,
    other_patient: User,
    practitioner: User,
    mei: Practitioner,
    david: Practitioner,
    treatment: Service,
    front_desk: User,
    owner: User,
) -> None:
    with_mei = visit(patient, mei, treatment, NOW + timedelta(days=2), status="confirmed")
    with_david = visit(other_patient, david, treatment, NOW + timedelta(days=3), status="confirmed")
    assert list(policy.bookings_for(patient)) == [with_mei]
    assert list(policy.bookings_for(practitioner)) == [with_mei]
    assert not policy.may_act_on_booking(practitioner, with_david)
    assert policy.may_act_on_booking(david.user, with_david)
    for desk in (front_desk, owner):
        assert set(policy.bookings_for(desk)) == {with_mei, with_david}


def test_payments_follow_the_booking(
    frozen: Any,
    patient: User,
    other_patient: User,
    practitioner: User,
    mei: Practitioner,
    david: Practitioner,
    treatment: Service,
    front_desk: User,
    clinic: Clinic,
) -> None:
    def pay(booking: Booking) -> Payment:
        return Payment.objects.create(
            booking=booking,
            clinic=clinic,
            patient=booking.patient,
            amount_minor=5000,
            currency="GBP",
            status=PaymentStatus.SUCCEEDED,
        )

    mine = pay(visit(patient, mei, treatment, NOW + timedelta(days=2), status="confirmed"))
    his = pay(visit(other_patient, david, treatment, NOW + timedelta(days=3), status="confirmed"))
    assert list(policy.payments_for(patient)) == [mine]
    assert list(policy.payments_for(practitioner)) == [mine]
    assert set(policy.payments_for(front_desk)) == {mine, his}


def test_fee_requests_patient_own_practitioner_in_care_desk_all(
    frozen: Any,
    patient: User,
    other_patient: User,
    practitioner: User,
    mei: Practitioner,
    treatment: Service,
    front_desk: User,
    clinic: Clinic,
) -> None:
    theirs = fee_reduction_request(patient=patient, clinic=clinic, reason="")
    stranger = fee_reduction_request(patient=other_patient, clinic=clinic, reason="")
    assert not policy.fee_requests_for(practitioner).exists()
    visit(patient, mei, treatment, NOW - timedelta(days=20), status="attended")
    assert list(policy.fee_requests_for(practitioner)) == [theirs]
    assert list(policy.fee_requests_for(other_patient)) == [stranger]
    assert set(policy.fee_requests_for(front_desk)) == {theirs, stranger}


# --- "See this record anyway" -------------------------------------------------------------------


def test_see_anyway_lasts_until_the_end_of_the_clinic_day(
    frozen: Any, patient: User, practitioner: User, mei: Practitioner, clinic: Clinic
) -> None:
    grant = grant_see_anyway(viewer=practitioner, patient=patient, reason="Urgent alert, covering")
    assert grant.expires_at == end_of_clinic_day(NOW, clinic)
    assert policy.may_read_record(practitioner, patient)
    frozen.move_to(grant.expires_at - timedelta(seconds=1))
    assert policy.may_read_record(practitioner, patient)
    frozen.move_to(grant.expires_at)
    assert not policy.may_read_record(practitioner, patient)
    # A grant is a read, not care: it gives no fee requests and no bookings.
    frozen.move_to(NOW)
    assert not policy.patients_in_care(practitioner).exists()


def test_see_anyway_needs_a_reason_and_a_practitioner(
    frozen: Any, patient: User, practitioner: User, front_desk: User, other_patient: User
) -> None:
    with pytest.raises(GrantRefused):
        grant_see_anyway(viewer=practitioner, patient=patient, reason="   ")
    with pytest.raises(GrantRefused):
        grant_see_anyway(viewer=front_desk, patient=patient, reason="Patient rang the desk")
    with pytest.raises(GrantRefused):
        grant_see_anyway(viewer=other_patient, patient=patient, reason="I am curious today")
    assert not policy.may_read_record(practitioner, patient)


# --- Efficient: one query whatever the number of rows -------------------------------------------


def test_readable_patients_is_one_query(
    frozen: Any,
    practitioner: User,
    mei: Practitioner,
    treatment: Service,
    django_assert_num_queries: Any,
) -> None:
    patients = UserFactory.create_batch(5)
    for n, person in enumerate(patients):
        visit(person, mei, treatment, NOW + timedelta(days=n + 1), status="confirmed")
    grant_see_anyway(viewer=practitioner, patient=UserFactory.create(), reason="Covering today")
    with django_assert_num_queries(1):
        assert len(list(policy.readable_patients(practitioner))) == 6
    with django_assert_num_queries(1):
        list(policy.alerts_for(practitioner))
