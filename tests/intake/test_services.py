from datetime import timedelta

import pytest
from django.utils import timezone

from intake import services
from intake.diary_entries import diary_add
from intake.models import (
    Alert,
    AlertLevel,
    DiaryEntry,
    DiarySource,
    FlagKind,
    IntakeResponse,
    PatientFlag,
    ResponseStatus,
)
from intake.questionnaire import FULL, FULL_V2, SHORT
from intake.services import (
    IntakeError,
    IntakeIncomplete,
    booking_paused,
    intake_save_draft,
    intake_start,
    intake_submit,
)
from tests.intake.conftest import past_visit
from tests.intake.factories import IntakeResponseFactory, full_answers, raw

pytestmark = pytest.mark.django_db


def fill(draft: IntakeResponse, answers: dict[str, object]) -> IntakeResponse:
    """Save every section of the draft as if typed in the browser."""
    values = raw(answers)
    for section in FULL_V2.sections:
        part = {q.key: values[q.key] for q in section.questions if q.key in values}
        draft = intake_save_draft(response=draft, section=section, raw=part)
    return draft


def test_start_twice_resumes_the_same_draft(patient) -> None:
    first = intake_start(patient=patient, kind=FULL)
    again = intake_start(patient=patient, kind=FULL)
    short = intake_start(patient=patient, kind=SHORT)
    assert first.pk == again.pk != short.pk
    assert first.status == ResponseStatus.DRAFT and first.version == FULL_V2.version


def test_saving_keeps_what_was_typed_even_when_invalid(patient) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    pain = FULL_V2.sections[0]
    intake_save_draft(response=draft, section=pain, raw={"complaint": "x" * 2000, "pain_now": "11"})
    intake_save_draft(response=draft, section=FULL_V2.sections[1], raw={"had_surgery": "yes"})
    stored = IntakeResponse.objects.get(pk=draft.pk)
    assert stored.answers == {"complaint": "x" * 2000, "pain_now": "11", "had_surgery": "yes"}
    assert stored.last_step == FULL_V2.sections[1].slug


def test_submitting_an_incomplete_draft_changes_nothing(patient) -> None:
    draft = intake_start(patient=patient, kind=FULL)
    draft = intake_save_draft(response=draft, section=FULL_V2.sections[0], raw={"pain_now": "3"})
    with pytest.raises(IntakeIncomplete) as caught:
        intake_submit(response=draft)
    assert caught.value.problems[0].section.slug == "pain"
    stored = IntakeResponse.objects.get(pk=draft.pk)
    assert stored.is_draft and stored.answers == {"pain_now": "3"}


def test_submit_stores_typed_answers_once(patient) -> None:
    draft = fill(intake_start(patient=patient, kind=FULL), full_answers())
    result = intake_submit(response=draft)
    again = intake_submit(response=draft)  # a double click
    sent = IntakeResponse.objects.get(pk=draft.pk)
    assert sent.status == ResponseStatus.SUBMITTED and sent.submitted_at is not None
    assert sent.answers["pain_now"] == 6 and sent.answers["saddle_numbness"] is False
    assert result.outcome == again.outcome and not result.outcome.urgent_advice
    assert not PatientFlag.objects.exists() and not Alert.objects.exists()
    with pytest.raises(IntakeError):
        intake_save_draft(response=draft, section=FULL_V2.sections[0], raw={"pain_now": "1"})


def test_an_update_is_a_new_response_prefilled_from_the_last_and_history_stays(patient) -> None:
    first = IntakeResponseFactory.create(patient=patient, answers=full_answers(hopes="walk"))
    update = intake_start(patient=patient, kind=FULL)
    assert update.pk != first.pk
    assert update.answers["hopes"] == "walk" and update.answers["had_surgery"] == "no"
    assert "consent_data" not in update.answers
    update = fill(update, full_answers(hopes="run"))
    intake_submit(response=update)
    sent = IntakeResponse.objects.filter(patient=patient, status="submitted")
    assert sorted(r.answers["hopes"] for r in sent) == ["run", "walk"]
    assert services.latest_submitted(patient).pk == update.pk  # type: ignore[union-attr]


def test_a_draft_from_an_older_version_moves_to_the_current_one_keeping_known_answers(
    patient,
) -> None:
    old = IntakeResponse.objects.create(
        clinic=patient.clinic,
        patient=patient,
        kind=FULL,
        version=0,
        answers={"complaint": "back", "retired_question": "gone"},
    )
    draft = intake_start(patient=patient, kind=FULL)
    assert draft.pk == old.pk and draft.version == FULL_V2.version
    assert draft.answers == {"complaint": "back"}


def test_a_red_flag_pauses_booking_alerts_every_practitioner_and_hands_the_alert_off_once(
    patient, practitioner, eager_celery, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from intake import tasks

    handed: list[int] = []
    monkeypatch.setattr(tasks, "_handlers", [handed.append])
    draft = fill(intake_start(patient=patient, kind=FULL), full_answers(bladder_bowel=True))
    with django_capture_on_commit_callbacks(execute=True):
        result = intake_submit(response=draft)
        intake_submit(response=draft)  # a double click
    assert result.outcome.urgent_advice
    assert booking_paused(patient)
    alert = Alert.objects.get()
    assert alert.level == "emergency" and alert.practitioner is None
    assert "bladder" not in alert.summary.lower()
    assert alert.source_key == f"intake:{draft.pk}"
    # Handed to the app that emails the team (followup.alerts, tested there), after the commit.
    assert handed == [alert.pk]


def test_a_routine_alert_is_not_handed_off_and_a_rolled_back_one_never_is(
    patient, eager_celery, django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from django.db import transaction

    from intake import tasks

    handed: list[int] = []
    monkeypatch.setattr(tasks, "_handlers", [handed.append])
    with django_capture_on_commit_callbacks(execute=True):
        services.alert_raise(
            patient=patient, level=AlertLevel.ROUTINE, kind="k", source_key="r", summary="s"
        )
        with pytest.raises(RuntimeError), transaction.atomic():
            services.alert_raise(
                patient=patient, level=AlertLevel.URGENT, kind="k", source_key="u", summary="s"
            )
            raise RuntimeError
    assert handed == []
    assert list(Alert.objects.values_list("source_key", flat=True)) == ["r"]


def test_with_no_app_to_deliver_alerts_the_hand_off_fails_loudly(monkeypatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    from intake import tasks

    monkeypatch.setattr(tasks, "_handlers", [])
    with pytest.raises(ImproperlyConfigured):
        tasks.hand_off_alert.run(1)


def test_clearing_the_red_flag_resumes_booking(patient, practitioner) -> None:
    draft = fill(intake_start(patient=patient, kind=FULL), full_answers(fever=True))
    intake_submit(response=draft)
    flag = PatientFlag.objects.get(kind=FlagKind.URGENT)
    assert booking_paused(patient)
    assert services.flag_clear(flag=flag, by=practitioner, note="Seen by GP")
    assert not booking_paused(patient)


@pytest.mark.parametrize("kind", [FlagKind.EMERGENCY, FlagKind.URGENT, FlagKind.REVIEW])
def test_every_level_flag_pauses_treatment_booking(patient, kind) -> None:
    services.flag_raise(patient=patient, kind=kind, reason="x")
    assert booking_paused(patient)


def test_a_bad_reaction_before_raises_treat_gently(patient) -> None:
    draft = fill(
        intake_start(patient=patient, kind=FULL),
        full_answers(had_acupuncture=True, reaction="worse"),
    )
    intake_submit(response=draft)
    assert [f.kind for f in services.open_flags(patient)] == [FlagKind.TREAT_GENTLY]
    assert not booking_paused(patient)


def test_diary_add_checks_pain_and_keeps_known_tags(patient) -> None:
    with pytest.raises(IntakeError):
        diary_add(patient=patient, pain=11)
    entry = diary_add(patient=patient, pain=4, note="  ok  ", tags=["flare", "bogus", "flare"])
    assert entry.tags == ["flare"] and entry.note == "ok"
    assert entry.recorded_at <= timezone.now()


def test_a_checkin_answer_is_written_once_per_visit(patient, mei) -> None:
    visit = past_visit(patient, mei)
    first = diary_add(patient=patient, pain=6, source=DiarySource.CHECKIN, booking=visit)
    again = diary_add(patient=patient, pain=2, source=DiarySource.CHECKIN, booking=visit)
    assert again.pk == first.pk and DiaryEntry.objects.get().pain == 6


def test_has_complete_intake_tells_short_from_full(patient) -> None:
    assert not services.has_complete_intake(patient)
    IntakeResponseFactory.create(patient=patient, kind=SHORT, answers={"complaint": "x"})
    assert not services.has_complete_intake(patient)
    assert services.has_complete_intake(patient, kinds=(FULL, SHORT))
    IntakeResponseFactory.create(patient=patient, status="draft", submitted_at=None)
    assert not services.has_complete_intake(patient)
    old = timezone.now() - timedelta(days=3)
    IntakeResponseFactory.create(patient=patient, submitted_at=old)
    assert services.has_complete_intake(patient)


def test_intake_standing_reads_flags_and_sent_kinds_of_this_patient_only(
    patient, other_patient
) -> None:
    other = other_patient
    IntakeResponseFactory.create(patient=other, kind=SHORT)
    PatientFlag.objects.create(
        clinic=patient.clinic, patient=other, kind=FlagKind.RED_FLAG, reason="x"
    )
    assert services.intake_standing(patient) == services.IntakeStanding(
        paused=False, sent=frozenset()
    )

    IntakeResponseFactory.create(patient=patient, status="draft", submitted_at=None)
    IntakeResponseFactory.create(patient=patient, kind=SHORT, answers={"complaint": "x"})
    flag = PatientFlag.objects.create(
        clinic=patient.clinic, patient=patient, kind=FlagKind.RED_FLAG, reason="x"
    )
    standing = services.intake_standing(patient)
    assert standing.paused and standing.sent == {SHORT}

    flag.cleared_at = timezone.now()
    flag.save()
    IntakeResponseFactory.create(patient=patient, kind=FULL)
    assert services.intake_standing(patient) == services.IntakeStanding(
        paused=False, sent=frozenset({FULL, SHORT})
    )
