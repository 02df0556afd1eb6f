"""setup_clinic: a real clinic's first day on an empty database, re-runs that update, bad input
refused with every reason and nothing written, and the team's invitations; seed_demo refuses
the production profile."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from booking.models import MultibedShift, PriceRule, Room, Service, ServiceKind, WeeklyHours
from followup.models import MessageKind, OutboxMessage
from followup.outbox import deliver
from portal.models import Clinic, Role, User
from practice.clinic_setup.hours import parse_hours
from practice.clinic_setup.spec import SetupError
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "clinic-setup.example.toml"
OWNER = "helen@riverside-acupuncture.example"
MEI = "mei@riverside-acupuncture.example"
DAVID = "david@riverside-acupuncture.example"


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def setup(*args: str) -> str:
    out = StringIO()
    call_command("setup_clinic", *args, stdout=out)
    return out.getvalue()


def counts() -> tuple[int, ...]:
    return (
        Clinic.objects.count(),
        User.objects.count(),
        Service.objects.count(),
        WeeklyHours.objects.count(),
        Room.objects.count(),
        MultibedShift.objects.count(),
        OutboxMessage.objects.count(),
        EmailAddress.objects.count(),
    )


def test_a_fresh_database_gets_the_clinic_team_services_and_room() -> None:
    assert not User.objects.exists() and not Clinic.objects.exists()
    out = setup("--file", str(EXAMPLE), "--no-input")
    clinic = Clinic.objects.get()
    assert (clinic.name, clinic.time_zone, clinic.currency) == (
        "Riverside Acupuncture",
        "Europe/London",
        "GBP",
    )
    assert clinic.email_from == "Riverside Acupuncture <bookings@riverside-acupuncture.example>"
    owner = User.objects.get(email=OWNER)
    assert owner.is_superuser and owner.is_staff and owner.role == Role.STAFF
    assert not owner.has_usable_password()  # no password anywhere: an invitation instead
    mei = User.objects.get(email=MEI)
    assert mei.role == Role.PRACTITIONER and not mei.has_usable_password()
    assert EmailAddress.objects.filter(email=MEI, verified=True, primary=True).exists()
    assert set(
        OutboxMessage.objects.filter(kind=MessageKind.TEAM_INVITATION).values_list(
            "recipient__email", flat=True
        )
    ) == {OWNER, MEI, DAVID}
    hours = WeeklyHours.objects.filter(practitioner__user=mei)
    assert hours.count() == 10  # Mon-Fri, two ranges
    prices = {s.slug: s for s in Service.objects.all()}
    assert prices["initial-consultation-and-treatment"].price_minor == 6500
    assessment = prices["free-15-minute-assessment"]
    assert assessment.kind == ServiceKind.ASSESSMENT and assessment.price_rule == PriceRule.FREE
    assert [p.user.email for p in assessment.practitioners.all()] == [MEI]
    community = prices["community-clinic-place"]
    assert (community.price_rule, community.price_min_minor, community.price_max_minor) == (
        PriceRule.SLIDING,
        1500,
        3500,
    )
    assert (community.price_minor, community.price_step_minor) == (2500, 500)
    assert [p.user.email for p in community.practitioners.all()] == [DAVID]
    room = Room.objects.get()
    assert room.recliners == 5
    assert sorted(d for d in room.shifts.values_list("weekday", flat=True) if d is not None) == [
        1,
        3,
    ]
    # No demo data, and nothing secret in what it prints.
    assert not User.objects.filter(email__endswith="@clinic.example").exists()
    assert not User.objects.filter(role=Role.PATIENT).exists()
    assert "password" not in out.lower().replace("choose a password", "")


def test_running_it_again_updates_and_never_duplicates(tmp_path: Path) -> None:
    setup("--file", str(EXAMPLE), "--no-input")
    before = counts()
    setup("--file", str(EXAMPLE), "--no-input")
    assert counts() == before  # no second invitation either
    changed = (
        EXAMPLE.read_text()
        .replace('price = "50.00"', 'price = "55.00"')
        .replace('hours = ["Mon-Fri 09:00-12:30, 13:30-17:30"]', 'hours = ["Mon-Thu 10:00-16:00"]')
        .replace("recliners = 5", "recliners = 6")
    )
    path = tmp_path / "clinic.toml"
    path.write_text(changed)
    out = setup("--file", str(path), "--no-input")
    assert "Practitioner mei@riverside-acupuncture.example: updated." in out
    assert Service.objects.get(slug="follow-up-treatment").price_minor == 5500
    assert WeeklyHours.objects.filter(practitioner__user__email=MEI).count() == 4
    assert Room.objects.get().recliners == 6
    assert counts()[:3] == before[:3] and Service.objects.count() == 4


def test_bad_input_is_refused_with_every_reason_and_nothing_written(tmp_path: Path) -> None:
    bad = {
        "clinic": {"name": "", "time_zone": "Europe/Lundon", "currency": "pounds"},
        "owner": {"email": "not-an-email", "first_name": "Helen"},
        "practitioners": [
            {"email": "mei@example.org", "first_name": "Mei", "hours": ["Mon-Fri 17:00-09:00"]},
            {"email": "mei@example.org", "first_name": "Mei again"},
        ],
        "services": [
            {"name": "Treatment", "kind": "private", "minutes": 45, "price": "sixty"},
            {"name": "Assessment", "kind": "assessment", "minutes": 15, "price": "20"},
            {
                "name": "Community",
                "kind": "multibed",
                "minutes": 50,
                "price": {"min": "35", "max": "15"},
            },
            {"name": "Massage", "kind": "spa", "minutes": 2},
        ],
        "rooms": [{"name": "Room", "recliners": 50, "shifts": ["Tue 18:00-20:00 nobody@x.org"]}],
    }
    path = tmp_path / "clinic.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(CommandError) as raised:
        setup("--file", str(path), "--no-input")
    message = str(raised.value)
    assert message.startswith("Nothing was changed.")
    for expected in (
        "clinic.name: is required",
        "owner.email: 'not-an-email' is not an email address",
        "practitioners[0].hours[0]: '17:00-09:00' ends before it starts",
        "practitioners: 'mei@example.org' is listed twice",
        "services[0].price: 'sixty' is not an amount",
        "services[1].price: an assessment is free",
        "services[2].price: the lowest amount must be below the highest",
        "services[3].kind: 'spa' should be one of",
        "services[3].minutes: should be between 5 and 480, not 2",
        "services[3].price: is required",
        "rooms[0].recliners: should be between 1 and 20, not 50",
        "rooms[0].shifts[0]: should end with the email of who runs it",
    ):
        assert expected in message
    assert not User.objects.exists() and not Service.objects.exists()


def test_values_only_the_database_can_check_roll_everything_back(tmp_path: Path) -> None:
    text = EXAMPLE.read_text().replace('time_zone = "Europe/London"', 'time_zone = "Europe"')
    path = tmp_path / "clinic.toml"
    path.write_text(text)
    with pytest.raises(CommandError, match=r"clinic.time_zone: 'Europe' is not a time zone"):
        setup("--file", str(path), "--no-input")
    assert not User.objects.exists() and not Service.objects.exists()
    assert not OutboxMessage.objects.exists()


def test_unreadable_files_and_no_file_say_so(tmp_path: Path) -> None:
    broken = tmp_path / "clinic.toml"
    broken.write_text("[clinic\nname = 1")
    with pytest.raises(CommandError, match="is not valid TOML"):
        setup("--file", str(broken), "--no-input")
    with pytest.raises(CommandError, match="Cannot read"):
        setup("--file", str(tmp_path / "missing.toml"), "--no-input")
    with pytest.raises(CommandError, match="Give --file"):
        setup("--no-input")


def test_hours_read_as_people_write_them() -> None:
    hours = parse_hours(["Mon-Wed 09:00-12:30, 13:30-17:00", "Sat 10:00-13:00"], "hours")
    assert len(hours) == 7 and {h.weekday for h in hours} == {0, 1, 2, 5}
    for wrong in (
        "Someday 09:00-10:00",
        "Mon 9-10",
        "Mon 09:00-10:00, 09:30-11:00",
        "Fri-Mon 09:00-10:00",
    ):
        with pytest.raises(SetupError):
            parse_hours([wrong], "hours")


def test_the_invitation_is_the_clinics_and_its_link_sets_a_password() -> None:
    setup("--file", str(EXAMPLE), "--no-input")
    row = OutboxMessage.objects.get(kind=MessageKind.TEAM_INVITATION, recipient__email=MEI)
    mail.outbox.clear()
    assert deliver(row.pk) == "sent"
    (email,) = mail.outbox
    assert email.from_email == "Riverside Acupuncture <bookings@riverside-acupuncture.example>"
    assert email.to == [MEI]
    assert "Mei" not in email.subject and "authenticator app" in email.body
    link = re.search(r"https?://\S+/password/reset/key/\S+", str(email.body))
    assert link is not None
    client = Client()
    page = client.get(urlparse(link.group(0)).path, follow=True)
    assert page.status_code == 200
    form_path = page.redirect_chain[-1][0] if page.redirect_chain else urlparse(link.group(0)).path
    done = client.post(
        form_path,
        {"password1": "a long new pass phrase 42", "password2": "a long new pass phrase 42"},
    )
    assert done.status_code == 302
    assert User.objects.get(email=MEI).check_password("a long new pass phrase 42")
    # Once the person has signed in, a leftover invitation is not sent.
    User.objects.filter(email=MEI).update(last_login="2026-01-01T00:00:00Z")
    OutboxMessage.objects.filter(pk=row.pk).update(status="pending", attempts=0)
    assert deliver(row.pk) == "skipped"


def test_interactively_the_owner_types_a_password_that_is_never_printed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter(["a sound pass phrase 77", "a sound pass phrase 77"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    out = setup("--file", str(EXAMPLE))
    owner = User.objects.get(email=OWNER)
    assert owner.check_password("a sound pass phrase 77")
    assert "a sound pass phrase 77" not in out
    assert "Owner helen@riverside-acupuncture.example: password set." in out
    # The owner has a password: only the practitioners are invited.
    invited = OutboxMessage.objects.filter(kind=MessageKind.TEAM_INVITATION)
    assert set(invited.values_list("recipient__email", flat=True)) == {MEI, DAVID}


def test_a_weak_owner_password_is_refused_and_nothing_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = iter(["12345678", "12345678"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    with pytest.raises(CommandError, match="owner password: This password is too common"):
        setup("--file", str(EXAMPLE))
    assert not User.objects.exists()


def test_a_changed_owner_address_is_refused_rather_than_making_a_second_owner(
    tmp_path: Path,
) -> None:
    setup("--file", str(EXAMPLE), "--no-input")
    before = counts()
    path = tmp_path / "clinic.toml"
    path.write_text(EXAMPLE.read_text().replace(OWNER, "new-owner@riverside-acupuncture.example"))
    with pytest.raises(CommandError, match=rf"already has an owner \({re.escape(OWNER)}\)"):
        setup("--file", str(path), "--no-input")
    assert counts() == before
    assert list(User.objects.filter(is_superuser=True).values_list("email", flat=True)) == [OWNER]
    # Corrected on the account first (the message's advice), the file then matches it.
    User.objects.filter(email=OWNER).update(email="new-owner@riverside-acupuncture.example")
    setup("--file", str(path), "--no-input")
    assert User.objects.filter(is_superuser=True).count() == 1


def test_a_patients_account_is_not_turned_into_the_team(tmp_path: Path, clinic: Clinic) -> None:
    email = UserFactory.create(role=Role.PATIENT).email
    path = tmp_path / "clinic.toml"
    path.write_text(EXAMPLE.read_text().replace(MEI, email))
    with pytest.raises(CommandError, match="this is a patient's account"):
        setup("--file", str(path), "--no-input")
    assert User.objects.get(email=email).role == Role.PATIENT


def test_an_address_a_patient_has_confirmed_is_not_given_to_the_team(
    tmp_path: Path, clinic: Clinic
) -> None:
    # Mei's address is a patient's second, confirmed address (allauth lets one account own a
    # confirmed address): the file must not make a second account with it half-way.
    patient = UserFactory.create(role=Role.PATIENT)
    EmailAddress.objects.create(user=patient, email=MEI, verified=True, primary=False)
    path = tmp_path / "clinic.toml"
    path.write_text(EXAMPLE.read_text())
    before = counts()
    with pytest.raises(CommandError, match="this is a patient's account"):
        setup("--file", str(path), "--no-input")
    assert counts() == before


def test_seed_demo_refuses_the_production_profile() -> None:
    with override_settings(PRODUCTION=True), pytest.raises(CommandError) as raised:
        call_command("seed_demo", stdout=StringIO())
    assert "only runs in the demo" in str(raised.value)
    assert "setup_clinic" in str(raised.value)
    assert not User.objects.exists()


def test_without_a_file_it_asks_each_question(monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter(
        [
            # The clinic: name, address, phone, email, From, time zone (kept), currency (kept).
            "Harbour Acupuncture",
            "1 Quay Street, Bristol",
            "0117 496 0999",
            "hello@harbour.example",
            "Harbour Acupuncture <bookings@harbour.example>",
            "",
            "",
            # The owner.
            "owner@harbour.example",
            "Ana",
            "Silva",
            # One practitioner, a wrong line of hours (asked again), then two right ones.
            "li@harbour.example",
            "Li",
            "Wei",
            "Acupuncturist",
            "Mon-Fri 9-5",
            "Mon-Thu 09:00-13:00",
            "Fri 10:00-14:00",
            "",
            "",
            # Services: a fixed price, a free assessment, a sliding scale.
            "Treatment",
            "private",
            "45",
            "",
            "55",
            "Assessment",
            "assessment",
            "15",
            "",
            "Community clinic",
            "multibed",
            "50",
            "",
            "15-35",
            "20",
            "",
            # The room and its one shift.
            "Community room",
            "4",
            "Wed 17:00-20:00 li@harbour.example",
            "",
        ]
    )
    passwords = iter(["harbour sea breeze 2027", "harbour sea breeze 2027"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(passwords))
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    out = StringIO()
    err = StringIO()
    call_command("setup_clinic", stdout=out, stderr=err)
    assert "'9-5' is not a time range" in err.getvalue()
    clinic = Clinic.objects.get()
    assert (clinic.name, clinic.time_zone, clinic.currency) == (
        "Harbour Acupuncture",
        "Europe/London",
        "GBP",
    )
    assert User.objects.get(email="owner@harbour.example").check_password("harbour sea breeze 2027")
    assert WeeklyHours.objects.filter(practitioner__user__email="li@harbour.example").count() == 5
    community = Service.objects.get(slug="community-clinic")
    assert (community.price_min_minor, community.price_max_minor, community.price_minor) == (
        1500,
        3500,
        2000,
    )
    assert Service.objects.get(slug="assessment").price_rule == PriceRule.FREE
    assert Room.objects.get().shifts.get().weekday == 2
    assert "harbour sea breeze" not in out.getvalue() + err.getvalue()
