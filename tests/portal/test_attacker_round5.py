"""Round 5 of the attacker tests: the admin's third-party pages and health reads left out of
the access log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from booking.models import BookingStatus, Practitioner, Service
from intake.models import FlagKind, HealthAccess
from intake.services import flag_raise
from portal.models import User
from practice import services
from practice.services import TreatmentDetails
from tests.booking.conftest import (  # noqa: F401 (fixtures)
    _fast_passwords,
    mei,
    patient,
    policies,
    private,
)
from tests.booking.factories import visit_at
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- The desk, allowed only to look at email addresses, marks them verified ----------------


def test_the_desk_cannot_mark_an_email_address_verified(front_desk: User, owner: User) -> None:
    """allauth's email-address admin offers "Mark selected email addresses as verified" to
    anyone who may open the list, and the desk's group may only look at it. A desk member (or
    a caller talking them into it) could so let an account sign in with an address nobody
    proved they own, which mandatory verification is there to stop. Verifying is a change:
    the owner's, not the desk's."""
    other = UserFactory.create(email="someone@example.com")
    address = EmailAddress.objects.create(
        user=other, email="not-theirs@example.com", verified=False, primary=False
    )
    url = reverse("admin:account_emailaddress_changelist")
    action = {"action": "make_verified", "_selected_action": [str(address.pk)]}
    desk = client_for(front_desk)
    assert desk.get(url).status_code == 200  # the desk still looks at the list
    desk.post(url, action)
    address.refresh_from_db()
    assert not address.verified
    client_for(owner).post(url, action)
    address.refresh_from_db()
    assert address.verified


# --- Health shown on a page that wrote nothing to the access log ---------------------------


def _record(visit: object, by: User, plan: str) -> None:
    details = TreatmentDetails(
        areas_and_points="Lower back: BL23",
        needle_count=9,
        depth="shallow",
        stimulation="gentle",
        reaction="Relaxed",
        plan_next_time=plan,
    )
    services.treatment_record_save(booking=visit, by=by, details=details)  # type: ignore[arg-type]


def test_the_record_form_logs_the_last_treatment_it_shows(
    practitioner: User,
    patient: User,  # noqa: F811
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """The treatment-record form of a visit with no record yet shows "Last time: ... Plan:"
    from the patient's previous treatment record, but logged the read only when this visit
    already had a record: the patient's access log never showed that it was read."""
    now = timezone.now()
    before = visit_at(
        patient=patient, service=private, practitioner=mei, starts_at=now - timedelta(days=7)
    )
    _record(before, practitioner, "MARKER-PLAN add GB34")
    today = visit_at(
        patient=patient,
        service=private,
        practitioner=mei,
        starts_at=now - timedelta(minutes=50),
        status=BookingStatus.CONFIRMED,
    )
    HealthAccess.objects.all().delete()
    page = client_for(practitioner).get(reverse("practice:record", args=[today.pk]))
    assert page.status_code == 200 and b"MARKER-PLAN" in page.content
    read = HealthAccess.objects.get()
    assert (read.viewer, read.patient) == (practitioner, patient)


def test_the_intake_page_logs_the_flags_it_shows_without_a_questionnaire(
    practitioner: User,
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """A patient who never sent the questionnaire (added by the desk, say) may still have
    flags from a check-in; the practitioner's intake page shows each flag's reason, but logged
    the read only when there was a questionnaire to show."""
    newcomer = UserFactory.create(email="newcomer@example.com")
    visit_at(
        patient=newcomer,
        service=private,
        practitioner=mei,
        starts_at=timezone.now() - timedelta(days=3),
        status=BookingStatus.ATTENDED,
    )
    flag_raise(patient=newcomer, kind=FlagKind.REVIEW, reason="MARKER-FLAG numb left foot")
    page = client_for(practitioner).get(reverse("intake:practice_intake", args=[newcomer.pk]))
    assert page.status_code == 200 and b"MARKER-FLAG" in page.content
    read = HealthAccess.objects.get()
    assert (read.viewer, read.patient) == (practitioner, newcomer)
