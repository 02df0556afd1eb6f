"""Phone numbers are real numbers (UK by default), stored as E.164, asked once: sign-up, the
questionnaire's prefill, and the migration that must not lose an old value it cannot read."""

from __future__ import annotations

import importlib
from datetime import date

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import CharField
from django.db.models.functions import Cast
from django.test import Client

from intake.questionnaire import FULL
from intake.services import intake_start
from portal.models import Clinic, User
from portal.phones import as_typed, e164, parse_phone
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("portal.migrations.0014_user_phone_number_date_of_birth")


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("0117 496 0123", "+441174960123"),
        ("07911 123456", "+447911123456"),
        ("+33 1 42 68 53 00", "+33142685300"),
        ("07700 900123", "+447700900123"),  # Ofcom's fictional range: demo and tests
        ("0777", None),
        ("12345", None),
        ("call me", None),
        ("", None),
    ],
)
def test_numbers_are_read_the_uk_way(typed: str, stored: str | None) -> None:
    assert e164(typed) == stored


def test_a_stored_number_is_shown_as_typed_in_the_uk() -> None:
    assert as_typed("+441174960123") == "0117 496 0123"
    assert as_typed("+33142685300") == "+33 1 42 68 53 00"
    assert as_typed("not a number") == "not a number"
    assert parse_phone("") is None


def test_sign_up_refuses_a_number_that_is_not_one(client: Client, clinic: object) -> None:
    response = client.post(
        "/accounts/signup/",
        {
            "first_name": "Robin",
            "last_name": "Hart",
            "email": "robin@example.com",
            "phone": "0777",
            "password1": "a-long-new-password-42",
            "password2": "a-long-new-password-42",
        },
    )
    assert response.status_code == 200
    assert "Enter a real phone number" in response.content.decode()
    assert not User.objects.filter(email="robin@example.com").exists()


def test_the_questionnaire_starts_with_the_phone_and_birth_date_already_known(
    clinic: object,
) -> None:
    patient = UserFactory.create(phone="+441174960999", date_of_birth=date(1960, 5, 4))
    draft = intake_start(patient=patient, kind=FULL)
    assert draft.answers["phone"] == "0117 496 0999"
    assert draft.answers["date_of_birth"] == "1960-05-04"


def test_the_migration_normalises_what_parses_and_keeps_the_rest(clinic: object) -> None:
    good = UserFactory.create()
    odd = UserFactory.create()
    none = UserFactory.create()
    # Written as old rows were: whatever was typed.
    User.objects.filter(pk=good.pk).update(phone="0117 496 0123")
    User.objects.filter(pk=odd.pk).update(phone="ring after 6, 0117")

    migration.normalise_phones(apps, None)

    # The column as stored (the field's own str() adds spaces for display).
    stored = dict(User.objects.values_list("pk", Cast("phone", CharField())))
    assert stored[good.pk] == "+441174960123"
    assert stored[odd.pk] == "ring after 6, 0117"
    assert stored[none.pk] == ""


def test_the_questionnaire_refuses_a_phone_answer_that_is_not_a_number() -> None:
    from intake.forms import section_form
    from intake.questionnaire import current

    section = next(s for s in current(FULL).sections if any(q.key == "phone" for q in s.questions))
    bad = section_form(section, {"phone": "0777"}, bound=True)
    bad.is_valid()
    assert "Enter a real phone number" in " ".join(str(e) for e in bad.errors.get("phone", []))
    good = section_form(section, {"phone": "07911 123456"}, bound=True)
    good.is_valid()
    assert "phone" not in good.errors


def test_the_clinic_phone_must_be_a_number(clinic: Clinic) -> None:
    clinic.phone = "ring us"
    with pytest.raises(ValidationError) as refused:
        clinic.full_clean()
    assert "phone" in refused.value.message_dict
    clinic.phone = "0117 496 0123"
    clinic.full_clean()


def test_a_patient_changes_their_phone_and_sees_it_prefilled(patient: User) -> None:
    from tests.conftest import client_for

    patient.phone = "+441174960123"
    patient.save()
    browser = client_for(patient)
    page = browser.get("/me/details/").content.decode()
    assert 'value="0117 496 0123"' in page  # as they would type it

    refused = browser.post(
        "/me/details/", {"first_name": "Alex", "last_name": "Smith", "phone": "0777"}
    )
    assert refused.status_code == 400
    assert "There is a problem" in refused.content.decode()
    assert 'value="Smith"' in refused.content.decode()

    saved = browser.post(
        "/me/details/", {"first_name": "Alex", "last_name": "Smith", "phone": "07911 123456"}
    )
    assert saved.status_code == 302
    patient.refresh_from_db()
    assert patient.phone == "+447911123456" and patient.last_name == "Smith"


def test_the_team_reads_a_callers_number_as_they_would_dial_it(front_desk: User) -> None:
    # Stored as E.164; shown to the desk as a UK caller would say it, not "+447700900777".
    UserFactory(last_name="Quarrington", phone="+447700900777")
    page = client_for(front_desk).get("/book/for-a-patient/?q=quarr").content.decode()
    assert "07700 900777" in page and "+447700900777" not in page
