"""The workspace's patient search: by name, phone or date of birth, within the access policy,
showing who the patient is and their next visit and no health data."""

from __future__ import annotations

import time
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking.models import Booking, Practitioner, Service
from intake.models import HealthAccess, IntakeResponse, ResponseStatus
from portal.models import Clinic, Role, User
from practice.patient_search import read_query, search
from tests.booking.conftest import NOW
from tests.conftest import client_for
from tests.factories import UserFactory
from tests.intake.factories import IntakeResponseFactory, full_answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def alex_intake(patient: User) -> IntakeResponse:
    return IntakeResponseFactory.create(
        patient=patient, answers=full_answers(date_of_birth="1986-07-14", phone="07700 900201")
    )


@pytest.fixture
def sam(other_patient: User, david: Practitioner, private: Service) -> User:
    """Another patient, seen only by David (not by Mei)."""
    IntakeResponseFactory.create(
        patient=other_patient,
        answers=full_answers(date_of_birth="1986-07-14", phone="07700 900999"),
    )
    return other_patient


def _search_page(user: User, q: str) -> str:
    with time_machine.travel(NOW, tick=False):
        response = client_for(user).get("/practice/patients/", {"q": q})
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.mark.parametrize(
    ("typed", "kind", "value"),
    [
        ("14/07/1986", "born", date(1986, 7, 14)),
        ("14-7-1986", "born", date(1986, 7, 14)),
        ("1986-07-14", "born", date(1986, 7, 14)),
        ("14 July 1986", "born", date(1986, 7, 14)),
        ("14 Jul 1986", "born", date(1986, 7, 14)),
        ("07700 900201", "phone", "07700900201"),
        ("+44 7700 900201", "phone", "07700900201"),
        ("900201", "phone", "900201"),
        ("Leonard", "name", "Leonard"),
        ("  Alex   Leonard ", "name", "Alex Leonard"),
        ("31/02/1986", "name", "31/02/1986"),  # no such date: searched as text, finds nobody
        ("١٢٣٤٥٦٧", "name", "١٢٣٤٥٦٧"),  # other digits are not a phone number
    ],
)
def test_what_was_typed_is_read_as_a_name_a_phone_or_a_date(
    typed: str, kind: str, value: object
) -> None:
    query = read_query(typed)
    assert query.kind == kind
    assert {"born": query.born_on, "phone": query.digits, "name": query.text}[kind] == value


def test_a_practitioner_finds_their_patient_by_name_phone_and_birth_date(
    practitioner: User, visit: Booking, alex_intake: IntakeResponse, sam: User
) -> None:
    alex = visit.patient
    for typed in (alex.last_name, alex.get_full_name(), "07700900201", "14/07/1986"):
        page = _search_page(practitioner, typed)
        assert f'data-patient="{alex.pk}"' in page, typed
        assert "14 Jul 1986" in page and "07700 900201" in page
        assert f'href="/practice/bookings/{visit.pk}/"' in page  # the next visit
        # Sam shares the birthday but is David's patient: never shown to Mei.
        assert f'data-patient="{sam.pk}"' not in page
    # Who they are, never their health: nothing in the health-read log, no complaint shown.
    assert not HealthAccess.objects.exists()
    assert "back pain" not in page.lower()


def test_the_desk_finds_everyone_of_the_clinic_to_book_for_them(
    front_desk: User, visit: Booking, alex_intake: IntakeResponse, sam: User
) -> None:
    page = _search_page(front_desk, "14.07.1986")
    assert f'data-patient="{visit.patient.pk}"' in page and f'data-patient="{sam.pk}"' in page
    assert f"/book/?for={sam.pk}" in page
    assert "with Mei" in page  # the desk is told whose visit it is
    # The desk reads no health records: no link to the patient's record page.
    assert f'href="/practice/patients/{visit.patient.pk}/"' not in page


def test_a_caller_the_desk_added_is_found_by_the_birth_date_on_the_account(
    front_desk: User, clinic: Clinic
) -> None:
    """The desk's callers have no questionnaire yet: their date of birth is on the account."""
    caller = UserFactory.create(
        first_name="Nia", last_name="Hughes", date_of_birth=date(1951, 3, 2)
    )
    page = _search_page(front_desk, "02/03/1951")
    assert f'data-patient="{caller.pk}"' in page and "2 Mar 1951" in page


def test_patients_cannot_search(patient: User, clinic: Clinic) -> None:
    assert client_for(patient).get("/practice/patients/", {"q": "Leonard"}).status_code == 403


def test_nothing_found_helps_and_odd_input_is_refused_kindly(practitioner: User, mei: Any) -> None:
    page = _search_page(practitioner, "Nobody-at-all")
    assert "No patient found" in page and "try the surname alone" in page
    with time_machine.travel(NOW, tick=False):
        client = client_for(practitioner)
        short = client.get("/practice/patients/", {"q": "x"})
        nul = client.get("/practice/patients/", {"q": "a" * 101})
    assert short.status_code == 400 and b"at least 2 letters" in short.content
    assert nul.status_code == 400 and b"There is a problem" in nul.content


def test_the_header_marks_patients_as_the_current_page(practitioner: User, mei: Any) -> None:
    page = _search_page(practitioner, "")
    for label in ("Calendar", "Community room", "Patients", "Hours &amp; time off"):
        assert f">{label}</a>" in page
    assert 'href="/practice/patients/" aria-current="page">Patients</a>' in page


def test_two_thousand_patients_by_birth_date_in_a_fixed_number_of_queries(
    front_desk: User, clinic: Clinic
) -> None:
    """The measurement the module docstring quotes: birth-date search decrypts the latest
    questionnaire of every patient of the clinic in Python."""
    people = User.objects.bulk_create(
        User(
            email=f"p{i}@example.com",
            first_name=f"First{i}",
            last_name=f"Last{i}",
            role=Role.PATIENT,
            clinic=clinic,
        )
        for i in range(2000)
    )
    now = timezone.now()
    IntakeResponse.objects.bulk_create(
        IntakeResponse(
            clinic=clinic,
            patient=person,
            kind="full",
            version=2,
            status=ResponseStatus.SUBMITTED,
            submitted_at=now - timedelta(days=i % 300),
            answers=full_answers(
                date_of_birth=(date(1950, 1, 1) + timedelta(days=i * 7)).isoformat(),
                phone=f"07700 9{i:05d}",
            ),
        )
        for i, person in enumerate(people)
    )
    query = read_query((date(1950, 1, 1) + timedelta(days=700 * 7)).strftime("%d/%m/%Y"))
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        found = search(front_desk, query, now=now)
        took = time.perf_counter() - started
    print(f"\nbirth-date search over 2,000 patients: {took * 1000:.0f} ms")
    assert [f.patient.last_name for f in found] == ["Last700"]
    assert len(queries) <= 4
    assert took < 3  # about 0.3 s on the 2-CPU dev machine; generous for a shared CI machine
