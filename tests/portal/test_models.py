"""portal.models: the clinic record, its validators and the email-login user."""

from __future__ import annotations

import zoneinfo

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from portal.models import Clinic, Role, User, validate_time_zone

pytestmark = pytest.mark.django_db


# --- User -------------------------------------------------------------------


def test_email_uniqueness_ignores_case_at_the_database() -> None:
    # Saved straight through the model, bypassing every form and the manager's
    # lower-casing: only the database constraint stands in the way.
    User(email="A@x.com").save()
    with pytest.raises(IntegrityError), transaction.atomic():
        User(email="a@x.com").save()
    assert User.objects.filter(email__iexact="a@x.com").count() == 1


def test_create_user_lowercases_email_and_defaults_to_patient() -> None:
    user = User.objects.create_user("Someone@Example.COM", "pw-long-enough-123")
    assert user.email == "someone@example.com"
    assert user.role == Role.PATIENT
    assert user.is_patient and not user.is_practitioner and not user.is_clinic_staff
    assert not user.is_staff and not user.is_superuser
    assert user.check_password("pw-long-enough-123")


def test_create_user_requires_an_email() -> None:
    with pytest.raises(ValueError, match="email"):
        User.objects.create_user("", "pw")


def test_create_superuser_is_clinic_staff_with_admin() -> None:
    user = User.objects.create_superuser("Boss@Example.com", "pw-long-enough-123")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.STAFF, True, True)


def test_natural_key_lookup_is_case_insensitive() -> None:
    user = User.objects.create_user("mixed@example.com")
    assert User.objects.get_by_natural_key("MIXED@Example.com") == user


def test_names() -> None:
    user = User(email="kim@example.com", first_name="Kim", last_name="Lee")
    assert str(user) == "Kim Lee"
    assert user.get_short_name() == "Kim"
    nameless = User(email="kim@example.com")
    assert str(nameless) == "kim@example.com"
    assert nameless.get_short_name() == "kim"


# --- Clinic.objects.current() ------------------------------------------------


def test_current_clinic_is_created_on_first_use() -> None:
    assert Clinic.objects.count() == 0
    clinic = Clinic.objects.current()
    assert clinic.pk is not None
    assert Clinic.objects.count() == 1
    # The second call finds it instead of creating another.
    assert Clinic.objects.current() == clinic
    assert Clinic.objects.count() == 1


def test_the_database_refuses_a_second_clinic() -> None:
    Clinic.objects.current()
    with pytest.raises(IntegrityError), transaction.atomic():
        Clinic.objects.create(name="Hillside Clinic", slug="hillside")
    assert Clinic.objects.count() == 1


def test_the_one_clinic_row_cannot_be_made_an_extra_one() -> None:
    # The constant column is the constraint's anchor: switching it off would let a second
    # row in, so the database refuses that too.
    Clinic.objects.current()
    with pytest.raises(IntegrityError), transaction.atomic():
        Clinic.objects.update(singleton=False)


def test_validation_refuses_a_second_clinic_with_a_plain_message() -> None:
    Clinic.objects.current()
    with pytest.raises(ValidationError) as excinfo:
        _clinic(slug="hillside").full_clean()
    assert "one clinic" in str(excinfo.value)


def test_the_admin_edits_the_clinic_but_never_adds_or_deletes_one(rf: RequestFactory) -> None:
    owner = User.objects.create_superuser("owner@example.com", "a-long-passphrase-42")
    request = rf.get("/admin/portal/clinic/")
    request.user = owner
    clinic_admin = admin.site.get_model_admin(Clinic)
    clinic = Clinic.objects.current()
    assert clinic_admin.has_change_permission(request, clinic)
    assert not clinic_admin.has_add_permission(request)
    assert not clinic_admin.has_delete_permission(request, clinic)


def test_current_clinic_takes_defaults_from_settings(settings) -> None:
    settings.TIME_ZONE = "Europe/Dublin"
    settings.CLINIC_CURRENCY = "EUR"
    clinic = Clinic.objects.current()
    assert clinic.time_zone == "Europe/Dublin"
    assert clinic.currency == "EUR"
    assert str(clinic.tz) == "Europe/Dublin"


# --- Clinic validation ---------------------------------------------------------


def _clinic(**overrides: str) -> Clinic:
    fields = {"name": "Test", "slug": "test", "time_zone": "Europe/London", "currency": "GBP"}
    fields.update(overrides)
    return Clinic(**fields)


@pytest.mark.parametrize("currency", ["GB", "GBPX", "12A", "£££", ""])
def test_clinic_clean_rejects_bad_currency(currency: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        _clinic(currency=currency).clean()
    assert "currency" in excinfo.value.message_dict


def test_clinic_clean_upper_cases_a_good_currency() -> None:
    clinic = _clinic(currency="eur")
    clinic.clean()
    assert clinic.currency == "EUR"


def test_full_clean_accepts_a_good_clinic() -> None:
    clinic = _clinic()
    clinic.full_clean()  # raises ValidationError if anything is refused
    assert clinic.currency == "GBP"


@pytest.mark.parametrize("name", ["Europe/London", "America/New_York", "UTC", "Asia/Kolkata"])
def test_time_zone_validator_accepts_real_zones(name: str) -> None:
    validate_time_zone(name)  # raises ValidationError if refused
    assert name in zoneinfo.available_timezones()


@pytest.mark.parametrize(
    "name",
    [
        "Mars/Olympus_Mons",
        "Europe/London ",
        "",
        "../etc/passwd",
        "/etc/localtime",
        # A folder of the zone database, not a zone: must be a validation
        # error, not an IsADirectoryError that turns the admin into a 500.
        "Europe",
        "America",
        # A file in the zone database that is not a zone.
        "zone.tab",
    ],
)
def test_time_zone_validator_rejects_non_zones(name: str) -> None:
    with pytest.raises(ValidationError):
        validate_time_zone(name)


def test_full_clean_reports_a_bad_time_zone_on_its_field() -> None:
    with pytest.raises(ValidationError) as excinfo:
        _clinic(time_zone="Europe").full_clean()
    assert set(excinfo.value.message_dict) == {"time_zone"}
