"""Round 4 of the attacker tests: holes an outside attacker found through the real views."""

from __future__ import annotations

import uuid
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, BookingStatus, Practitioner, Service
from portal import policy
from portal.models import Role, User
from practice import retention
from tests.booking.conftest import (  # noqa: F401 (fixtures)
    _fast_passwords,
    mei,
    patient,
    policies,
    private,
)
from tests.booking.factories import PractitionerFactory, local, visit_at
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class _FormFields(HTMLParser):
    """The values a browser would post back from the first form of an admin change page."""

    def __init__(self) -> None:
        super().__init__()
        self.data: dict[str, Any] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio"):
                if "checked" in a:
                    self.data[name] = a.get("value") or "on"
            else:
                self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.data[self._textarea] += (
                data.lstrip("\n") if not self.data[self._textarea] else data
            )


def admin_form(client: Client, url: str) -> dict[str, Any]:
    page = client.get(url)
    assert page.status_code == 200
    parser = _FormFields()
    parser.feed(page.content.decode())
    return parser.data


# --- The desk moves a practitioner's profile (and their patients) to another account ------


@pytest.fixture
def david(policies: Any) -> Practitioner:  # noqa: F811
    user = UserFactory.create(email="david@example.com", first_name="David", role=Role.PRACTITIONER)
    return PractitionerFactory.create(user=user, display_name="David Rhys")


@pytest.fixture
def treated_by_david(patient: User, private: Service, david: Practitioner) -> None:  # noqa: F811
    """The patient was treated by David a month ago: in his care, not in Mei's."""
    private.practitioners.add(david)
    visit_at(
        patient=patient,
        service=private,
        practitioner=david,
        starts_at=timezone.now() - timedelta(days=30),
        status=BookingStatus.ATTENDED,
    )


@pytest.mark.usefixtures("treated_by_david")
def test_the_desk_cannot_hand_a_practitioners_profile_to_another_account(
    front_desk: User,
    patient: User,  # noqa: F811
    practitioner: User,
    mei: Practitioner,  # noqa: F811
    david: Practitioner,
) -> None:
    """Care relationships follow the practitioner profile's sign-in account (``care_visits``:
    ``practitioner__user``). The desk could edit ``Practitioner.user`` in the admin: parking
    Mei's profile on a patient's account, then giving David's profile (and so every patient
    David treated) to Mei's account, let Mei read all of them, write their treatment records
    and get David's calendar feed. Who a profile belongs to is not the desk's to change."""
    assert not policy.may_read_record(practitioner, patient)
    david_user = david.user_id
    desk = client_for(front_desk)
    parking = UserFactory.create(email="parking@example.com")
    for profile, new_user in ((mei, parking), (david, practitioner)):
        url = reverse("admin:booking_practitioner_change", args=[profile.pk])
        data = {**admin_form(desk, url), "user": str(new_user.pk), "display_name": "Renamed"}
        desk.post(url, data)
    mei.refresh_from_db()
    david.refresh_from_db()
    assert (mei.user_id, david.user_id) == (practitioner.pk, david_user)
    assert not policy.may_read_record(User.objects.get(pk=practitioner.pk), patient)
    # The desk still edits what patients read about the practitioner.
    assert david.display_name == "Renamed"


# --- A check-in link keeps writing health data after the account is closed ----------------


@pytest.mark.parametrize("how", ["closed", "anonymised"])
def test_a_check_in_link_writes_nothing_once_the_account_is_closed_or_anonymised(
    client: Client,
    patient: User,  # noqa: F811
    private: Service,  # noqa: F811
    how: str,
) -> None:
    """The emailed check-in link opens without signing in for 14 days. A patient who closed
    their account (or whose account was anonymised on an erasure request) must get nothing
    more written about them: the old link still stored new answers, a diary entry, flags and
    alerts to the team, on an account whose health content had been erased."""
    import time_machine

    from followup.links import make_token
    from followup.models import CheckIn, CheckInStage
    from intake.models import Alert, DiaryEntry
    from practice import retention
    from tests.followup.conftest import CHECKIN_DUE, past_visit, set_status

    visit = set_status(past_visit(patient, private), BookingStatus.ATTENDED)
    with time_machine.travel(CHECKIN_DUE, tick=False):
        token = make_token(booking_id=visit.pk, stage=CheckInStage.CHECKIN)
        url = reverse("followup:checkin", args=[token])
        if how == "closed":
            assert retention.close_account(patient=patient, by=patient) == "closed"
        else:
            retention.anonymise(patient_id=patient.pk, actor=None, why="erasure request")
        diary_before = DiaryEntry.objects.filter(patient=patient).count()
        page = client.get(url)
        answer = client.post(
            url, {"comparison": "worse", "pain_now": "9", "red_flags": ["fever"], "note": "x"}
        )
    assert page.status_code == 410 and answer.status_code == 410
    assert "account" in answer.content.decode()
    assert not CheckIn.objects.filter(patient=patient).exists()
    assert DiaryEntry.objects.filter(patient=patient).count() == diary_before
    assert not Alert.objects.filter(patient=patient).exists()


# --- Trying patient ids at the "outside your care" pages lists the clinic's patients -------


def test_trying_ids_outside_care_names_no_patient_the_practitioner_cannot_find(
    patient: User,  # noqa: F811
    david: Practitioner,
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """A practitioner opening /practice/patients/<id>/ (or its intake and diary) for a patient
    outside their care got "Alex Morgan is not in your care" (or their email address) for any
    id of the clinic, and the "see anyway" form named them too: walking the ids listed every
    patient by name and email, which ``policy.findable_patients`` keeps from the patient
    search and the booking pages' ``for``. Outside what they may find, or a team alert they
    may act on, the pages say "this patient"; asking to see anyway still works."""
    from intake.models import AlertLevel
    from intake.services import alert_raise
    from tests.conftest import reauthenticated

    client = reauthenticated(david.user)
    secrets = (patient.get_full_name(), patient.email, patient.first_name)
    urls = [
        reverse("practice:patient", args=[patient.pk]),
        reverse("intake:practice_intake", args=[patient.pk]),
        reverse("intake:practice_diary", args=[patient.pk]),
    ]
    for url in urls:
        refused = client.get(url)
        assert refused.status_code == 403
        assert reverse("intake:see_anyway", args=[patient.pk]).encode() in refused.content
        assert not any(s in refused.content.decode() for s in secrets), url
    ask = client.get(reverse("intake:see_anyway", args=[patient.pk]))
    assert ask.status_code == 200
    assert not any(s in ask.content.decode() for s in secrets)
    # Named when David may know who it is: an urgent alert on the team's dashboard.
    alert_raise(patient=patient, level=AlertLevel.URGENT, kind="k", source_key="1", summary="S")
    assert patient.get_full_name() in client.get(urls[0]).content.decode()
    assert (
        patient.get_full_name()
        in client.get(reverse("intake:see_anyway", args=[patient.pk])).content.decode()
    )


# --- A link's secret, percent-encoded in a ``next``, went into the access log ---------------


@pytest.mark.parametrize(
    "name", ["export_download", "booking:waitlist_offer", "followup:checkin", "practice:ics"]
)
def test_a_secret_link_carried_in_next_is_redacted_from_the_request_line(
    client: Client, name: str
) -> None:
    """A patient not signed in who opens their "download my data" or waiting-list offer link is
    sent to log in, and the login page's "Sign up" link carries the address on as
    ``?next=%2Fme%2Fprivacy%2Fmy-data%2F<token>%2F`` (allauth quotes the slashes; so does the
    team's idle sign-out). That request line went into gunicorn's and Django's logs with the
    token whole: redaction only knew the paths with plain slashes."""
    from portal.redaction import redact

    secret = "MTIz:1tAbCd:S3cretT0kenS3cretT0ken"
    url = reverse(name, args=[secret if name != "practice:ics" else "f" * 40])
    secret = secret if name != "practice:ics" else "f" * 40
    from urllib.parse import quote

    encoded = quote(url, safe="")
    for line in (
        f"GET /accounts/signup/?next={encoded} HTTP/1.1",
        f"GET /accounts/login/?next={encoded}&x=1 HTTP/1.1",
        f"GET /accounts/login/?next={quote(url, safe='/')} HTTP/1.1",
    ):
        assert secret not in redact(line), line
        assert secret.split(":")[-1] not in redact(line), line
    # The real page: the login page's sign-up link, reached from an offer link.
    if name == "export_download":
        login = client.get(url, follow=True)
        page = login.content.decode()
        assert encoded in page or url in page
        hrefs = [h for h in page.split('href="')[1:] if "signup" in h.split('"')[0]]
        assert hrefs
        for href in hrefs:
            href = href.split('"')[0].replace("&amp;", "&")
            assert secret.split(":")[-1] not in redact(f"GET {href} HTTP/1.1")


# --- Booking a closed account opens its record to a practitioner, unseen -------------------


@pytest.mark.usefixtures("treated_by_david")
def test_no_visit_can_be_booked_for_a_closed_account(
    front_desk: User,
    patient: User,  # noqa: F811
    practitioner: User,
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """The desk could book a visit for a patient who had closed their account (they stay
    findable, for their records); a confirmed visit the desk booked is a care relationship, so
    the practitioner read the whole record of someone who had left, and the patient, who can
    no longer sign in and gets no email, never saw the trail the design relies on."""
    assert retention.close_account(patient=patient, by=patient) == "closed"
    day = timezone.localdate() + timedelta(days=3)
    while day.weekday() > 4:
        day += timedelta(days=1)
    start = local(day, 10)
    url = f"/book/{private.slug}/confirm/?" + urlencode(
        {"start": start.isoformat(), "for": patient.pk}
    )
    body = {
        "start": start.isoformat(),
        "practitioner": str(mei.pk),
        "request_key": str(uuid.uuid4()),
    }
    answer = client_for(front_desk).post(url, body)
    assert not Booking.objects.filter(patient=patient, status=BookingStatus.CONFIRMED).exists()
    assert answer.status_code == 200 and "account is closed" in answer.content.decode()
    assert not policy.may_read_record(practitioner, patient)


# --- The owner's admin sets a visit's status or patient without the booking pages' rules --


def test_the_admin_shows_bookings_but_changes_none_even_for_the_owner(
    owner: User,
    patient: User,  # noqa: F811
    practitioner: User,
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """Marking a visit attended in the admin skipped the attendance rules (only once it has
    started) and so opened the patient's record to its practitioner; changing its patient
    or "booked by" did the same for another patient. Bookings change through the booking
    pages only: the admin lists and shows them."""
    visit = visit_at(
        patient=patient,
        service=private,
        practitioner=mei,
        starts_at=timezone.now() + timedelta(days=3),
        status=BookingStatus.CONFIRMED,
    )
    admin = client_for(owner)
    url = reverse("admin:booking_booking_change", args=[visit.pk])
    page = admin.get(url)
    assert page.status_code == 200 and b'name="status"' not in page.content
    admin.post(url, {"status": BookingStatus.ATTENDED, "patient": str(patient.pk)})
    visit.refresh_from_db()
    assert visit.status == BookingStatus.CONFIRMED
    delete = admin.post(reverse("admin:booking_booking_delete", args=[visit.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert admin.get(reverse("admin:booking_booking_changelist")).status_code == 200
