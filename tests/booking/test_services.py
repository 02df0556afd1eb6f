"""booking.services: making, cancelling and moving bookings, and every rule they enforce."""

from __future__ import annotations

import uuid
from datetime import time, timedelta

import pytest
from django.db import IntegrityError, transaction

from booking.eligibility import BookingStanding, booking_standing
from booking.errors import ChangeNotAllowed, NotEligible, SlotUnavailable
from booking.models import Booking, BookingStatus, MultibedShift, Practitioner, Service
from booking.services import booking_cancel, booking_reschedule, can_change_online
from intake.models import FlagKind, PatientFlag
from portal.models import Clinic, User
from tests.booking.conftest import NOW, TUE, WED
from tests.booking.factories import (
    PractitionerFactory,
    book,
    closed_day,
    local,
    weekly_hours,
)
from tests.factories import PatientFactory
from tests.intake.factories import IntakeResponseFactory

pytestmark = pytest.mark.django_db


# --- Making a booking ---------------------------------------------------------------


def test_private_booking_copies_the_service_and_blocks_buffers(
    private: Service, mei: Practitioner, patient: User
) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert (booking.practitioner, booking.room, booking.kind) == (mei, None, "private")
    assert booking.starts_at == local(WED, 9)
    assert booking.ends_at == local(WED, 10)
    assert (booking.blocked_from, booking.blocked_until) == (local(WED, 9), local(WED, 10, 15))
    assert (booking.price_minor, booking.currency) == (5000, "GBP")
    assert booking.booked_by == patient
    assert booking.clinic == private.clinic


def test_staff_booking_records_who_booked(
    private: Service, patient: User, front_desk: User
) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW, booked_by=front_desk)
    assert (booking.patient, booking.booked_by) == (patient, front_desk)


def test_any_practitioner_takes_the_next_free_one_then_the_time_is_gone(
    private: Service, mei: Practitioner, patient: User, other_patient: User
) -> None:
    ben = PractitionerFactory.create(display_name="Ben")
    weekly_hours(ben, (time(9), time(12)))
    private.practitioners.add(ben)
    first = book(patient, private, local(WED, 9), now=NOW)
    second = book(other_patient, private, local(WED, 9), now=NOW)
    assert {first.practitioner, second.practitioner} == {mei, ben}
    with pytest.raises(SlotUnavailable):
        book(PatientFactory.create(), private, local(WED, 9), now=NOW)
    assert Booking.objects.count() == 2


def test_a_named_practitioner_is_kept(
    private: Service, mei: Practitioner, patient: User, other_patient: User
) -> None:
    ben = PractitionerFactory.create(display_name="Ben")
    weekly_hours(ben, (time(9), time(12)))
    private.practitioners.add(ben)
    assert book(patient, private, local(WED, 9), now=NOW, practitioner=ben).practitioner == ben
    with pytest.raises(SlotUnavailable):
        book(other_patient, private, local(WED, 9), now=NOW, practitioner=ben)


def test_taken_time_offers_fresh_alternatives(
    private: Service, patient: User, other_patient: User
) -> None:
    book(patient, private, local(WED, 9), now=NOW)
    with pytest.raises(SlotUnavailable, match="just been taken") as caught:
        book(other_patient, private, local(WED, 9), now=NOW)
    alternatives = [s.starts_at for s in caught.value.alternatives]
    assert alternatives and local(WED, 9) not in alternatives
    assert alternatives[0] == local(WED, 10, 15)  # the nearest time after the buffer
    assert Booking.objects.filter(patient=other_patient).count() == 0


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        (local(TUE - timedelta(days=7), 9), "already passed"),  # last week
        (local(WED - timedelta(days=2), 9), "2 hours"),  # today 09:00, one hour away
        (local(WED + timedelta(days=63), 9), "56 days"),  # beyond the horizon
        (local(WED, 9, 7), "no longer open"),  # off the 15-minute grid
        (local(WED, 12), "no longer open"),  # would run past the end of the morning
        (local(WED + timedelta(days=4), 10), "no longer open"),  # a Sunday: no hours
    ],
)
def test_times_that_cannot_be_booked_say_why_and_write_nothing(
    private: Service, patient: User, starts_at, message: str
) -> None:
    with pytest.raises(SlotUnavailable, match=message) as caught:
        book(patient, private, starts_at, now=NOW)
    assert Booking.objects.count() == 0
    if message != "56 days":
        assert caught.value.alternatives
    assert all(
        NOW + timedelta(hours=2) <= s.starts_at <= NOW + timedelta(days=56)
        for s in caught.value.alternatives
    )


def test_closed_day_cannot_be_booked(private: Service, mei: Practitioner, patient: User) -> None:
    closed_day(mei, WED)
    with pytest.raises(SlotUnavailable):
        book(patient, private, local(WED, 9), now=NOW)
    assert Booking.objects.count() == 0


def test_a_practitioner_who_does_not_offer_the_service(private: Service, patient: User) -> None:
    stranger = PractitionerFactory.create(display_name="Sol")
    weekly_hours(stranger, (time(9), time(12)))
    with pytest.raises(NotEligible, match="does not offer"):
        book(patient, private, local(WED, 9), now=NOW, practitioner=stranger)
    assert Booking.objects.count() == 0


def test_a_booking_asks_the_database_sixteen_times_at_most(
    private: Service, mei: Practitioner, patient: User, django_assert_max_num_queries
) -> None:
    # Who offers the service is read once, as it is locked; the confirmation goes in without a
    # savepoint. Inside the test's transaction BEGIN and COMMIT are a savepoint and its release.
    book(patient, private, local(WED, 9), now=NOW)
    with django_assert_max_num_queries(16):
        booking = book(patient, private, local(WED, 11), now=NOW, practitioner=mei)
    assert booking.status == BookingStatus.CONFIRMED


# --- Double submits --------------------------------------------------------------------


def test_same_request_key_returns_the_first_booking(private: Service, patient: User) -> None:
    key = str(uuid.uuid4())
    first = book(patient, private, local(WED, 9), now=NOW, request_key=key)
    # The resubmit even names another time: it is still the same form, the same booking.
    again = book(patient, private, local(WED, 11), now=NOW, request_key=key)
    assert again.pk == first.pk
    assert Booking.objects.count() == 1


def test_a_resubmit_after_a_gate_closed_still_finds_the_first_booking(
    private: Service, patient: User
) -> None:
    key = str(uuid.uuid4())
    first = book(patient, private, local(WED, 9), now=NOW, request_key=key)
    # Between the two submits the patient's answers pause treatment booking.
    PatientFlag.objects.create(
        clinic=private.clinic, patient=patient, kind=FlagKind.EMERGENCY, reason="x"
    )
    assert book(patient, private, local(WED, 9), now=NOW, request_key=key).pk == first.pk
    with pytest.raises(NotEligible, match="needs to talk with you"):  # a new form: the gate
        book(patient, private, local(WED, 11), now=NOW)
    assert Booking.objects.count() == 1


def test_another_patients_request_key_is_refused_not_a_crash(
    private: Service, patient: User, other_patient: User
) -> None:
    key = str(uuid.uuid4())
    theirs = book(other_patient, private, local(WED, 9), now=NOW, request_key=key)
    with pytest.raises(NotEligible):
        book(patient, private, local(WED, 11), now=NOW, request_key=key)
    assert list(Booking.objects.all()) == [theirs]


# --- The free assessment and new patients ------------------------------------------------


def test_one_free_assessment_per_patient(assessment: Service, patient: User) -> None:
    book(patient, assessment, local(WED, 9), now=NOW)
    with pytest.raises(NotEligible, match="already booked your free assessment"):
        book(patient, assessment, local(WED, 10), now=NOW)
    assert Booking.objects.count() == 1


def test_the_database_refusing_a_second_assessment_is_the_same_friendly_refusal(
    assessment: Service, patient: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The constraint behind the rule (a race the check above lost): the insert has no
    savepoint of its own, so booking_create's block must roll back and leave an outer
    transaction usable."""
    book(patient, assessment, local(WED, 9), now=NOW)
    monkeypatch.setattr("booking.services.check_eligibility", lambda **kwargs: None)
    with transaction.atomic():
        with pytest.raises(NotEligible, match="already booked your free assessment"):
            book(patient, assessment, local(WED, 10), now=NOW)
        assert Booking.objects.count() == 1  # the outer transaction still works


def test_a_cancelled_assessment_can_be_booked_again(
    assessment: Service, patient: User, front_desk: User
) -> None:
    first = book(patient, assessment, local(WED, 9), now=NOW)
    booking_cancel(booking=first, by=front_desk, now=NOW)
    assert book(patient, assessment, local(WED, 10), now=NOW).pk != first.pk


def test_the_database_also_refuses_a_second_assessment(assessment: Service, patient: User) -> None:
    first = book(patient, assessment, local(WED, 9), now=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            clinic=first.clinic,
            patient=patient,
            service=assessment,
            kind="assessment",
            practitioner=first.practitioner,
            starts_at=local(WED, 10),
            ends_at=local(WED, 10, 15),
            blocked_from=local(WED, 10),
            blocked_until=local(WED, 10, 15),
        )


def test_assessment_is_only_for_people_not_yet_treated(
    assessment: Service, private: Service, patient: User
) -> None:
    book(patient, private, local(WED - timedelta(days=2), 13), now=NOW)  # Monday afternoon
    later = local(WED, 8)
    assert not booking_standing(patient, patient.clinic or Clinic.objects.current(), later).is_new
    with pytest.raises(NotEligible, match="not been treated"):
        book(patient, assessment, local(WED, 11), now=later)


def test_new_patient_limit_of_upcoming_bookings(
    private: Service, patient: User, policies: Clinic, front_desk: User
) -> None:
    policies.new_patient_booking_limit = 1
    policies.save()
    private = Service.objects.get(pk=private.pk)  # the clinic as saved
    first = book(patient, private, local(WED, 9), now=NOW)
    with pytest.raises(NotEligible, match="new patient"):
        book(patient, private, local(WED, 13), now=NOW)
    # The staff on the phone follow the same rule.
    with pytest.raises(NotEligible, match="new patient"):
        book(patient, private, local(WED, 13), now=NOW, booked_by=front_desk)
    assert Booking.objects.count() == 1
    # Moving the one visit is allowed: it does not count against itself.
    moved = booking_reschedule(booking=first, starts_at=local(WED, 13), by=patient, now=NOW)
    assert moved.status == BookingStatus.CONFIRMED
    # Once treated (the visit is in the past), the limit no longer applies.
    after = local(WED, 15)
    assert book(patient, private, local(WED + timedelta(days=1), 9), now=after).pk
    assert book(patient, private, local(WED + timedelta(days=1), 13), now=after).pk


def test_the_new_patient_standing_the_pages_show_is_the_rule_booking_enforces(
    private: Service, patient: User, policies: Clinic, django_assert_num_queries
) -> None:
    policies.new_patient_booking_limit = 1
    policies.save()
    private = Service.objects.get(pk=private.pk)
    policies.online_booking_limit = 2
    policies.save()
    private = Service.objects.get(pk=private.pk)
    assert booking_standing(patient, policies, NOW) == BookingStanding(True, 1, 0)
    first = book(patient, private, local(WED, 9), now=NOW)
    standing = booking_standing(patient, policies, NOW)
    assert standing.at_limit and standing.held == 1
    # The visit being moved does not count against itself.
    assert not booking_standing(patient, policies, NOW, ignoring=first).at_limit
    # Treated (the visit is over): not new, the online limit, and one query to say so.
    with django_assert_num_queries(1):
        after = booking_standing(patient, policies, local(WED, 15))
    assert after == BookingStanding(is_new=False, limit=2, held=0) and not after.at_limit
    # The team booking for them: no online limit.
    assert booking_standing(patient, policies, local(WED, 15), by_patient=False).limit == 0


def test_returning_patient_online_limit_of_upcoming_bookings(
    private: Service, patient: User, policies: Clinic, front_desk: User
) -> None:
    """A treated patient booking online holds at most the clinic's online limit of upcoming
    visits (a hoard would keep others out); the team may book a course beyond it."""
    policies.online_booking_limit = 2
    policies.save()
    private = Service.objects.get(pk=private.pk)
    book(patient, private, local(WED - timedelta(days=2), 13), now=NOW)  # treated on Monday
    after = local(WED, 8)
    thursday, friday = WED + timedelta(days=1), WED + timedelta(days=2)
    first = book(patient, private, local(thursday, 9), now=after)
    book(patient, private, local(thursday, 13), now=after)
    with pytest.raises(NotEligible, match="2 upcoming visits booked") as refused:
        book(patient, private, local(friday, 9), now=after)
    assert "My bookings" in refused.value.message and "call the clinic" in refused.value.message
    # Moving one of them is not a new visit.
    moved = booking_reschedule(booking=first, starts_at=local(friday, 9), by=patient, now=after)
    assert moved.status == BookingStatus.CONFIRMED
    # The desk booking a course for them is not held to the online limit.
    assert book(patient, private, local(friday, 13), now=after, booked_by=front_desk).pk
    upcoming = Booking.objects.filter(patient=patient, starts_at__gte=after)
    assert upcoming.filter(status=BookingStatus.CONFIRMED).count() == 3
    # 0 means no limit.
    policies.online_booking_limit = 0
    policies.save()
    private = Service.objects.get(pk=private.pk)
    assert book(patient, private, local(friday, 15), now=after).pk


def test_new_patient_limit_applies_to_a_patient_record_without_a_clinic(
    private: Service, policies: Clinic
) -> None:
    policies.new_patient_booking_limit = 1
    policies.save()
    private = Service.objects.get(pk=private.pk)
    walk_in = User.objects.create_user("walk-in@example.com")  # e.g. added by staff, no clinic
    IntakeResponseFactory.create(patient=walk_in)
    book(walk_in, private, local(WED, 9), now=NOW)
    with pytest.raises(NotEligible, match="new patient"):
        book(walk_in, private, local(WED, 13), now=NOW)


# --- Multibed ----------------------------------------------------------------------------


def test_multibed_booking_takes_a_recliner_not_the_practitioners_time(
    multibed: Service, shift: MultibedShift, room: object, patient: User
) -> None:
    booking = book(patient, multibed, local(TUE, 17, 30), now=NOW)
    assert booking.room == room
    assert (booking.blocked_from, booking.blocked_until) == (booking.starts_at, booking.ends_at)
    assert booking.ends_at - booking.starts_at == timedelta(minutes=50)


def test_multibed_last_recliner_and_per_start_limit(
    multibed: Service, shift: MultibedShift, patient: User, other_patient: User
) -> None:
    shift.max_new_per_start = 1
    shift.save()
    book(patient, multibed, local(TUE, 17, 30), now=NOW)
    with pytest.raises(SlotUnavailable) as caught:
        book(other_patient, multibed, local(TUE, 17, 30), now=NOW)  # one new patient per start
    assert local(TUE, 17, 30) not in {s.starts_at for s in caught.value.alternatives}
    book(other_patient, multibed, local(TUE, 17, 45), now=NOW)
    # Two recliners, both in use until 18:20: the third person cannot start before 18:30.
    with pytest.raises(SlotUnavailable) as caught:
        book(PatientFactory.create(), multibed, local(TUE, 18), now=NOW)
    assert caught.value.alternatives[0].starts_at == local(TUE, 18, 30)
    assert Booking.objects.count() == 2


# --- Cancelling --------------------------------------------------------------------------


def test_patient_cancels_before_the_cutoff(private: Service, patient: User) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    assert can_change_online(booking, NOW)
    cancelled = booking_cancel(booking=booking, by=patient, now=NOW)
    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.cancelled_at == NOW
    with pytest.raises(ChangeNotAllowed, match="already cancelled"):
        booking_cancel(booking=booking, by=patient, now=NOW)


def test_patient_cannot_cancel_after_the_cutoff_but_staff_can(
    private: Service, patient: User, front_desk: User
) -> None:
    booking = book(patient, private, local(WED, 9), now=NOW)
    late = local(WED, 9) - timedelta(hours=23)
    assert not can_change_online(booking, late)
    with pytest.raises(ChangeNotAllowed, match="24 hours") as caught:
        booking_cancel(booking=booking, by=patient, now=late)
    assert "0117 496 0000" in caught.value.message
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CONFIRMED
    assert booking_cancel(booking=booking, by=front_desk, now=late).status == "cancelled"


# --- Rescheduling ------------------------------------------------------------------------


def test_reschedule_moves_the_visit(private: Service, patient: User) -> None:
    old = book(patient, private, local(WED, 9), now=NOW)
    # 09:30 overlaps the visit being moved: that is fine, it is released in the same step.
    new = booking_reschedule(booking=old, starts_at=local(WED, 9, 30), by=patient, now=NOW)
    old.refresh_from_db()
    assert old.status == BookingStatus.RESCHEDULED
    assert (new.status, new.starts_at, new.rescheduled_from) == (
        "confirmed",
        local(WED, 9, 30),
        old,
    )
    assert Booking.objects.filter(status="confirmed").count() == 1


def test_reschedule_to_a_taken_time_changes_nothing(
    private: Service, patient: User, other_patient: User
) -> None:
    old = book(patient, private, local(WED, 9), now=NOW)
    book(other_patient, private, local(WED, 13), now=NOW)
    before = Booking.objects.values().get(pk=old.pk)
    with pytest.raises(SlotUnavailable) as caught:
        booking_reschedule(booking=old, starts_at=local(WED, 13), by=patient, now=NOW)
    assert caught.value.alternatives
    assert Booking.objects.values().get(pk=old.pk) == before
    assert Booking.objects.count() == 2


def test_reschedule_after_the_cutoff_is_for_staff_only(
    private: Service, patient: User, front_desk: User
) -> None:
    old = book(patient, private, local(WED, 9), now=NOW)
    late = local(TUE, 12)
    with pytest.raises(ChangeNotAllowed, match="call the clinic"):
        booking_reschedule(booking=old, starts_at=local(WED, 14), by=patient, now=late)
    new = booking_reschedule(booking=old, starts_at=local(WED, 14), by=front_desk, now=late)
    assert new.booked_by == front_desk


def test_moving_a_visit_onto_its_own_time_changes_nothing(private: Service, patient: User):
    old = book(patient, private, local(WED, 9), now=NOW)
    with pytest.raises(ChangeNotAllowed, match="already at that time"):
        booking_reschedule(booking=old, starts_at=local(WED, 9), by=patient, now=NOW)
    with pytest.raises(ChangeNotAllowed, match="already at that time"):
        booking_reschedule(
            booking=old, starts_at=local(WED, 9), practitioner=old.practitioner, by=patient, now=NOW
        )
    assert list(Booking.objects.values_list("status", flat=True)) == ["confirmed"]


def test_a_moved_visit_cannot_be_moved_or_cancelled_again(private: Service, patient: User):
    old = book(patient, private, local(WED, 9), now=NOW)
    booking_reschedule(booking=old, starts_at=local(WED, 13), by=patient, now=NOW)
    with pytest.raises(ChangeNotAllowed, match="already cancelled or moved"):
        booking_reschedule(booking=old, starts_at=local(WED, 14), by=patient, now=NOW)
    with pytest.raises(ChangeNotAllowed):
        booking_cancel(booking=old, by=patient, now=NOW)


def test_moving_an_assessment_keeps_it_the_only_one(assessment: Service, patient: User) -> None:
    old = book(patient, assessment, local(WED, 9), now=NOW)
    new = booking_reschedule(booking=old, starts_at=local(WED, 10), by=patient, now=NOW)
    assert new.kind == "assessment"
    assert Booking.objects.filter(patient=patient, status="confirmed").get() == new
