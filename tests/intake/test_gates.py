"""The booking link: a questionnaire before treatment, a short one before the assessment, and
no online treatment booking while a red flag is open. Staff see the same as a warning."""

import ast
import uuid
from pathlib import Path

import pytest
from django.urls import reverse

from booking.gates import gates_for
from intake.models import PAUSING_FLAGS, FlagKind
from intake.questionnaire import SHORT
from intake.services import flag_clear, flag_raise
from tests.booking import conftest as week_fixtures
from tests.booking.conftest import NOW, TUE
from tests.booking.factories import local
from tests.conftest import client_for
from tests.intake.factories import IntakeResponseFactory

pytestmark = pytest.mark.django_db

# The booking tests' clinic week (Mei's hours, a private treatment and an assessment).
policies = week_fixtures.policies
mei = week_fixtures.mei
private = week_fixtures.private
assessment = week_fixtures.assessment
frozen = week_fixtures.frozen


def week(service, **query) -> str:
    url = reverse("booking:week", args=[service.slug])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_treatment_asks_for_the_full_questionnaire_first(patient, private, frozen) -> None:
    response = client_for(patient).get(week(private))
    assert response.status_code == 200
    assert b"One step before booking" in response.content
    assert b"/me/intake/?kind=full&amp;next=" in response.content
    assert b'class="slot"' not in response.content
    IntakeResponseFactory.create(patient=patient)
    assert b"One step before booking" not in client_for(patient).get(week(private)).content


def test_the_assessment_needs_only_the_short_one(patient, assessment, private, frozen) -> None:
    assert b"kind=short" in client_for(patient).get(week(assessment)).content
    IntakeResponseFactory.create(patient=patient, kind=SHORT, answers={"complaint": "x"})
    assert b"One step before booking" not in client_for(patient).get(week(assessment)).content
    assert b"One step before booking" in client_for(patient).get(week(private)).content


def test_a_red_flag_pauses_treatment_but_not_the_assessment(
    patient,
    private,
    assessment,
    frozen,
) -> None:
    IntakeResponseFactory.create(patient=patient)
    flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="r")
    page = client_for(patient).get(week(private))
    assert b"Online booking of treatment is paused" in page.content
    start = local(TUE, 10).isoformat()
    confirm = reverse("booking:confirm", args=[private.slug])
    response = client_for(patient).post(f"{confirm}?start={start}", {"start": start})
    assert b"Online booking of treatment is paused" in response.content
    assert not patient.bookings.exists()
    assert b"One step before booking" not in client_for(patient).get(week(assessment)).content


@pytest.mark.parametrize("kind", PAUSING_FLAGS)
def test_every_triage_level_flag_pauses_treatment_until_cleared(
    patient, practitioner, private, frozen, kind
) -> None:
    IntakeResponseFactory.create(patient=patient)
    flag, _ = flag_raise(patient=patient, kind=kind, reason="r")
    assert [g.urgent for g in gates_for(patient, private)] == [True]
    flag_clear(flag=flag, by=practitioner)
    assert gates_for(patient, private) == []


@pytest.mark.parametrize("kind", [FlagKind.TREAT_GENTLY, FlagKind.REVIEW_COURSE])
def test_treatment_notes_do_not_pause_booking(patient, private, frozen, kind) -> None:
    IntakeResponseFactory.create(patient=patient)
    flag_raise(patient=patient, kind=kind, reason="r")
    assert gates_for(patient, private) == []


def test_staff_booking_for_a_caller_see_the_warning_and_can_go_on(
    patient,
    front_desk,
    private,
    frozen,
) -> None:
    flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="r")
    client = client_for(front_desk)
    page = client.get(week(private, **{"for": patient.pk}))
    assert b"red-flag question" in page.content and b'class="slot"' in page.content
    start = local(TUE, 10).isoformat()
    confirm = reverse("booking:confirm", args=[private.slug])
    response = client.post(
        f"{confirm}?for={patient.pk}",
        {
            "start": start,
            "practitioner": "any",
            "for": patient.pk,
            "request_key": "9c6b2a9e-0a4c-4b36-9d5e-1f0f4f3f9a11",
        },
    )
    assert response.status_code == 302
    assert patient.bookings.count() == 1


def test_moving_an_existing_visit_is_not_gated(patient, private, frozen) -> None:
    assert gates_for(patient, private)
    from tests.booking.factories import book

    IntakeResponseFactory.create(patient=patient)
    visit = book(patient, private, local(TUE, 10), now=NOW)
    flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="r")
    page = client_for(patient).get(week(private, reschedule=visit.pk))
    assert b"Online booking of treatment is paused" not in page.content


def test_booking_never_imports_intake() -> None:
    root = Path(__file__).resolve().parents[2] / "booking"
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            assert not any(n == "intake" or n.startswith("intake.") for n in names), path


def test_the_booking_service_itself_refuses_a_gated_patient_but_not_staff(
    patient, front_desk, private
) -> None:
    from booking.errors import NotEligible
    from tests.booking.factories import book

    flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="r")
    with pytest.raises(NotEligible, match="practitioner needs to talk with you"):
        book(patient, private, local(TUE, 10), now=NOW)
    assert book(patient, private, local(TUE, 10), now=NOW, booked_by=front_desk).pk


@pytest.mark.parametrize("value", ["abc", "²", "0"])
def test_a_malformed_reschedule_does_not_slip_past_the_red_flag(
    patient, private, frozen, value
) -> None:
    """Any ``reschedule`` value used to skip the gates, then booked a new visit anyway."""
    IntakeResponseFactory.create(patient=patient)
    flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="r")
    start = local(TUE, 10).isoformat()
    confirm = reverse("booking:confirm", args=[private.slug])
    client = client_for(patient)
    assert client.get(week(private, reschedule=value)).status_code == 404
    response = client.post(
        f"{confirm}?start={start}&reschedule={value}",
        {"start": start, "practitioner": "any", "request_key": str(uuid.uuid4())},
    )
    assert response.status_code == 404
    assert not patient.bookings.exists()


@pytest.mark.parametrize("kind", ["full", "short"])
def test_the_gate_names_the_time_the_questionnaire_page_shows(
    kind, patient, private, assessment, frozen
) -> None:
    """The booking page said "about 10 minutes" (and 3) while the questionnaire it sent the
    patient to said 12 (and 4): the estimate comes from the questionnaire itself."""
    from intake.questionnaire import current

    service = private if kind == "full" else assessment
    page = client_for(patient).get(week(service)).content.decode()
    intake = client_for(patient).get(reverse("intake:home")).content.decode()
    minutes = current(kind).minutes
    assert f"about {minutes} minutes" in page
    assert f"About {minutes} minutes" in intake
