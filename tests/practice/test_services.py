"""practice.services: treatment records, weekly hours, dated changes, time off, feeds."""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection

from booking.models import (
    Booking,
    BookingStatus,
    DateException,
    ExceptionKind,
    Practitioner,
    Service,
    TimeOff,
)
from portal.models import User
from practice import schedule, services
from practice.models import CalendarFeed, TreatmentRecord
from practice.services import TreatmentDetails
from tests.booking.conftest import MON, NOW, TUE, WED
from tests.booking.factories import book, local

pytestmark = pytest.mark.django_db

DETAILS = TreatmentDetails(
    areas_and_points="Lower back: BL23, BL25, GB30 right",
    needle_count=9,
    depth="shallow",
    stimulation="gentle",
    style="Japanese",
    reaction="Relaxed; slight ache at GB30",
    plan_next_time="Same points, keep it gentle",
)


# --- Treatment records ---------------------------------------------------------------------


def test_record_marks_the_visit_attended_and_is_encrypted(
    visit: Booking, practitioner: User
) -> None:
    record = services.treatment_record_save(
        booking=visit, by=practitioner, details=DETAILS, now=visit.starts_at + timedelta(hours=1)
    )
    visit.refresh_from_db()
    assert visit.status == BookingStatus.ATTENDED
    fresh = TreatmentRecord.objects.get(pk=record.pk)
    assert fresh.areas_and_points == DETAILS.areas_and_points
    assert fresh.needles == 9
    assert fresh.intensity == "9 needles, shallow depth, gentle stimulation"
    assert (fresh.patient_id, fresh.practitioner_id) == (visit.patient_id, visit.practitioner_id)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT areas_and_points, needle_count, depth FROM practice_treatmentrecord "
            "WHERE id = %s",
            [record.pk],
        )
        stored = cursor.fetchone()
    assert "BL23" not in stored[0] and stored[1] != "9" and stored[2] != "shallow"


def test_saving_again_corrects_the_same_record(visit: Booking, practitioner: User) -> None:
    after = visit.starts_at + timedelta(hours=1)
    services.treatment_record_save(booking=visit, by=practitioner, details=DETAILS, now=after)
    changed = TreatmentDetails(**{**DETAILS.__dict__, "needle_count": 6})
    services.treatment_record_save(booking=visit, by=practitioner, details=changed, now=after)
    assert TreatmentRecord.objects.get(booking=visit).needles == 6
    assert TreatmentRecord.objects.count() == 1


def test_record_refused_before_the_visit_writes_nothing(visit: Booking, practitioner: User) -> None:
    with pytest.raises(services.BookingError, match="not started yet"):
        services.treatment_record_save(booking=visit, by=practitioner, details=DETAILS, now=NOW)
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CONFIRMED
    assert not TreatmentRecord.objects.exists()


def test_last_treatment_before_a_visit(
    private: Service, patient: User, practitioner: User, visit: Booking
) -> None:
    later = book(patient, private, local(WED + timedelta(days=7), 9), now=NOW)
    assert services.last_treatment_before(later) is None
    services.treatment_record_save(
        booking=visit, by=practitioner, details=DETAILS, now=visit.starts_at + timedelta(hours=1)
    )
    last = services.last_treatment_before(later)
    assert last is not None and last.booking_id == visit.pk
    assert services.last_treatment_before(visit) is None  # not its own record


# --- Weekly hours and dated changes ------------------------------------------------------


def test_hours_overlapping_or_backwards_are_refused(mei: Practitioner) -> None:
    before = mei.hours.count()
    with pytest.raises(services.PracticeError, match="overlap your 09:00 to 12:00"):
        schedule.weekly_hours_add(
            practitioner=mei, weekday=0, start_time=time(11), end_time=time(13)
        )
    with pytest.raises(services.PracticeError, match="end after they start"):
        schedule.weekly_hours_add(
            practitioner=mei, weekday=5, start_time=time(13), end_time=time(9)
        )
    assert mei.hours.count() == before
    added = schedule.weekly_hours_add(
        practitioner=mei, weekday=5, start_time=time(9), end_time=time(12)
    )
    assert added.weekday == 5 and mei.hours.count() == before + 1
    # Touching ranges are fine: 12:00-13:00 fills Monday's lunch gap exactly.
    schedule.weekly_hours_add(practitioner=mei, weekday=0, start_time=time(12), end_time=time(13))


def test_hours_removal_is_limited_to_your_own(mei: Practitioner, david: Practitioner) -> None:
    his = david.hours.first()
    assert his is not None
    assert not schedule.weekly_hours_remove(practitioner=mei, hours_id=his.pk)
    assert david.hours.filter(pk=his.pk).exists()


def add_date(
    mei: Practitioner, day: date, kind: ExceptionKind, hours: tuple[int, int] | None = None
) -> DateException:
    """Extra hours or a closed day for Mei, added on Monday of the test week."""
    start, end = (time(hours[0]), time(hours[1])) if hours else (None, None)
    return schedule.exception_add(
        practitioner=mei, day=day, kind=kind, start_time=start, end_time=end, today=MON
    )


def test_extra_hours_and_closed_days(mei: Practitioner, visit: Booking) -> None:
    with pytest.raises(services.PracticeError, match="has passed"):
        add_date(mei, MON - timedelta(days=1), ExceptionKind.CLOSED)
    with pytest.raises(services.PracticeError, match="end after they start"):
        add_date(mei, TUE, ExceptionKind.EXTRA, (19, 18))
    with pytest.raises(services.PracticeError, match="Visits are booked on that day"):
        add_date(mei, WED, ExceptionKind.CLOSED)
    closed = add_date(mei, TUE, ExceptionKind.CLOSED, (9, 10))  # the times are ignored
    assert closed.start_time is None
    extra = add_date(mei, date(2027, 3, 6), ExceptionKind.EXTRA, (10, 13))
    with pytest.raises(services.PracticeError, match="overlap extra hours"):
        add_date(mei, extra.date, ExceptionKind.EXTRA, (12, 14))


# --- Time off ---------------------------------------------------------------------------


def test_time_off_in_the_past_or_backwards_is_refused(mei: Practitioner) -> None:
    with pytest.raises(services.PracticeError, match="cannot start in the past"):
        schedule.time_off_affected(
            practitioner=mei, starts_at=NOW - timedelta(hours=1), ends_at=NOW, now=NOW
        )
    with pytest.raises(services.PracticeError, match="must end after it starts"):
        schedule.time_off_affected(
            practitioner=mei, starts_at=local(WED, 12), ends_at=local(WED, 9), now=NOW
        )


def test_time_off_lists_the_visits_it_falls_on(mei: Practitioner, visit: Booking) -> None:
    affected = schedule.time_off_affected(
        practitioner=mei, starts_at=local(WED, 0), ends_at=local(WED, 23), now=NOW
    )
    assert [b.pk for b in affected] == [visit.pk]
    assert not TimeOff.objects.exists()  # looking writes nothing


@pytest.mark.usefixtures("eager_celery")
def test_time_off_cancels_the_visits_and_emails_each_patient_the_note(
    mei: Practitioner,
    visit: Booking,
    practitioner: User,
    django_capture_on_commit_callbacks: object,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        off, cancelled = schedule.time_off_add(
            practitioner=mei,
            starts_at=local(WED, 0),
            ends_at=local(WED, 23),
            reason="Course",
            by=practitioner,
            expected_booking_ids=[visit.pk],
            cancel_affected=True,
            note="I'm sorry, I am away on a course. Please book another day.",
            now=NOW,
        )
    assert [b.pk for b in cancelled] == [visit.pk]
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CANCELLED
    assert off.reason == "Course"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [visit.patient.email]
    assert "I'm sorry, I am away on a course" in message.body  # not HTML-escaped in text


def test_time_off_can_keep_the_visits(
    mei: Practitioner, visit: Booking, practitioner: User
) -> None:
    schedule.time_off_add(
        practitioner=mei,
        starts_at=local(WED, 0),
        ends_at=local(WED, 23),
        reason="",
        by=practitioner,
        expected_booking_ids=[visit.pk],
        cancel_affected=False,
        now=NOW,
    )
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CONFIRMED
    assert TimeOff.objects.filter(practitioner=mei).count() == 1


def test_a_visit_booked_since_the_preview_stops_the_time_off(
    mei: Practitioner, visit: Booking, practitioner: User, private: Service, other_patient: User
) -> None:
    newcomer = book(other_patient, private, local(WED, 13), now=NOW)
    with pytest.raises(services.AffectedBookingsChanged):
        schedule.time_off_add(
            practitioner=mei,
            starts_at=local(WED, 0),
            ends_at=local(WED, 23),
            reason="",
            by=practitioner,
            expected_booking_ids=[visit.pk],  # what the practitioner saw
            cancel_affected=True,
            now=NOW,
        )
    assert not TimeOff.objects.exists()
    assert (
        Booking.objects.filter(
            pk__in=[visit.pk, newcomer.pk], status=BookingStatus.CONFIRMED
        ).count()
        == 2
    )


def test_overlapping_time_off_is_refused(mei: Practitioner, practitioner: User) -> None:
    kwargs: dict[str, Any] = dict(
        practitioner=mei, reason="", by=practitioner, expected_booking_ids=[]
    )
    schedule.time_off_add(
        starts_at=local(TUE, 9), ends_at=local(TUE, 12), cancel_affected=False, now=NOW, **kwargs
    )
    with pytest.raises(services.PracticeError, match="overlaps time off"):
        schedule.time_off_add(
            starts_at=local(TUE, 11),
            ends_at=local(TUE, 15),
            cancel_affected=False,
            now=NOW,
            **kwargs,
        )


# --- Feeds ------------------------------------------------------------------------------


def test_feed_enable_is_idempotent_and_revoke_forgets_the_token(mei: Practitioner) -> None:
    feed = services.feed_enable(practitioner=mei)
    assert len(feed.token) >= 40
    assert services.feed_enable(practitioner=mei).token == feed.token
    assert services.feed_revoke(practitioner=mei)
    assert not CalendarFeed.objects.filter(token=feed.token).exists()
    assert services.feed_enable(practitioner=mei).token != feed.token
