"""The pain diary: dates it refuses (the future, earlier than a year before the first visit)
with friendly errors, and a patient correcting or deleting their own scores while the team
keeps every version (django-simple-history, encrypted like the entry)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.urls import reverse

from booking.models import Booking, Service
from intake import diary_entries, services
from intake.models import DiaryEntry, DiarySource, HealthAccess
from portal.models import User
from tests.booking.conftest import (  # noqa: F401 - fixtures shared with the booking tests
    NOW,
    WED,
    mei,
    policies,
    private,
)
from tests.booking.factories import book, local
from tests.conftest import client_for
from tests.intake.factories import IntakeResponseFactory

pytestmark = pytest.mark.django_db


def _form_time(when: datetime) -> str:
    from django.utils import timezone

    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def first_visit(private: Service, patient: User) -> Booking:  # noqa: F811
    """Alex's first visit: Wednesday 3 March 2027 at 09:00 (booked on Monday 1 March, after
    sending the questionnaire)."""
    IntakeResponseFactory.create(patient=patient)
    return book(patient, private, local(WED, 9), now=NOW)


def test_the_future_and_over_a_year_before_the_first_visit_are_refused_kindly(
    patient: User, first_visit: Booking
) -> None:
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        client = client_for(patient)
        future = client.post(
            reverse("intake:diary"),
            {"pain": "5", "note": "kept", "recorded_at": _form_time(NOW + timedelta(days=2))},
        )
        too_old = client.post(
            reverse("intake:diary"),
            {"pain": "5", "note": "kept", "recorded_at": "2026-02-28T09:00"},
        )
        year_before = client.post(
            reverse("intake:diary"), {"pain": "5", "recorded_at": "2026-03-03T09:00"}
        )
    assert b"That time is in the future" in future.content and b"kept" in future.content
    assert b"There is a problem" in future.content  # the error summary, linked to the field
    assert b"Please pick a date from 1 March 2026" in too_old.content
    assert year_before.status_code == 302
    assert [e.recorded_at.date().isoformat() for e in DiaryEntry.objects.all()] == ["2026-03-03"]


def test_the_service_refuses_a_bad_date_whatever_the_caller(patient: User) -> None:
    with pytest.raises(services.IntakeError, match="in the future"):
        diary_entries.diary_add(
            patient=patient, pain=3, recorded_at=datetime.now().astimezone() + timedelta(days=1)
        )
    with pytest.raises(services.IntakeError, match="a year before your first visit"):
        diary_entries.diary_add(
            patient=patient, pain=3, recorded_at=datetime.now().astimezone() - timedelta(days=800)
        )


def test_a_patient_changes_and_deletes_their_own_scores_and_the_team_keeps_each_version(
    patient: User, practitioner: User, first_visit: Booking
) -> None:
    with time_machine.travel(first_visit.starts_at + timedelta(days=1), tick=False):
        client = client_for(patient)
        entry = diary_entries.diary_add(patient=patient, pain=8, note="Typed the wrong number")
        page = client.get(reverse("intake:diary")).content.decode()
        assert reverse("intake:diary_edit", args=[entry.pk]) in page
        changed = client.post(
            reverse("intake:diary_edit", args=[entry.pk]),
            {
                "pain": "3",
                "note": "Much easier today",
                "recorded_at": _form_time(entry.recorded_at),
            },
        )
        assert changed.status_code == 302
        entry.refresh_from_db()
        assert (entry.pain, entry.note) == (3, "Much easier today")
        other = diary_entries.diary_add(patient=patient, pain=6, note="Wrong day entirely")
        assert (
            b"Delete this score?"
            in client.get(reverse("intake:diary_delete", args=[other.pk])).content
        )
        client.post(reverse("intake:diary_delete", args=[other.pk]))
        assert not DiaryEntry.objects.filter(pk=other.pk).exists()

    # The team's diary page (Mei treats Alex) shows every version, oldest first.
    with time_machine.travel(first_visit.starts_at - timedelta(hours=1), tick=False):
        team_page = client_for(practitioner).get(
            reverse("intake:practice_diary", args=[patient.pk])
        )
    html = team_page.content.decode().split("Scores the patient changed or deleted", 1)[-1]
    assert html.index("Typed the wrong number") < html.index("Much easier today")
    assert "Wrong day entirely" in html and "Deleted" in html
    assert HealthAccess.objects.filter(viewer=practitioner, what="pain diary").exists()

    # The kept versions are encrypted at rest like the entry.
    with connection.cursor() as cursor:
        cursor.execute("SELECT note FROM intake_historicaldiaryentry")
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 4  # added, changed, added, deleted
    assert not any("wrong" in note.lower() or "easier" in note.lower() for note in stored)


def test_nobody_else_changes_a_score_and_check_in_answers_stay_as_answered(
    patient: User, other_patient: User, first_visit: Booking
) -> None:
    mine = diary_entries.diary_add(patient=patient, pain=4, note="Mine")
    from_checkin = diary_entries.diary_add(
        patient=patient, pain=7, source=DiarySource.CHECKIN, booking=first_visit
    )
    someone_else = client_for(other_patient)
    assert someone_else.get(reverse("intake:diary_edit", args=[mine.pk])).status_code == 404
    assert someone_else.post(reverse("intake:diary_delete", args=[mine.pk])).status_code == 404
    own = client_for(patient)
    assert own.get(reverse("intake:diary_edit", args=[from_checkin.pk])).status_code == 404
    assert not diary_entries.diary_delete(patient=patient, entry_id=from_checkin.pk)
    assert DiaryEntry.objects.count() == 2
