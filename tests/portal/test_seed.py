"""seed_demo: the demo clinic and its people, the same every time."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from intake.demo import LEVEL_PATIENTS
from portal.authenticators import totp_code
from portal.demo import CLINIC, DEMO_PASSWORD, DEMO_RECOVERY_CODES, DEMO_TOTP_SECRET, PEOPLE
from portal.models import Clinic, Role, User
from portal.services import STAFF_GROUP
from practice.demo import COMMUNITY_PATIENTS, PRIVATE_PATIENTS

pytestmark = pytest.mark.django_db

# The sample patients, the community-room regulars and Mei's other private patients practice.demo
# seeds (no logins), and the
# patients intake.demo seeds to show the triage levels (with logins).
EXPECTED_COUNTS = {
    Role.PRACTITIONER: 3,
    Role.STAFF: 2,
    Role.PATIENT: 4 + len(COMMUNITY_PATIENTS) + len(PRIVATE_PATIENTS) + len(LEVEL_PATIENTS),
}


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    # Seeding hashes nine passwords; the real hasher would make this file slow
    # without testing anything more about the demo.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


def _counts() -> dict[str, int]:
    return {role: User.objects.filter(role=role).count() for role in Role}


def _snapshot() -> list[tuple[object, ...]]:
    return list(
        User.objects.order_by("email").values_list(
            "pk", "email", "role", "clinic_id", "is_staff", "is_superuser", "first_name"
        )
    )


def test_seeding_twice_gives_the_same_clinic_and_people() -> None:
    _seed()
    first = _snapshot()
    clinic_pk = Clinic.objects.get().pk

    _seed()

    assert Clinic.objects.count() == 1
    assert Clinic.objects.get().pk == clinic_pk
    assert _counts() == EXPECTED_COUNTS
    assert User.objects.count() == (
        9 + len(COMMUNITY_PATIENTS) + len(PRIVATE_PATIENTS) + len(LEVEL_PATIENTS)
    )
    assert _snapshot() == first
    assert EmailAddress.objects.count() == 9 + len(LEVEL_PATIENTS)
    assert not User.objects.exclude(clinic_id=clinic_pk).exists()


def test_the_demo_clinic_has_its_details() -> None:
    _seed()
    clinic = Clinic.objects.get()
    for field, value in CLINIC.items():
        assert getattr(clinic, field) == value
    clinic.full_clean()


def test_every_demo_person_can_log_in_and_lands_on_their_dashboard() -> None:
    _seed()
    marker = {Role.PATIENT: "patient", Role.PRACTITIONER: "practitioner", Role.STAFF: "staff"}
    for person in PEOPLE:
        client = Client()
        response = client.post(
            reverse("account_login"),
            {"login": person.email, "password": DEMO_PASSWORD},
            follow=True,
        )
        if person.role != Role.PATIENT:
            # The team signs in with the demo's documented authenticator secret.
            assert SESSION_KEY not in client.session, person.email
            response = client.post(
                reverse("mfa_authenticate"), {"code": totp_code(DEMO_TOTP_SECRET)}, follow=True
            )
        user = User.objects.get(email=person.email)
        assert client.session.get(SESSION_KEY) == str(user.pk), person.email
        assert (user.first_name, user.last_name, user.role) == (
            person.first_name,
            person.last_name,
            person.role,
        )
        body = response.content.decode()
        assert f'data-dashboard="{marker[person.role]}"' in body, person.email


def test_demo_addresses_are_verified_and_primary() -> None:
    _seed()
    for person in PEOPLE:
        address = EmailAddress.objects.get(email=person.email)
        assert address.verified and address.primary


def test_the_owner_is_a_superuser_and_the_front_desk_is_staff_with_the_group() -> None:
    _seed()
    owner = User.objects.get(email="owner@clinic.example")
    assert owner.is_superuser and owner.is_staff and owner.role == Role.STAFF
    desk = User.objects.get(email="desk@clinic.example")
    assert desk.is_staff and not desk.is_superuser
    assert desk.groups.filter(name=STAFF_GROUP).exists()
    assert desk.has_perm("portal.change_clinic")
    for person in PEOPLE:
        if person.role != Role.STAFF:
            user = User.objects.get(email=person.email)
            assert not user.is_staff and not user.is_superuser
            assert not user.groups.exists()


def test_only_the_owner_is_a_superuser() -> None:
    _seed()
    assert list(User.objects.filter(is_superuser=True).values_list("email", flat=True)) == [
        "owner@clinic.example"
    ]


def test_output_lists_every_login_and_the_password() -> None:
    output = _seed()
    assert DEMO_PASSWORD in output
    for person in PEOPLE:
        line = next(line for line in output.splitlines() if person.email in line)
        assert person.role.label in line


def test_seeding_reuses_a_placeholder_clinic() -> None:
    # The portal made its clinic on first page view, before anyone seeded.
    placeholder = Clinic.objects.current()
    assert placeholder.slug == "clinic"

    _seed()

    assert Clinic.objects.count() == 1
    clinic = Clinic.objects.get()
    assert clinic.pk == placeholder.pk
    assert clinic.slug == CLINIC["slug"]
    assert clinic.name == CLINIC["name"]


def test_reseeding_keeps_a_password_a_person_changed() -> None:
    # Refreshing the demo must not silently reset someone's own password.
    _seed()
    alex = User.objects.get(email="alex@patient.example")
    alex.set_password("my-own-new-password-99")
    alex.save()
    _seed()
    alex.refresh_from_db()
    assert alex.check_password("my-own-new-password-99")


def test_reseeding_restores_demo_roles() -> None:
    _seed()
    mei = User.objects.get(email="mei@clinic.example")
    mei.role = Role.PATIENT
    mei.save()
    _seed()
    mei.refresh_from_db()
    assert mei.role == Role.PRACTITIONER
    assert _counts() == EXPECTED_COUNTS


def test_seeding_adopts_a_demo_address_typed_in_another_case() -> None:
    # Someone added Mei by hand before seeding, capitalised; emails are unique
    # whatever the case, so the seed must adopt her rather than crash.
    existing = User(email="Mei@Clinic.example", first_name="M")
    existing.save()
    EmailAddress.objects.create(user=existing, email=existing.email, primary=True)
    _seed()
    assert User.objects.filter(email__iexact="mei@clinic.example").count() == 1
    existing.refresh_from_db()
    assert existing.role == Role.PRACTITIONER
    assert existing.email == "mei@clinic.example"
    addresses = EmailAddress.objects.filter(user=existing)
    assert [(a.email, a.verified, a.primary) for a in addresses] == [
        ("mei@clinic.example", True, True)
    ]
    assert _counts() == EXPECTED_COUNTS


def test_each_demo_team_member_can_sign_in_with_a_printed_recovery_code_once() -> None:
    _seed()
    desk = User.objects.get(email="desk@clinic.example")
    code = DEMO_RECOVERY_CODES[0]
    for attempt in ("first", "second"):
        client = Client()
        client.post(reverse("account_login"), {"login": desk.email, "password": DEMO_PASSWORD})
        response = client.post(reverse("mfa_authenticate"), {"code": code})
        signed_in = client.session.get(SESSION_KEY) == str(desk.pk)
        assert signed_in == (attempt == "first"), attempt
    assert response.status_code == 200  # the form again, with its error
    assert "Incorrect code" in response.content.decode()


def test_patients_get_no_authenticator_from_the_demo() -> None:
    from allauth.mfa.models import Authenticator

    _seed()
    _seed()  # seeding again replaces the team's authenticators, never adds a second
    team = User.objects.exclude(role=Role.PATIENT)
    assert Authenticator.objects.filter(user__in=team, type="totp").count() == team.count() == 5
    assert not Authenticator.objects.exclude(user__in=team).exists()


def test_demo_totp_prints_the_code_the_sign_in_accepts() -> None:
    _seed()
    out = StringIO()
    call_command("demo_totp", stdout=out)
    assert totp_code(DEMO_TOTP_SECRET) in out.getvalue()
    assert DEMO_TOTP_SECRET in out.getvalue()
