"""The privacy notice is public and linked where patients agree to things, and every
submitted questionnaire records the version of the consent wording agreed to."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from intake.models import IntakeResponse
from intake.questionnaire import CONSENT_VERSION, FULL, FULL_V2, consent_section
from intake.services import intake_start, intake_submit
from portal.models import Clinic, User
from portal.privacy_notice import ICO_HELPLINE, NOTICE_VERSION
from tests.conftest import client_for
from tests.intake.factories import full_answers
from tests.intake.test_services import fill

pytestmark = pytest.mark.django_db

# The words each consent version stood for. Changing the consent wording or the privacy
# notice changes the fingerprint: give the new words a new CONSENT_VERSION (and
# NOTICE_VERSION) and add its fingerprint here, so every stored response still says which
# words it agreed to.
FINGERPRINTS = {
    "2026-12-05": "d802beb7f0113514ef253e9768e4d0209c2c1a9bddb416348ba2d210734b2833",
}


def consent_fingerprint() -> str:
    section = consent_section()
    notice = Path(settings.BASE_DIR, "templates", "portal", "privacy_notice.html").read_text()
    words = [NOTICE_VERSION, section.intro, *(q.label for q in section.questions), notice]
    return hashlib.sha256("\n".join(words).encode()).hexdigest()


def test_changing_the_consent_words_needs_a_new_version() -> None:
    assert FINGERPRINTS.get(CONSENT_VERSION) == consent_fingerprint(), (
        "The consent wording or privacy notice changed: give it a new CONSENT_VERSION and "
        "NOTICE_VERSION and record the new fingerprint in FINGERPRINTS."
    )


def test_a_submitted_response_records_the_consent_version(patient: User) -> None:
    draft = fill(intake_start(patient=patient, kind=FULL), full_answers())
    assert draft.consent_version == ""
    intake_submit(response=draft)
    assert IntakeResponse.objects.get(pk=draft.pk).consent_version == CONSENT_VERSION
    assert FULL_V2.sections[-1].slug == consent_section().slug


def test_the_patient_reads_the_consent_version_as_a_date(patient: User) -> None:
    draft = fill(intake_start(patient=patient, kind=FULL), full_answers())
    intake_submit(response=draft)
    IntakeResponse.objects.filter(pk=draft.pk).update(consent_version="2026-12-05")
    page = client_for(patient).get(f"/me/intake/{draft.pk}/").content.decode()
    assert "under the wording of 5 December 2026" in page
    assert "2026-12-05" not in page


def test_the_notice_is_public_and_says_who_what_how_long_and_where_to_complain(
    clinic: Clinic,
) -> None:
    clinic.health_record_retention_years = 10
    clinic.email = "hello@clinic.example"
    clinic.save()
    page = Client().get(reverse("privacy_notice"))
    assert page.status_code == 200
    text = page.content.decode()
    assert f"{clinic.name} is the data controller" in text
    assert "hello@clinic.example" in text
    assert "Health records: 10 years after your last treatment" in text
    assert ICO_HELPLINE in text and "ico.org.uk" in text
    assert f"version {NOTICE_VERSION}" in text


def test_the_notice_is_linked_from_sign_up_the_consent_step_and_every_page(
    patient: User,
) -> None:
    link = reverse("privacy_notice")
    signup = Client().get(reverse("account_signup")).content.decode()
    assert f'href="{link}" data-link="privacy-notice"' in signup
    client = client_for(patient)
    draft = intake_start(patient=patient, kind=FULL)
    step = client.get(reverse("intake:step", args=[draft.pk, "consent"])).content.decode()
    assert 'data-link="privacy-notice"' in step and link in step
    assert link in client.get(reverse("patient_dashboard")).content.decode()
