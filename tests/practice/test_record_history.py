"""Treatment records are corrected, never overwritten: each save keeps a version (who, when,
what changed), the record says "edited by", and the versions page lists them all."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine

from booking.models import Booking
from intake.models import HealthAccess
from portal.audit import AuditAction
from portal.models import AuditEvent, User
from practice import services
from practice.models import TreatmentRecord
from practice.record_history import versions_of
from practice.services import TreatmentDetails
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

FIRST = TreatmentDetails(
    areas_and_points="Lower back: BL23, BL25",
    needle_count=9,
    depth="shallow",
    stimulation="gentle",
    reaction="Relaxed",
)
CORRECTED = TreatmentDetails(**{**FIRST.__dict__, "needle_count": 6, "reaction": "Dozed off"})


def _save(visit: Booking, by: User, details: TreatmentDetails, minutes: int) -> TreatmentRecord:
    at = visit.starts_at + timedelta(minutes=minutes)
    with time_machine.travel(at, tick=False):
        return services.treatment_record_save(booking=visit, by=by, details=details, now=at)


def test_each_correction_keeps_the_version_before_it(
    visit: Booking, practitioner: User, david_user: User
) -> None:
    record = _save(visit, practitioner, FIRST, 50)
    _save(visit, david_user, CORRECTED, 80)

    versions = versions_of([record])[record.pk]
    assert [(v.number, v.by, v.changed) for v in versions] == [
        (1, practitioner, ()),
        (2, david_user, ("Needle count", "Reaction")),
    ]
    assert (versions[0].record.needles, versions[0].record.reaction) == (9, "Relaxed")
    assert (versions[1].record.needles, versions[1].record.reaction) == (6, "Dozed off")
    assert versions[1].at - versions[0].at == timedelta(minutes=30)
    record.refresh_from_db()
    assert record.needles == 6
    assert record.written_by == practitioner  # the first author stays the author
    edit = AuditEvent.objects.get(action=AuditAction.TREATMENT_RECORD_EDITED)
    assert (edit.actor, edit.subject) == (david_user, visit.patient)


def test_saving_the_same_words_again_makes_no_version(visit: Booking, practitioner: User) -> None:
    record = _save(visit, practitioner, FIRST, 50)
    _save(visit, practitioner, FIRST, 60)
    assert len(versions_of([record])[record.pk]) == 1
    assert not AuditEvent.objects.filter(action=AuditAction.TREATMENT_RECORD_EDITED).exists()


def test_the_visit_says_who_edited_and_the_versions_page_lists_them(
    visit: Booking, practitioner: User
) -> None:
    _save(visit, practitioner, FIRST, 50)
    with time_machine.travel(visit.starts_at + timedelta(minutes=55), tick=False):
        client = client_for(practitioner)
        page = client.get(f"/practice/bookings/{visit.pk}/").content.decode()
    assert "Written by" in page and "data-edited" not in page  # written once, not edited

    _save(visit, practitioner, CORRECTED, 70)
    with time_machine.travel(visit.starts_at + timedelta(minutes=75), tick=False):
        client = client_for(practitioner)
        page = client.get(f"/practice/bookings/{visit.pk}/").content.decode()
        assert "data-edited" in page and "2 versions" in page
        versions = client.get(f"/practice/bookings/{visit.pk}/record/versions/")
    assert versions.status_code == 200
    html = versions.content.decode()
    assert re.findall(r'data-version="(\d+)"', html) == ["2", "1"]  # newest first
    assert "Changed: Needle count, Reaction" in html
    assert "9 needles, shallow depth, gentle stimulation" in html  # the first version reads
    assert HealthAccess.objects.filter(
        viewer=practitioner, what="treatment record versions"
    ).exists()


def test_the_versions_follow_the_record_access_rule(
    visit: Booking, practitioner: User, david_user: User, front_desk: User, patient: User
) -> None:
    _save(visit, practitioner, FIRST, 50)
    url = f"/practice/bookings/{visit.pk}/record/versions/"
    # David is not treating Alex and the visit is not his: as for the visit page itself.
    outside = client_for(david_user).get(url)
    assert outside.status_code == 404
    assert "Dozed" not in outside.content.decode() and "BL23" not in outside.content.decode()
    assert "BL23" not in client_for(front_desk).get(url).content.decode()
    assert client_for(patient).get(url).status_code == 403
    assert not HealthAccess.objects.filter(what="treatment record versions").exists()


def test_a_visit_without_a_record_has_no_versions_page(visit: Booking, practitioner: User) -> None:
    with time_machine.travel(visit.starts_at + timedelta(minutes=50), tick=False):
        response = client_for(practitioner).get(f"/practice/bookings/{visit.pk}/record/versions/")
    assert response.status_code == 404
