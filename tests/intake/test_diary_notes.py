"""A pain diary note is read for red flags like the questionnaire's and the check-in's words:
a warning sign pauses booking, alerts the team (emergency and urgent ones at once) and shows the
patient what to do now; an ordinary note, or one that denies the signs, changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from intake.models import Alert, AlertLevel, DiaryEntry, FlagKind, PatientFlag
from intake.services import booking_paused
from portal.models import User
from tests.booking.conftest import NOW, eager_celery  # noqa: F401 - a fixture
from tests.conftest import client_for
from tests.intake.factories import IntakeResponseFactory, full_answers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("eager_celery")]

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def writer(patient: User) -> User:
    IntakeResponseFactory.create(patient=patient)
    return patient


def write(patient: User, note: str, pain: str = "6") -> str:
    """Post a diary entry as ``patient``; the page the browser ends on, and its address."""
    with time_machine.travel(LATER, tick=False):
        client = client_for(patient)
        response = client.post(
            reverse("intake:diary"),
            {"pain": pain, "note": note, "recorded_at": "2027-03-01T08:30"},
        )
        assert response.status_code == 302
        page = client.get(response["Location"])
    return f"{response['Location']}\n{page.content.decode()}"


@pytest.mark.parametrize(
    ("note", "level"),
    [
        ("Numb between my legs since last night and I can't pee", AlertLevel.EMERGENCY),
        ("cnt feel my bum on the toilet seat n havent peed all day", AlertLevel.EMERGENCY),
        ("Had a temperature of 39 with the back pain last night", AlertLevel.URGENT),
        ("fell over in the garden yesterday", AlertLevel.REVIEW),
    ],
)
def test_a_warning_sign_in_a_diary_note_alerts_the_team_and_tells_the_patient(
    writer: User, note: str, level: AlertLevel
) -> None:
    shown = write(writer, note)
    entry = DiaryEntry.objects.get(patient=writer)
    assert reverse("intake:diary_advice", args=[entry.pk]) in shown
    assert f'data-level="{level.value}"' in shown
    alert = Alert.objects.get(patient=writer, kind="diary_red_flag")
    assert alert.level == level
    assert "numb" not in alert.summary.lower() and "pee" not in alert.summary.lower()
    assert PatientFlag.objects.filter(patient=writer, kind=FlagKind(level.value)).exists()
    assert booking_paused(writer)
    if level == AlertLevel.EMERGENCY:
        assert "call an ambulance or go to A&amp;E" in shown
    if level == AlertLevel.URGENT:
        assert "Please get medical advice today" in shown


@pytest.mark.parametrize(
    "note",
    [
        "Stiff after gardening, better after a hot bath",
        "No numbness, no trouble peeing, just the usual ache",
        "slept badly, pain 6 in the morning",
        "",
    ],
)
def test_an_ordinary_note_changes_nothing(writer: User, note: str) -> None:
    shown = write(writer, note)
    assert shown.startswith(reverse("intake:diary") + "\n")
    assert "Added to your pain diary." in shown
    assert not Alert.objects.filter(patient=writer).exists()
    assert not PatientFlag.objects.filter(patient=writer).exists()


def test_correcting_a_note_to_a_warning_sign_alerts_once(writer: User) -> None:
    write(writer, "Stiff after gardening")
    entry = DiaryEntry.objects.get(patient=writer)
    edit = reverse("intake:diary_edit", args=[entry.pk])
    fields = {"pain": "7", "recorded_at": "2027-03-01T08:30"}
    with time_machine.travel(LATER, tick=False):
        client = client_for(writer)
        worse = {**fields, "note": "Stiff, and now numb round my back passage and can't pee"}
        first = client.post(edit, worse)
        again = client.post(edit, {**worse, "pain": "8"})
    assert first["Location"] == reverse("intake:diary_advice", args=[entry.pk])
    assert again["Location"] == first["Location"]
    assert Alert.objects.filter(patient=writer, kind="diary_red_flag").count() == 1


def test_the_advice_page_is_the_writers_alone(writer: User, other_patient: User) -> None:
    write(writer, "Numb between my legs since last night and I can't pee")
    entry = DiaryEntry.objects.get(patient=writer)
    page = reverse("intake:diary_advice", args=[entry.pk])
    assert client_for(other_patient).get(page).status_code == 404
    assert client_for(writer).get(page).status_code == 200


def test_the_advice_page_of_an_ordinary_note_goes_back_to_the_diary(writer: User) -> None:
    write(writer, "Stiff after gardening")
    entry = DiaryEntry.objects.get(patient=writer)
    response = client_for(writer).get(reverse("intake:diary_advice", args=[entry.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("intake:diary")


@pytest.mark.parametrize(
    ("on_record", "note", "level"),
    [
        # Warfarin at intake, a knock to the head in the diary that does not name it: A&E
        # for a scan (NICE CG176), as when the note names the medicine.
        (
            {"medication_flags": ["anticoagulants"], "medication": "warfarin"},
            "Fell in the kitchen and banged my head on the cupboard, bit of a headache",
            AlertLevel.EMERGENCY,
        ),
        # Thin bones at intake, a fall in the diary: a fracture until X-rayed (GP today).
        (
            {"osteoporosis": True},
            "Fell down the last few stairs, back much worse, can hardly stand up straight",
            AlertLevel.URGENT,
        ),
        # A blood thinner at intake, a fall with the head spared: still a fall on a blood
        # thinner (GP today), not a head injury.
        (
            {"medication_flags": ["anticoagulants"], "medication": "apixaban"},
            "Tripped on the garden step, landed on my hip, did not hit my head",
            AlertLevel.URGENT,
        ),
    ],
)
def test_a_diary_note_is_read_against_the_intake_on_record(
    patient: User, on_record: dict[str, object], note: str, level: AlertLevel
) -> None:
    IntakeResponseFactory.create(patient=patient, answers=full_answers(**on_record))
    shown = write(patient, note)
    assert f'data-level="{level.value}"' in shown
    assert Alert.objects.get(patient=patient, kind="diary_red_flag").level == level
