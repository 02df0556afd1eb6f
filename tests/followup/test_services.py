"""followup.services.checkin_submit: answers stored encrypted once, triage carried out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from booking.models import Booking, BookingStatus, Service
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage
from followup.services import AlreadyAnswered, CheckInError, checkin_submit
from intake.models import Alert, DiaryEntry, DiarySource, FlagKind, PatientFlag
from portal.models import User
from tests.followup.conftest import CHECKIN_DUE, past_visit, set_status

pytestmark = pytest.mark.django_db


def answers(**kwargs: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "comparison": "same",
        "pain_now": 4,
        "needle_site_soreness": False,
        "bruising": False,
        "reactions": [],
        "red_flags": [],
        "note": "",
        "wants_call": False,
    }
    base.update(kwargs)
    return base


def submit(booking: Booking, stage: CheckInStage = CheckInStage.CHECKIN, **kw: Any) -> Any:
    return checkin_submit(booking=booking, stage=stage, answers=answers(**kw), now=CHECKIN_DUE)


def test_answers_are_stored_encrypted(visit: Booking) -> None:
    submit(visit, note="Sore on the left, slept badly", pain_now=5)
    stored = CheckIn.objects.get()
    assert stored.answers["note"] == "Sore on the left, slept badly"
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM followup_checkin")
        (raw,) = cursor.fetchone()
    assert "slept" not in raw and "pain_now" not in raw


def test_answering_twice_writes_once(visit: Booking) -> None:
    submit(visit)
    with pytest.raises(AlreadyAnswered):
        submit(visit, comparison="worse")
    assert CheckIn.objects.count() == 1
    assert CheckIn.objects.get().answers["comparison"] == "same"


def test_a_cancelled_visit_takes_no_checkin(visit: Booking) -> None:
    set_status(visit, BookingStatus.CANCELLED)
    with pytest.raises(CheckInError, match="cancelled"):
        submit(visit)
    assert CheckIn.objects.count() == 0


def test_a_red_flag_raises_an_urgent_alert_a_flag_and_the_advice_email(
    visit: Booking, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        result = submit(visit, red_flags=["fever"])
    assert result.outcome.urgent_advice
    alert = Alert.objects.get()
    assert (alert.level, alert.kind, alert.practitioner_id) == (
        "urgent",
        "checkin_red_flag",
        visit.practitioner_id,
    )
    assert PatientFlag.objects.get().kind == FlagKind.URGENT
    advice = OutboxMessage.objects.get(kind=MessageKind.URGENT_ADVICE)
    assert advice.booking_id == visit.pk and advice.due_at == CHECKIN_DUE
    # The alert's hand-off and the dispatcher (the advice), so urgent mail goes now, not at the
    # next tick.
    assert len(callbacks) == 2


def test_worse_after_the_first_treatment_books_the_day_5_recheck(visit: Booking) -> None:
    result = submit(visit, comparison="worse", pain_now=6)
    assert result.outcome.reassure
    recheck = OutboxMessage.objects.get(kind=MessageKind.RECHECK)
    assert recheck.due_at == visit.ends_at + timedelta(days=5)
    assert Alert.objects.get().kind == "checkin_worse_early"
    assert PatientFlag.objects.count() == 0


def test_still_worse_at_the_recheck_alerts_and_advises_gp(visit: Booking) -> None:
    submit(visit, comparison="worse")
    result = checkin_submit(
        booking=visit,
        stage=CheckInStage.RECHECK,
        answers=answers(comparison="much_worse", pain_now=7),
        now=CHECKIN_DUE + timedelta(days=3),
    )
    assert result.outcome.advise_gp
    assert Alert.objects.filter(kind="recheck_still_worse", level="urgent").exists()


def test_worse_twice_in_a_row_flags_treat_gently(private: Service, patient: User) -> None:
    earlier = past_visit(patient, private, weeks_ago=1)
    visit = past_visit(patient, private)
    checkin_submit(
        booking=earlier,
        stage=CheckInStage.CHECKIN,
        answers=answers(comparison="worse"),
        now=CHECKIN_DUE - timedelta(weeks=1),
    )
    assert not PatientFlag.objects.exists()
    result = submit(visit, comparison="worse")
    assert "treat_gently" in result.outcome.flags
    assert PatientFlag.objects.get().kind == FlagKind.TREAT_GENTLY
    assert CheckIn.objects.get(booking=visit).treatment_number == 2


def test_the_same_pain_for_days_is_read_from_earlier_answers(
    private: Service, patient: User
) -> None:
    earlier = past_visit(patient, private, weeks_ago=1)
    visit = past_visit(patient, private)
    for day, stage in ((2, CheckInStage.CHECKIN), (1, CheckInStage.RECHECK)):
        checkin_submit(
            booking=earlier,
            stage=stage,
            answers=answers(comparison="same", pain_now=8),
            now=CHECKIN_DUE - timedelta(days=day),
        )
    with_history = submit(visit, comparison="same", pain_now=8)
    assert with_history.outcome.advise_gp
    assert Alert.objects.filter(kind="pain_persistent").exists()


def test_a_call_request_is_a_same_day_task(private: Service, patient: User) -> None:
    for weeks in (3, 2, 1):
        past_visit(patient, private, weeks_ago=weeks)
    fourth = past_visit(patient, private)
    submit(fourth, comparison="worse", wants_call=True)
    assert Alert.objects.get(kind="call_requested").level == "today"


def test_answers_go_into_the_pain_diary_once(visit: Booking) -> None:
    submit(visit, pain_now=6, reactions=["headache"], bruising=True, note="Tired")
    (entry,) = DiaryEntry.objects.all()
    assert (entry.pain, entry.source, entry.booking_id) == (6, DiarySource.CHECKIN, visit.pk)
    assert entry.tags == ["headache", "bruising"] and entry.note == "Tired"
    assert entry.recorded_at == CHECKIN_DUE
    with pytest.raises(AlreadyAnswered):
        submit(visit, pain_now=2)
    assert DiaryEntry.objects.count() == 1


def test_diary_pain_counts_towards_pain_for_days(visit: Booking, patient: User) -> None:
    import time_machine

    from intake.diary_entries import diary_add

    # The diary refuses times in the future: write the scores on the check-in's day.
    with time_machine.travel(CHECKIN_DUE, tick=False):
        for days in (2, 1):
            diary_add(patient=patient, pain=8, recorded_at=CHECKIN_DUE - timedelta(days=days))
    assert submit(visit, comparison="same", pain_now=8).outcome.advise_gp
