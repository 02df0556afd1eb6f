"""Round 10 of the attacker tests: what a browser keeps, and what outlives a reset."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.models import Alert, AlertLevel
from intake.services import alert_raise
from portal.models import AuditEvent, Role, User
from portal.roles import reset_second_factor
from portal.team_security import TOUCH_EVERY_SECONDS
from practice import privacy_requests
from practice.models import PrivacyRequestKind, ReceivedVia
from tests.conftest import client_for, reauthenticated
from tests.second_factor import give_authenticator

pytestmark = pytest.mark.django_db


def _cookie_text(client: Client) -> str:
    """Every cookie the browser now holds, values decoded as far as a curious reader would."""
    said = []
    for morsel in client.cookies.values():
        said.append(morsel.value)
        for part in morsel.value.split(":"):
            try:
                said.append(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)).decode())
            except (ValueError, UnicodeDecodeError):
                continue
    return " ".join(said)


def test_a_flash_message_about_a_patients_health_stays_off_the_browsers_cookies(
    patient: User, front_desk: User
) -> None:
    """Acknowledging an alert said "Emergency alert about <name> acknowledged." and clearing
    a flag "Flag cleared for <name>. They can book treatment online again": the messages
    framework kept each in a cookie (signed, not encrypted: anyone at the browser, its profile
    on disk or a proxy logging headers reads it) until the next page showed it. Messages now
    stay in the server-side session, which signing out empties."""
    patient.first_name, patient.last_name = "Quentin", "Marlowe"
    patient.save()
    alert, _ = alert_raise(
        patient=patient,
        level=AlertLevel.EMERGENCY,
        kind="intake_red_flag",
        source_key="round10",
        summary="Saddle numbness",
    )
    desk = client_for(front_desk)
    response = desk.post(reverse("intake:acknowledge_alert", args=[alert.pk]))
    assert response.status_code == 302
    kept = _cookie_text(desk)
    assert "Marlowe" not in kept and "Emergency" not in kept
    # The message itself still reaches the page that follows.
    page = desk.get(response["Location"], follow=True).content.decode()
    assert "Emergency alert about Quentin Marlowe acknowledged" in page


def test_resetting_a_second_factor_ends_the_sessions_that_passed_it(
    owner: User, practitioner: User, front_desk: User
) -> None:
    """The owner resets a practitioner's authenticator because the phone was lost or stolen:
    a session that had passed its code (on that phone, say) went on reading records for as
    long as someone kept it busy, and setting up a new app on a new phone did not stop it
    either. Within a minute of the reset such a session is signed out; one whose second
    factor still stands is not."""
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        stolen = client_for(practitioner)
        colleague = client_for(front_desk)
        assert stolen.get("/practice/").status_code == 200
        assert colleague.get("/desk/").status_code == 200
        traveller.shift(timedelta(seconds=TOUCH_EVERY_SECONDS + 1))
        assert stolen.get("/practice/").status_code == 200  # asked again, still standing

        traveller.shift(timedelta(minutes=5))
        assert reset_second_factor(actor=owner, user=practitioner) == 2
        # The practitioner sets up an app on their new phone before the thief's next click.
        give_authenticator(practitioner)
        assert Authenticator.objects.filter(user=practitioner).exists()
        traveller.shift(timedelta(seconds=TOUCH_EVERY_SECONDS + 1))

        response = stolen.get("/practice/")
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
        assert stolen.session.get(SESSION_KEY) is None
        assert colleague.get("/desk/").status_code == 200
        # The practitioner's own new sign-in, through the new app, works.
        assert client_for(practitioner).get("/practice/").status_code == 200


def test_inviting_an_address_another_account_has_proved_changes_nothing(
    owner: User, patient: User
) -> None:
    """The invitation looked for the address only among sign-in emails: one a patient had
    added and confirmed on their email page broke the database's one-verified-owner rule
    half-way through and the owner got a server error. It is now "already has an account",
    naming that account, and nothing is written."""
    EmailAddress.objects.create(
        user=patient, email="second.home@example.com", verified=True, primary=False
    )
    answer = reauthenticated(owner).post(
        reverse("practice:team"),
        {
            "first_name": "Nina",
            "last_name": "Hughes",
            "email": "Second.Home@example.com",
            "role": Role.PRACTITIONER.value,
        },
    )
    assert answer.status_code == 400
    assert f'data-already-registered="{patient.pk}"'.encode() in answer.content
    assert not User.objects.filter(email__iexact="second.home@example.com").exists()
    assert not AuditEvent.objects.exists()


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how many passwords it has hashed (the work that takes time)."""

    hashed = 0

    def encode(self, password: str, salt: str) -> str:
        type(self).hashed += 1
        return super().encode(password, salt)


def test_signing_up_with_a_registered_address_takes_the_same_work(
    patient: User, settings: object
) -> None:
    """With enumeration prevention on, signing up with an address that already has an account
    shows the same page and sends an email instead, but skipped hashing the password: 25 ms
    against 350 ms for a new address (PBKDF2, measured through the test client), so one
    request told a stranger whether someone is a patient of the clinic. Both paths now hash
    it once."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingHasher"]  # type: ignore[attr-defined]
    form = {
        "first_name": "Robin",
        "last_name": "Hart",
        "password1": "a-fresh-and-long-passphrase-42",
        "password2": "a-fresh-and-long-passphrase-42",
    }
    work = []
    for email in ("robin.hart@example.com", patient.email.upper()):
        CountingHasher.hashed = 0
        answer = Client().post(reverse("account_signup"), {**form, "email": email})
        assert answer.status_code == 302
        assert answer["Location"] == reverse("account_email_verification_sent")
        work.append(CountingHasher.hashed)
    assert work[0] >= 1
    assert work[1] == work[0]
    assert User.objects.filter(email__iexact=patient.email).count() == 1
    assert len(mail.outbox) == 2  # a confirmation, and "you already have an account"


def _rectify(patient: User, by: User, note: str) -> str:
    request = privacy_requests.record_request(
        patient=patient,
        kind=PrivacyRequestKind.RECTIFICATION,
        received_via=ReceivedVia.PHONE,
        details="Wants something in their record put right.",
        by=by,
    )
    privacy_requests.decide(request=request, decision="Add their correction.", by=by)
    return privacy_requests.complete_rectification(
        request=request,
        by=by,
        first_name=patient.first_name,
        last_name=patient.last_name,
        email=patient.email,
        phone=str(patient.phone or ""),
        date_of_birth=None,
        note=note,
    )


def test_a_correction_note_with_a_warning_sign_alerts_the_team(
    patient: User, front_desk: User
) -> None:
    """A patient phoning the desk to put their record right may say what they left out of the
    questionnaire. The desk writes it as a correction note beside the clinical record, where
    only the next person to open the patient's overview would read it: no red-flag screen,
    no alert, unlike every other way the patient's own words reach the record. The note now
    goes through the same screen, and a warning sign in it raises a team alert at its level
    (emergency and urgent ones page the team) with a summary that names no symptom."""
    _rectify(patient, front_desk, "Surname is spelt Smyth, not Smith.")
    assert not Alert.objects.filter(patient=patient).exists()

    done = _rectify(
        patient,
        front_desk,
        "Forgot to say: since Tuesday I can't feel my bum on the toilet seat and can't pee.",
    )
    alert = Alert.objects.get(patient=patient)
    assert alert.level == AlertLevel.EMERGENCY
    assert alert.kind == "record_correction"
    assert "pee" not in alert.summary and "toilet" not in alert.summary
    # The step and the audit row (the owner's, who reads no health data) say no more.
    assert done == "Completed: correction note added"
