"""The intake journeys in a real browser: fill in part, leave, resume, send; a red flag; the
practitioner reads the summary and the diary chart; the patient sees who looked."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import Page, expect

from intake.models import HealthAccess, IntakeResponse
from portal.models import Role, User
from tests.booking.factories import PractitionerFactory
from tests.factories import TEST_PASSWORD, UserFactory
from tests.intake.conftest import past_visit
from tests.intake.factories import DiaryEntryFactory

from .conftest import choose, log_in, log_out, shot, shot_both

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery"),
]


def tick(page: Page, question: str, *labels: str) -> None:
    group = page.get_by_role("group", name=question)
    for label in labels:
        group.get_by_label(label).check()


def save_and_continue(page: Page) -> None:
    page.get_by_role("button", name=re.compile("Save and continue|Check your answers")).click()


def test_patient_fills_in_part_leaves_resumes_and_sends(page: Page, live_server) -> None:
    base = live_server.url
    patient = UserFactory.create(email="alex@example.com", first_name="Alex", last_name="Morgan")
    mei = PractitionerFactory.create(
        user=UserFactory.create(email="mei@example.com", first_name="Mei", role=Role.PRACTITIONER),
        display_name="Mei Tanaka",
    )

    log_in(page, base, patient.email)
    page.get_by_role("link", name="Questionnaire").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your health questionnaire")
    shot_both(page, "intake-home")
    page.get_by_role("button", name="Start the questionnaire").click()

    # Step 1, part done, then a mistake: the error is shown and the typed text stays.
    expect(page.get_by_role("heading", level=1)).to_have_text("Your pain")
    page.get_by_label("Your date of birth").fill("1985-06-01")
    page.get_by_label("What is the main problem you would like help with?").fill(
        "Low back pain for three years, no pain-free moment."
    )
    tick(page, "Where do you feel it?", "Lower back", "Buttock")
    choose(page, "How bad is the pain right now?", "7")
    choose(page, "How bad is it at its worst?", "5")
    save_and_continue(page)
    expect(page.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page.get_by_label("What is the main problem you would like help with?")).to_have_value(
        "Low back pain for three years, no pain-free moment."
    )
    shot_both(page, "intake-step-errors")

    # Leave half-way; log out; come back and carry on where it was left.
    page.get_by_role("button", name="Save and finish later").click()
    expect(page.locator(".message--success")).to_contain_text("Your answers are saved")
    log_out(page)
    log_in(page, base, patient.email)
    page.goto(f"{base}/me/intake/")
    shot_both(page, "intake-resume")
    page.get_by_role("button", name=re.compile("^Continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your pain")
    expect(
        page.get_by_role("group", name="How bad is the pain right now?").get_by_label(
            "7", exact=True
        )
    ).to_be_checked()

    tick(page, "Which side?", "Both sides or the middle")
    choose(page, "Does the pain spread into your buttock or down your leg?", "No")
    tick(page, "How long have you had it?", "More than a year")
    choose(page, "How bad is it at its worst?", "9")
    choose(page, "How bad is it at its best?", "4")
    shot_both(page, "intake-step-pain")
    save_and_continue(page)

    # Diagnoses: surgery details appear only after "yes".
    expect(page.get_by_role("heading", level=1)).to_have_text("Diagnoses, scans and surgery")
    tick(
        page,
        "Has a doctor told you that you have any of these?",
        "Disc degeneration",
        "Modic (endplate) changes",
    )
    tick(page, "Have you had any scans of your back?", "MRI scan")
    expect(page.get_by_text("Which operation?")).to_be_hidden()
    choose(page, "Have you had an operation on your back?", "Yes")
    expect(page.get_by_text("Which operation?")).to_be_visible()
    choose(page, "Have you had an operation on your back?", "No")
    save_and_continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Medication")
    tick(page, "Do you take any of these?", "Strong painkillers (opioids)")
    page.get_by_label("Which medicines do you take, and how often?").fill(
        "Tramadol 50 mg twice a day"
    )
    save_and_continue(page)

    # "None of these" by reflex, then a real answer: the browser keeps "None" alone (ticking one
    # clears the other), so the page does not come back with an error for ticking both.
    expect(page.get_by_role("heading", level=1)).to_have_text("Needling safety")
    safety = page.get_by_role("group", name="Do any of these apply to you?")
    tick(page, "Do any of these apply to you?", "None of these")
    tick(page, "Do any of these apply to you?", "You are frightened of needles")
    expect(safety.get_by_label("None of these")).not_to_be_checked()
    tick(page, "Do any of these apply to you?", "None of these")
    expect(safety.get_by_label("You are frightened of needles")).not_to_be_checked()
    tick(page, "Do any of these apply to you?", "You are frightened of needles")
    save_and_continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Important symptoms")
    for group in page.get_by_role("group").all():
        group.get_by_label("No", exact=True).check()
    shot_both(page, "intake-step-red-flags")
    save_and_continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Acupuncture before")
    choose(page, "Have you had acupuncture before?", "Yes")
    tick(page, "How did you feel in the days afterwards?", "Worse for several days or longer")
    save_and_continue(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Worries and hopes")
    page.get_by_label("Is there anything you are worried about?").fill("<b>That it flares up</b>")
    save_and_continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your GP and an emergency contact")
    page.get_by_label("A phone number we can reach you on").fill("07700 900201")
    page.get_by_label("Your GP (family doctor) or practice").fill("Dr Okonjo, Redland Surgery")
    page.get_by_label("Emergency contact's name").fill("Sam Morgan")
    page.get_by_label("Emergency contact's phone").fill("07700 900202")
    save_and_continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Your consent")
    page.get_by_label(re.compile("^I agree to be assessed")).check()
    page.get_by_label(re.compile("^I agree that the clinic may keep")).check()
    save_and_continue(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    expect(page.get_by_text("<b>That it flares up</b>")).to_be_visible()  # shown escaped
    shot_both(page, "intake-review")
    page.get_by_role("button", name="Send to the clinic").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your answers are with the clinic"
    )
    shot_both(page, "intake-sent")
    sent = IntakeResponse.objects.get(patient=patient, status="submitted")
    assert sent.answers["pain_worst"] == 9 and sent.answers["reaction"] == "worse"

    # A few diary entries, and a visit, for the chart.
    now = timezone.now()
    for days, pain in ((20, 7), (15, 6), (11, 7), (6, 5), (2, 4)):
        DiaryEntryFactory.create(
            patient=patient, pain=pain, recorded_at=now - timedelta(days=days), note="ok"
        )
    past_visit(patient, mei, starts_at=now - timedelta(days=12))
    page.goto(f"{base}/me/diary/")
    choose(page, "How bad is your pain?", "3")
    page.get_by_label("After treatment").check()
    page.get_by_label("Note").fill("Sat through a whole film")
    page.get_by_role("button", name="Add to my diary").click()
    expect(page.locator(".message--success")).to_contain_text("Added to your pain diary")
    expect(page.locator("svg.pain-chart__svg")).to_be_visible()
    page.get_by_text("Pain scores and visits as a table").click()
    expect(page.get_by_role("cell", name="Sat through a whole film")).to_be_visible()
    shot_both(page, "intake-diary")
    log_out(page)

    # The practitioner who treats Alex reads the summary (cautions first) and the chart.
    log_in(page, base, "mei@example.com")
    page.goto(f"{base}/practice/patients/{patient.pk}/intake/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Alex Morgan")
    cautions = page.locator(".caution-list")
    expect(cautions).to_contain_text("Frightened of needles")
    expect(cautions).to_contain_text("Felt worse for several days after acupuncture before")
    shot_both(page, "intake-practice-summary")
    page.get_by_role("link", name="Pain diary").click()
    expect(page.locator("svg.pain-chart__svg .pc-visits path")).to_have_count(1)
    shot_both(page, "intake-practice-diary")
    log_out(page)
    assert set(HealthAccess.objects.values_list("what", flat=True)) == {
        # The practitioner's dashboard named Alex (what the questionnaire raised) on signing in.
        "alerts and flags on the team's dashboard",
        "intake questionnaire",
        "pain diary",
    }

    # Alex sees who looked.
    log_in(page, base, patient.email)
    page.goto(f"{base}/me/privacy/")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Mei")
    expect(page.locator("tbody")).to_contain_text("Alerts and flags on the team's dashboard")
    shot_both(page, "intake-privacy")


def test_a_red_flag_answer_shows_urgent_advice_and_alerts_the_practitioners(
    page: Page, live_server
) -> None:
    base = live_server.url
    patient = UserFactory.create(email="jo@example.com", first_name="Jo", last_name="Banks")
    practitioner = UserFactory.create(
        email="david@example.com", first_name="David", role=Role.PRACTITIONER
    )
    PractitionerFactory.create(user=practitioner, display_name="David Rhys")

    log_in(page, base, patient.email)
    page.goto(f"{base}/me/intake/")
    page.get_by_role("button", name="Start the short version").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("About you and your pain")
    page.get_by_label("A phone number we can reach you on").fill("07700 900777")
    page.get_by_label("Your date of birth").fill("1990-02-01")
    page.get_by_label("What is the main problem you would like help with?").fill("Back pain")
    tick(page, "How long have you had it?", "More than a year")
    choose(page, "How bad is the pain right now?", "8")
    save_and_continue(page)
    for group in page.get_by_role("group").all():
        group.get_by_label("No", exact=True).check()
    choose(page, "A fever, or feeling hot and shivery or unwell, with your back pain?", "Yes")
    save_and_continue(page)
    page.get_by_label(re.compile("^I agree to be assessed")).check()
    page.get_by_label(re.compile("^I agree that the clinic may keep")).check()
    save_and_continue(page)
    page.get_by_role("button", name="Send to the clinic").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Please get medical advice today")
    expect(page.get_by_role("alert")).to_contain_text("999")
    shot_both(page, "intake-urgent")
    # The team is paged (no staff here) and the patient gets their level's advice by email.
    assert sorted(m.to[0] for m in mail.outbox) == sorted([practitioner.email, patient.email])

    # Booking treatment online is paused for Jo.
    log_out(page)

    log_in(page, base, practitioner.email)
    expect(page.get_by_role("heading", name=re.compile("Needs attention now"))).to_be_visible()
    shot_both(page, "intake-practitioner-dashboard")
    # Jo is new: nobody has a visit with her yet, so David is not "caring" for her. The alert
    # names her for the whole team, and he reads the record with a reason, which is logged.
    expect(page.locator("[data-paging-alerts]")).to_contain_text("Jo Banks")
    expect(page.locator("[data-paging-alerts]")).not_to_contain_text("shivery")
    page.get_by_role("link", name=re.compile("See this record anyway")).first.click()
    page.get_by_label("Password").fill(TEST_PASSWORD)  # asked again before any health data
    page.get_by_role("button", name="Confirm").click()
    page.get_by_label("Why do you need to read this record?").fill("Urgent alert from her intake")
    page.get_by_role("button", name="Read the record").click()
    expect(page.get_by_role("alert")).to_contain_text("A fever, or feeling hot and shivery")
    shot(page, "intake-practice-red-flag-laptop")
    page.goto(f"{base}/practice/")
    page.get_by_role("button", name=re.compile("^Clear “Urgent")).click()
    expect(page.locator(".message--success")).to_contain_text(
        "They can book treatment online again"
    )
    assert not User.objects.get(pk=patient.pk).flags.filter(cleared_at__isnull=True).exists()
