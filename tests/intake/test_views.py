"""Intake pages: anonymous, owner, stranger and wrong-method cases; nothing typed is lost."""

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from intake.models import Alert, AlertLevel, FlagKind, HealthAccess, IntakeResponse, PatientFlag
from intake.questionnaire import FULL, FULL_V2, SHORT
from intake.services import alert_raise, flag_raise, intake_start
from tests.conftest import client_for
from tests.intake.conftest import past_visit
from tests.intake.factories import DiaryEntryFactory, IntakeResponseFactory, full_answers, raw

pytestmark = pytest.mark.django_db


def step_url(draft: IntakeResponse, slug: str) -> str:
    return reverse("intake:step", args=[draft.pk, slug])


def section_values(slug: str, answers: dict[str, object]) -> dict[str, object]:
    section = FULL_V2.section(slug)
    assert section is not None
    values = raw(answers)
    return {q.key: values[q.key] for q in section.questions if q.key in values}


def assert_no_store(response) -> None:
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("name", ["intake:home", "intake:diary", "intake:privacy"])
def test_patient_pages_need_a_login_and_are_not_cached(name, patient) -> None:
    assert Client().get(reverse(name)).status_code == 302
    response = client_for(patient).get(reverse(name))
    assert response.status_code == 200
    assert_no_store(response)


def test_team_members_cannot_open_patient_pages(practitioner) -> None:
    assert client_for(practitioner).get(reverse("intake:home")).status_code == 403


def test_start_creates_a_draft_and_opens_the_first_step(patient) -> None:
    client = client_for(patient)
    assert client.get(reverse("intake:start")).status_code == 405
    response = client.post(reverse("intake:start"), {"kind": FULL})
    draft = IntakeResponse.objects.get(patient=patient)
    assert response["Location"] == step_url(draft, "pain")
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"Step 1 of 9" in page.content
    assert_no_store(page)


def test_another_patients_draft_is_404(patient, other_patient) -> None:
    draft = intake_start(patient=other_patient, kind=FULL)
    client = client_for(patient)
    assert client.get(step_url(draft, "pain")).status_code == 404
    assert client.post(step_url(draft, "pain"), {"pain_now": "1"}).status_code == 404
    assert client.get(reverse("intake:review", args=[draft.pk])).status_code == 404
    assert client.post(reverse("intake:autosave", args=[draft.pk, "pain"]), {}).status_code == 404
    assert IntakeResponse.objects.get(pk=draft.pk).answers == {}


def test_a_step_with_errors_shows_them_and_keeps_what_was_typed(patient) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    client = client_for(patient)
    typed = {"version": "2", "complaint": "<script>alert(1)</script> sore back", "pain_now": "11"}
    response = client.post(step_url(draft, "pain"), typed)
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert b"Choose a number from 0 (no pain) to 10 (the worst)." in response.content
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; sore back" in response.content
    stored = IntakeResponse.objects.get(pk=draft.pk).answers
    assert stored["complaint"] == "<script>alert(1)</script> sore back"
    # Coming back later, the typed text is still in the box.
    again = client.get(step_url(draft, "pain"))
    assert b"&lt;script&gt;alert(1)&lt;/script&gt; sore back" in again.content


def test_a_valid_step_moves_on_and_save_and_exit_goes_home(patient) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    client = client_for(patient)
    response = client.post(
        step_url(draft, "pain"), {"version": "2", **section_values("pain", full_answers())}
    )
    assert response["Location"] == step_url(draft, "history")
    response = client.post(
        step_url(draft, "history"), {"version": "2", "had_surgery": "yes", "action": "save_exit"}
    )
    assert response["Location"] == reverse("intake:home") + "?kind=full"
    assert IntakeResponse.objects.get(pk=draft.pk).answers["had_surgery"] == "yes"
    # Resuming opens the first step that still needs answers.
    resumed = client.post(reverse("intake:start"), {"kind": FULL})
    assert resumed["Location"] == step_url(draft, "history")


def test_leaving_the_short_questionnaire_for_a_booking_keeps_its_banner(patient) -> None:
    """Sent from a free assessment's booking, a patient who saved the short questionnaire for
    later was told "Please fill in the questionnaire before your first treatment"."""
    client = client_for(patient)
    booking = "/book/free-assessment/confirm/?start=2027-03-03T09:00:00%2B00:00"
    page = client.get(reverse("intake:home"), {"kind": SHORT, "next": booking})
    assert b"the short questionnaire is enough" in page.content
    draft = intake_start(patient=patient, kind=SHORT)
    response = client.post(step_url(draft, "about"), {"version": "2", "action": "save_exit"})
    home = client.get(response["Location"]).content.decode()
    assert "For the free assessment the short questionnaire is enough" in home
    assert "before your first treatment" not in home


def test_a_stale_form_version_keeps_the_answers_and_asks_to_check(patient) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    response = client_for(patient).post(
        step_url(draft, "pain"), {"version": "0", **section_values("pain", full_answers())}
    )
    assert response.status_code == 200
    assert b"questionnaire was updated while you had it open" in response.content
    assert IntakeResponse.objects.get(pk=draft.pk).answers["pain_now"] == "6"


def test_autosave_saves_without_validating_and_refuses_the_signed_out(patient) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    url = reverse("intake:autosave", args=[draft.pk, "pain"])
    response = client_for(patient).post(url, {"complaint": "half a sent", "pain_now": "99"})
    assert response.status_code == 200 and response.content.startswith(b"Saved at")
    assert IntakeResponse.objects.get(pk=draft.pk).answers["complaint"] == "half a sent"
    signed_out = Client().post(url, {"complaint": "lost?"})
    assert signed_out.status_code == 401 and b"signed out" in signed_out.content


def test_review_lists_problems_then_sends(patient) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    client = client_for(patient)
    review = reverse("intake:review", args=[draft.pk])
    page = client.get(review)
    assert b"Some answers need checking" in page.content
    assert client.post(review).status_code == 200
    assert IntakeResponse.objects.get(pk=draft.pk).is_draft
    draft.answers = raw(full_answers(hopes="<b>walk</b>"))
    draft.save()
    page = client.get(review)
    assert b"Send to the clinic" in page.content and b"&lt;b&gt;walk&lt;/b&gt;" in page.content
    response = client.post(review)
    assert response["Location"] == reverse("intake:sent", args=[draft.pk])
    sent = client.get(response["Location"])
    assert b"your answers are with the clinic" in sent.content
    # Whatever the screen made of the words, the page says when not to wait for the visit.
    assert b"data-intake-safety-net" in sent.content and b"go to A&amp;E now" in sent.content
    # The sent questionnaire's steps now lead to what was sent, not an editable form.
    assert client.get(step_url(draft, "pain"))["Location"] == reverse(
        "intake:response", args=[draft.pk]
    )


@time_machine.travel("2027-03-15 10:00 +00:00", tick=False)  # a Monday morning: open
def test_a_red_flag_shows_the_clinics_urgent_advice(patient, clinic) -> None:
    clinic.urgent_care_advice = "Ring the out-of-hours doctor now."
    clinic.emergency_numbers = "112 · 116 117"
    clinic.save()
    draft = intake_start(patient=patient, kind=FULL)
    draft.answers = raw(full_answers(fever=True))
    draft.save()
    client = client_for(patient)
    response = client.post(reverse("intake:review", args=[draft.pk]), follow=True)
    assert b"Please get medical advice today" in response.content
    assert b"call you back today" in response.content
    assert b"Ring the out-of-hours doctor now." in response.content
    assert "112 · 116 117".encode() in response.content
    assert b"Online booking of treatment is paused" in response.content
    assert_no_store(response)


def test_the_next_link_returns_to_booking_after_sending(patient) -> None:
    client = client_for(patient)
    client.get(reverse("intake:home") + "?kind=full&next=/book/x/times/")
    client.get(reverse("intake:home") + "?next=https://evil.example/")  # ignored
    draft = intake_start(patient=patient, kind=FULL)
    draft.answers = raw(full_answers())
    draft.save()
    sent = client.post(reverse("intake:review", args=[draft.pk]), follow=True)
    assert b'href="/book/x/times/"' in sent.content
    # A reload of the same page still offers it; a later questionnaire does not.
    again = client.get(reverse("intake:sent", args=[draft.pk]))
    assert b'href="/book/x/times/"' in again.content
    later = intake_start(patient=patient, kind=FULL)
    later.answers = raw(full_answers())
    later.save()
    sent_later = client.post(reverse("intake:review", args=[later.pk]), follow=True)
    assert b'href="/book/x/times/"' not in sent_later.content


def test_diary_adds_an_entry_and_refuses_bad_pain_keeping_the_note(patient) -> None:
    client = client_for(patient)
    response = client.post(reverse("intake:diary"), {"pain": "14", "note": "kept note"})
    assert response.status_code == 200 and b"kept note" in response.content
    assert not patient.diary_entries.exists()
    response = client.post(
        reverse("intake:diary"), {"pain": "3", "tags": ["flare"], "note": "<i>x</i>"}
    )
    assert response["Location"] == reverse("intake:diary")
    page = client.get(reverse("intake:diary"))
    assert b"<svg" in page.content and b"&lt;i&gt;x&lt;/i&gt;" in page.content


def test_the_patients_response_page_is_theirs_only(patient, other_patient) -> None:
    mine = IntakeResponseFactory.create(patient=patient)
    assert client_for(patient).get(reverse("intake:response", args=[mine.pk])).status_code == 200
    assert (
        client_for(other_patient).get(reverse("intake:response", args=[mine.pk])).status_code == 404
    )


# --- the team's pages ----------------------------------------------------------------------


def test_a_treating_practitioner_reads_the_summary_cautions_first_and_it_is_logged(
    patient, practitioner, mei
) -> None:
    past_visit(patient, mei)
    IntakeResponseFactory.create(
        patient=patient,
        answers=full_answers(
            medication_flags=["anticoagulants"], safety=["needle_fear"], worries="<b>cost</b>"
        ),
    )
    url = reverse("intake:practice_intake", args=[patient.pk])
    response = client_for(practitioner).get(url)
    assert response.status_code == 200
    assert_no_store(response)
    body = response.content.decode()
    assert (
        body.index("Takes blood thinners")
        < body.index("Frightened of needles")
        < body.index("Main problem")
    )
    assert "&lt;b&gt;cost&lt;/b&gt;" in body
    read = HealthAccess.objects.get()
    assert (read.viewer, read.patient, read.what) == (practitioner, patient, "intake questionnaire")
    # The patient sees it on their privacy page.
    privacy = client_for(patient).get(reverse("intake:privacy"))
    assert b"Mei" in privacy.content and b"Intake questionnaire" in privacy.content


def test_the_diary_chart_for_the_team_is_logged(patient, practitioner, mei) -> None:
    past_visit(patient, mei)
    DiaryEntryFactory.create(patient=patient, pain=7, note="slept badly")
    response = client_for(practitioner).get(reverse("intake:practice_diary", args=[patient.pk]))
    assert response.status_code == 200 and b"slept badly" in response.content
    assert HealthAccess.objects.get().what == "pain diary"


def test_strangers_get_404_and_nothing_is_logged(
    patient, practitioner, front_desk, other_patient
) -> None:
    IntakeResponseFactory.create(patient=patient)
    for name in ("intake:practice_intake", "intake:practice_diary"):
        # The front desk reads no health data.
        assert client_for(front_desk).get(reverse(name, args=[patient.pk])).status_code == 404
        # A practitioner outside the care relationship is told so, and offered the way in.
        outside = client_for(practitioner).get(reverse(name, args=[patient.pk]))
        assert outside.status_code == 403
        assert reverse("intake:see_anyway", args=[patient.pk]).encode() in outside.content
    assert (
        client_for(other_patient)
        .get(reverse("intake:practice_intake", args=[patient.pk]))
        .status_code
        == 403
    )
    assert not HealthAccess.objects.exists()


def test_older_versions_can_be_opened_by_the_team(patient, practitioner, mei) -> None:
    past_visit(patient, mei)
    old = IntakeResponseFactory.create(patient=patient, answers=full_answers(hopes="old hope"))
    IntakeResponseFactory.create(patient=patient, answers=full_answers(hopes="new hope"))
    url = reverse("intake:practice_intake", args=[patient.pk])
    assert b"new hope" in client_for(practitioner).get(url).content
    older = client_for(practitioner).get(f"{url}?response={old.pk}")
    assert b"old hope" in older.content and b"Older version" in older.content


def test_a_response_from_an_unknown_version_still_shows_its_answers(
    patient, practitioner, mei
) -> None:
    past_visit(patient, mei)
    IntakeResponseFactory.create(patient=patient, version=99, answers={"old_question": "kept"})
    response = client_for(practitioner).get(reverse("intake:practice_intake", args=[patient.pk]))
    assert (
        response.status_code == 200
        and b"Old question" in response.content
        and b"kept" in response.content
    )


def test_dashboard_shows_urgent_alerts_and_red_flags_with_actions(
    patient, practitioner, mei
) -> None:
    past_visit(patient, mei)
    alert, _ = alert_raise(
        patient=patient,
        level=AlertLevel.URGENT,
        kind="intake_red_flag",
        source_key="1",
        summary="Answered yes",
    )
    flag, _ = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="Red flag")
    client = client_for(practitioner)
    page = client.get(reverse("practitioner_dashboard"))
    assert b"data-paging-alerts" in page.content and b"data-on-hold" in page.content
    assert reverse("intake:clear_flag", args=[flag.pk]).encode() in page.content
    assert client.get(reverse("intake:acknowledge_alert", args=[alert.pk])).status_code == 405
    client.post(reverse("intake:acknowledge_alert", args=[alert.pk]))
    assert Alert.objects.get().acknowledged_by == practitioner
    response = client.post(reverse("intake:clear_flag", args=[flag.pk]), {"note": "GP saw them"})
    assert response["Location"] == reverse("practitioner_dashboard")
    cleared = PatientFlag.objects.get()
    assert cleared.cleared_by == practitioner and cleared.clear_note == "GP saw them"
    page = client.get(reverse("practitioner_dashboard"))
    assert b"data-paging-alerts" not in page.content and b"data-on-hold" not in page.content


def test_patients_cannot_acknowledge_alerts_or_clear_flags(patient, other_patient) -> None:
    alert, _ = alert_raise(
        patient=patient, level=AlertLevel.URGENT, kind="k", source_key="1", summary="s"
    )
    flag, _ = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="r")
    for who in (patient, other_patient):
        client = client_for(who)
        assert client.post(reverse("intake:acknowledge_alert", args=[alert.pk])).status_code == 403
        assert client.post(reverse("intake:clear_flag", args=[flag.pk])).status_code == 403
    assert Alert.objects.get().acknowledged_at is None
