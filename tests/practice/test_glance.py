"""practice.glance: the at-a-glance badges, from bookings, flags, intake and payments."""

from __future__ import annotations

from datetime import timedelta

import pytest

from booking.attendance import booking_mark_attendance
from booking.models import Booking, BookingStatus, PaymentMode, Service
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage, OutboxStatus
from intake.models import FlagKind
from intake.services import flag_raise
from payments.models import Payment, PaymentStatus
from portal.models import User
from practice.glance import glance_for
from tests.booking.conftest import NOW, WED
from tests.booking.factories import book, local
from tests.factories import UserFactory
from tests.intake.factories import IntakeResponseFactory

pytestmark = pytest.mark.django_db


def keys(glance: object) -> set[str]:
    return {b.key for b in glance.badges}  # type: ignore[attr-defined]


def test_new_means_the_first_treatment(private: Service, patient: User, visit: Booking) -> None:
    later = book(patient, private, local(WED + timedelta(days=7), 9), now=NOW)
    facts = glance_for([visit, later])
    assert facts[visit.pk].is_new and "new" in keys(facts[visit.pk])
    assert not facts[later.pk].is_new and "returning" in keys(facts[later.pk])
    # Missing the first visit makes the next one their first treatment again.
    booking_mark_attendance(
        booking=visit,
        outcome=BookingStatus.NO_SHOW,
        by=patient,
        now=visit.starts_at + timedelta(hours=1),
    )
    assert glance_for([later])[later.pk].is_new


def test_flags_and_intake(private: Service, front_desk: User) -> None:
    # A caller the desk booked by phone before they sent the questionnaire.
    patient = UserFactory.create()
    visit = book(patient, private, local(WED, 9), now=NOW, booked_by=front_desk)
    assert glance_for([visit])[visit.pk].intake_missing
    flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="Saddle numbness")
    flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="Sore")
    IntakeResponseFactory.create(patient=patient)
    facts = glance_for([visit])[visit.pk]
    assert facts.red_flag and facts.treat_gently and not facts.intake_missing
    assert {"red_flag", "treat_gently"} <= keys(facts)


def test_money(patient: User, visit: Booking) -> None:
    assert glance_for([visit])[visit.pk].money.text == "£50 at clinic"  # type: ignore[union-attr]
    Booking.objects.filter(pk=visit.pk).update(payment_mode=PaymentMode.ONLINE)
    visit.refresh_from_db()
    assert glance_for([visit])[visit.pk].money.key == "to_pay"  # type: ignore[union-attr]
    Payment.objects.create(
        booking=visit,
        clinic=visit.clinic,
        patient=patient,
        amount_minor=5000,
        currency="GBP",
        status=PaymentStatus.SUCCEEDED,
    )
    assert glance_for([visit])[visit.pk].money.text == "Paid £50"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kind", "stage", "other_stage"),
    [
        (MessageKind.CHECKIN, CheckInStage.CHECKIN, CheckInStage.RECHECK),
        (MessageKind.CHECKIN_CHASER, CheckInStage.CHECKIN, CheckInStage.RECHECK),
        (MessageKind.RECHECK, CheckInStage.RECHECK, CheckInStage.CHECKIN),
    ],
)
def test_a_check_in_is_unanswered_until_its_own_stage_is_answered(
    patient: User, visit: Booking, kind: str, stage: str, other_stage: str
) -> None:
    sent = NOW - timedelta(hours=1)
    OutboxMessage.objects.create(
        kind=kind,
        recipient=patient,
        booking=visit,
        status=OutboxStatus.SENT,
        due_at=sent,
        sent_at=sent,
    )

    def answer(answered: str) -> None:
        CheckIn.objects.create(
            booking=visit, patient=patient, stage=answered, treatment_number=1, answers={}
        )

    assert glance_for([visit], now=NOW)[visit.pk].checkin_unanswered
    answer(other_stage)  # the other question answered: this one still waits
    assert glance_for([visit], now=NOW)[visit.pk].checkin_unanswered
    answer(stage)
    assert not glance_for([visit], now=NOW)[visit.pk].checkin_unanswered
