"""Issue 12 through the real 48-hour check-in view: acupuncture's own adverse events, the note in
the patient's own words, the severity ceiling, and bad input. Nothing is reassured unread."""

from __future__ import annotations

from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking
from followup.links import make_token
from followup.models import CheckIn, CheckInStage, MessageKind, OutboxMessage
from followup.outbox import deliver
from intake.models import Alert, FlagKind, IntakeResponse, PatientFlag
from intake.services import booking_paused, flag_raise
from tests.followup.conftest import CHECKIN_DUE
from tests.intake.factories import full_answers

pytestmark = pytest.mark.django_db

COMMON = "This is common, and usually settles"
SAFETY_NET = "data-safety-net"


@pytest.fixture(autouse=True)
def at_checkin_time() -> Any:
    with time_machine.travel(CHECKIN_DUE, tick=False):
        yield


def answer(visit: Booking, **given: Any):
    url = reverse(
        "followup:checkin", args=[make_token(booking_id=visit.pk, stage=CheckInStage.CHECKIN)]
    )
    data = {"comparison": "worse", "pain_now": "5", **given}
    return Client().post(url, data)


def alerts(visit: Booking) -> dict[str, str]:
    return dict(Alert.objects.filter(patient=visit.patient).values_list("kind", "level"))


def test_urinary_retention_and_numbness_in_the_note_is_an_emergency(visit: Booking) -> None:
    page = answer(visit, note="Couldn't pass water since last night and numb down below")
    text = page.content.decode()
    assert "Please get emergency help now" in text and COMMON not in text
    assert alerts(visit)["checkin_red_flag"] == "emergency"
    assert PatientFlag.objects.get(patient=visit.patient).kind == FlagKind.EMERGENCY
    assert booking_paused(visit.patient)
    stored = CheckIn.objects.get().outcome
    assert stored["level"] == "emergency" and "cauda_equina" in stored["reasons"]


def test_breathlessness_after_upper_back_needling_raises_an_emergency_alert(
    visit: Booking,
) -> None:
    page = answer(
        visit,
        comparison="same",
        note="Since the needles in my upper back I get short of breath and it hurts to breathe in",
    )
    assert "Please get emergency help now" in page.content.decode()
    alert = Alert.objects.get(kind="checkin_red_flag")
    assert alert.level == "emergency" and alert.practitioner_id == visit.practitioner_id
    assert "breath" not in alert.summary.lower()


def test_ticking_breathless_is_an_emergency_too(visit: Booking) -> None:
    answer(visit, comparison="better", pain_now="2", red_flags=["breathless_chest"])
    assert alerts(visit) == {"checkin_red_flag": "emergency"}


def test_fever_with_an_inflamed_needle_site_is_same_day(visit: Booking) -> None:
    page = answer(
        visit, note="Feel hot and shivery and the needle spot is red, swollen and weeping"
    )
    text = page.content.decode()
    assert "Please get medical advice today" in text and "call you back today" in text
    assert "A needle spot that is hot, red, swollen, spreading or weeping" in text
    assert alerts(visit)["checkin_red_flag"] == "urgent"
    assert PatientFlag.objects.get().kind == FlagKind.URGENT


def test_fainting_with_a_head_injury_is_same_day(visit: Booking) -> None:
    answer(visit, note="I fainted in the kitchen and banged my head on the worktop")
    assert alerts(visit)["checkin_red_flag"] == "urgent"
    reasons = CheckIn.objects.get().outcome["reasons"]
    assert "head_injury" in reasons


def test_pain_9_much_worse_is_never_common_and_gets_a_same_day_call(visit: Booking) -> None:
    page = answer(visit, comparison="much_worse", pain_now="9")
    text = page.content.decode()
    assert COMMON not in text and SAFETY_NET in text
    assert "the clinic will call you today" in text
    assert alerts(visit)["checkin_severe_pain"] == "today"
    assert "reassure" not in CheckIn.objects.get().outcome["advice"]


def test_worse_after_a_first_treatment_with_no_note_is_still_reassured(visit: Booking) -> None:
    page = answer(visit, comparison="worse", pain_now="5")
    assert COMMON in page.content.decode()


def test_a_sore_needle_spot_is_not_called_common_while_an_urgent_flag_is_open(
    visit: Booking,
) -> None:
    # Two days ago a diary note (a hot, spreading needle spot and fever) told them to get care
    # today; the check-in must not now say soreness "usually settles".
    flag_raise(patient=visit.patient, kind=FlagKind.URGENT, reason="A diary note")
    page = answer(visit, comparison="worse", pain_now="5", needle_site_soreness="on")
    assert COMMON not in page.content.decode()
    assert "reassure" not in CheckIn.objects.get().outcome["advice"]


def test_no_numbness_is_not_a_red_flag_but_is_still_read_today(visit: Booking) -> None:
    page = answer(visit, note="Sore but no numbness")
    assert "checkin_red_flag" not in alerts(visit)
    assert alerts(visit)["checkin_note"] == "today"
    text = page.content.decode()
    assert COMMON not in text and SAFETY_NET in text
    assert not booking_paused(visit.patient)


def test_unclear_words_go_to_a_person_the_same_day_never_common(visit: Booking) -> None:
    page = answer(visit, note="not sure if it's numbness or just the cold")
    text = page.content.decode()
    assert COMMON not in text
    assert alerts(visit)["checkin_red_flag"] == "review"
    assert alerts(visit)["checkin_note"] == "today"


def test_a_plainly_fine_note_is_reassured_without_a_task(visit: Booking) -> None:
    page = answer(visit, note="Feeling much better, thank you!")
    assert COMMON in page.content.decode()
    assert "checkin_note" not in alerts(visit)


@pytest.mark.parametrize(
    "note",
    [
        "",
        "👍🙂",
        "Me duele mucho la espalda y no siento bien las piernas",
        "Болит спина",
        "Bardzo boli mnie plecy i nie czuję nóg",
        "میری کمر میں بہت درد ہے",
        "My back is a bit stiff in the mornings. " * 250,  # 10,000 characters
    ],
    ids=["empty", "emoji", "spanish", "russian", "polish", "urdu", "10000"],
)
def test_any_note_gets_a_clear_page_and_is_kept(visit: Booking, note: str) -> None:
    page = answer(visit, note=note)
    assert page.status_code == 200
    checkin = CheckIn.objects.get()
    assert checkin.answers["note"] == note.strip()
    text = page.content.decode()
    if note.strip():
        # Nothing the screen cannot clear is reassured: a practitioner reads it today.
        assert COMMON not in text and SAFETY_NET in text
        assert alerts(visit)["checkin_note"] == "today"
    else:
        assert COMMON in text


def test_a_note_over_the_limit_is_refused_kindly_and_kept_in_the_box(visit: Booking) -> None:
    note = "x" * 10_001
    page = answer(visit, note=note)
    assert page.status_code == 400
    text = page.content.decode()
    assert "Please shorten your note to 10000 characters" in text
    assert note in text
    assert CheckIn.objects.count() == 0


def test_an_old_cancer_is_not_paged_again_at_a_checkin(visit: Booking) -> None:
    # The questionnaire they sent before booking mentioned it.
    sent = IntakeResponse.objects.get(patient=visit.patient)
    sent.answers = full_answers(cancer_history=True)
    sent.save()
    answer(visit, comparison="better", pain_now="3", note="remember my old cancer")
    assert "checkin_red_flag" not in alerts(visit)
    assert alerts(visit)["checkin_note"] == "today"


def test_the_urgent_advice_email_lists_the_symptoms_for_its_level(visit: Booking) -> None:
    answer(visit, note="Fever since yesterday and I fainted and hit my head")
    row = OutboxMessage.objects.get(kind=MessageKind.URGENT_ADVICE)
    mail.outbox.clear()
    assert deliver(row.pk, now=timezone.now()) == "sent"
    (sent,) = mail.outbox
    assert sent.subject.startswith("Please get medical advice today")
    assert "- A fever, feeling hot and shivery, or feeling generally unwell" in sent.body
    assert "- Hitting your head when you fainted or fell" in sent.body
    assert "call you back today" in sent.body
    assert "&amp;" not in sent.body


@pytest.mark.parametrize(("open_days", "when"), [("0", "on Monday"), ("5", "tomorrow")])
def test_out_of_hours_nobody_is_promised_a_read_or_a_call_today(
    visit: Booking, open_days: str, when: str
) -> None:
    # The check-in is answered on a Friday the clinic is closed: the page and the advice email
    # say when the clinic will actually read and call, so nobody waits for a call tonight.
    visit.clinic.open_days = open_days
    visit.clinic.save(update_fields=["open_days"])
    page = answer(visit, note="Sore but no numbness").content.decode()
    assert f"A practitioner will read this {when}" in page
    assert "read this today" not in page and "wrote today" not in page
    assert SAFETY_NET in page
    CheckIn.objects.all().delete()
    page = answer(visit, note="Fever since yesterday").content.decode()
    assert f"The clinic will call you back {when}." in page
    row = OutboxMessage.objects.get(kind=MessageKind.URGENT_ADVICE)
    mail.outbox.clear()
    deliver(row.pk, now=timezone.now())
    (sent,) = mail.outbox
    assert f"call you back {when}" in sent.body and "call you back today" not in sent.body


def test_the_emergency_advice_email_says_ae_now(visit: Booking) -> None:
    answer(visit, red_flags=["cauda_equina"])
    row = OutboxMessage.objects.get(kind=MessageKind.URGENT_ADVICE)
    mail.outbox.clear()
    deliver(row.pk, now=timezone.now())
    (sent,) = mail.outbox
    assert sent.subject.startswith("Please get emergency help now")
    assert "A&E" in sent.body and "EMERGENCY CARE NOW" in sent.body
    assert "Numbness around your genitals or bottom" in sent.body


def test_a_note_to_read_today_is_on_the_practitioners_dashboard(visit: Booking) -> None:
    from tests.conftest import client_for

    answer(visit, note="hmm, something feels off")
    page = client_for(visit.practitioner.user).get(reverse("practitioner_dashboard"))
    assert page.status_code == 200
    assert "A check-in note to read today" in page.content.decode()
    assert "something feels off" not in page.content.decode()
    # Several notes from one patient are told apart by the visit they are about.
    when = timezone.localtime(visit.starts_at, visit.clinic.tz).strftime("%a %-d %b")
    assert f"about the visit on {when}" in page.content.decode()


@pytest.mark.parametrize(
    ("change", "subject", "words"),
    [
        (
            {"complaint": "Back pain and I can't feel it when I wipe"},
            "Please get emergency help now",
            "Numbness around your genitals or bottom",
        ),
        ({"fever": True}, "Please get medical advice today", "A fever, feeling hot and shivery"),
        (
            {"cancer_history": True},
            "A practitioner will look at your answers before treatment",
            "Cancer now or in the past",
        ),
    ],
)
def test_the_questionnaire_sends_the_patient_their_levels_advice_once(
    patient, eager_celery: None, django_capture_on_commit_callbacks: Any, change, subject, words
) -> None:
    from intake import tasks
    from intake.questionnaire import FULL
    from intake.services import intake_start, intake_submit
    from tests.intake.factories import raw

    draft = intake_start(patient=patient, kind=FULL)
    draft.answers = raw(full_answers(**change))
    draft.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        intake_submit(response=draft)
    mine = [m for m in mail.outbox if m.to == [patient.email]]
    assert [m.subject for m in mine] == [subject]
    assert f"- {words}" in mine[0].body and "&amp;" not in mine[0].body
    # A duplicated hand-off sends nothing more.
    alert = Alert.objects.get(patient=patient)
    tasks.hand_off_alert.delay(alert.pk)
    assert len([m for m in mail.outbox if m.to == [patient.email]]) == 1


@pytest.mark.parametrize(
    ("note", "level", "title"),
    [
        # A rambling "better" note where the red flag is one clause, in the patient's words.
        (
            "back much better thank you!! slept well, did my stretches, walked the dog twice. "
            "bit puffed and tight in the chest since sat and cant take a deep breath but "
            "probably the cold. x",
            "emergency",
            "Please get emergency help now",
        ),
        ("numb bits where i sit and i cnt pee", "emergency", "Please get emergency help now"),
        (
            "the spot where she put the needle in my back is hot and oozing",
            "urgent",
            "Please get medical advice today",
        ),
        (
            "went woozy and banged my head on the door frame",
            "urgent",
            "Please get medical advice today",
        ),
        # Round 8 held-out notes: missed or under-levelled before that round's fixes, or a
        # red flag buried in a friendly note.
        (
            "Hi, back is a lot better thanks, lovely session, only odd thing is I've had no "
            "feeling when I go for a number two since Monday, see you next week",
            "emergency",
            "Please get emergency help now",
        ),
        ("passed out cold on the bathroom floor", "emergency", "Please get emergency help now"),
        (
            "Thanks for yesterday. The neck is much looser. I did notice I couldn't take a full "
            "breath in last night and it's still a bit like that, probably nothing. Cheers",
            "emergency",
            "Please get emergency help now",
        ),
        (
            "had a whitey after the needles and went down",
            "urgent",
            "Please get medical advice today",
        ),
        # Round 9 held-out notes: missed or under-levelled before that round's fixes.
        (
            "Since yesterday my bum and the insides of my thighs feel like they've been at the "
            "dentist, all numb like after an injection",
            "emergency",
            "Please get emergency help now",
        ),
        (
            "me legs are goin, cannae walk right, worse than this morning",
            "emergency",
            "Please get emergency help now",
        ),
        (
            "had a funny turn and went out like a light",
            "urgent",
            "Please get medical advice today",
        ),
        (
            "everything went black and I came to on the sofa",
            "urgent",
            "Please get medical advice today",
        ),
        (
            "little lump where the needle was is getting bigger and redder every day",
            "urgent",
            "Please get medical advice today",
        ),
        (
            "been boiling hot then freezing cold all night with this back pain",
            "urgent",
            "Please get medical advice today",
        ),
        (
            "the tingling in my foot had settled after the last session but now it is back",
            "urgent",
            "Please get medical advice today",
        ),
        # Round 10 held-out notes: missed or under-levelled before that round's fixes.
        ("short of puff since session", "emergency", "Please get emergency help now"),
        (
            "bladder fine - actually no, I haven't been able to go since last night really",
            "emergency",
            "Please get emergency help now",
        ),
        (
            "yesterday I fall on floor and not wake up, my son call my name many times",
            "emergency",
            "Please get emergency help now",
        ),
        (
            "didn't faint, or maybe I did, I woke up on the bathroom floor",
            "emergency",
            "Please get emergency help now",
        ),
        (
            "Vasovagal syncope post-treatment, brief LOC.",
            "urgent",
            "Please get medical advice today",
        ),
        (
            "my leg I cannot feel good since tuesday, is like sleeping",
            "urgent",
            "Please get medical advice today",
        ),
        # Round 11 held-out notes: missed before that round's fixes.
        (
            "sharp pain on the left side when I inhale, started 2 hrs after acupuncture",
            "emergency",
            "Please get emergency help now",
        ),
        (
            "went down at 7am and was on the floor 20 minutes before I could move",
            "emergency",
            "Please get emergency help now",
        ),
        (
            "I got lightheaded and my husband said I was out for a few seconds",
            "urgent",
            "Please get medical advice today",
        ),
        (
            "the redness round the needle site was 1cm yesterday and is 5cm today",
            "urgent",
            "Please get medical advice today",
        ),
        (
            "took a small spill and bonked my head on the doorframe, just a goose egg, fine really",
            "urgent",
            "Please get medical advice today",
        ),
    ],
    ids=[
        "puffed-in-a-better-note",
        "text-speak-cauda",
        "oozing-needle-site",
        "woozy-head",
        "number-two-in-a-better-note",
        "out-cold",
        "full-breath-probably-nothing",
        "whitey",
        "dentist-bum-and-thighs",
        "legs-goin-cannae-walk",
        "funny-turn-out-like-a-light",
        "went-black-came-to",
        "needle-lump-bigger-and-redder",
        "boiling-then-freezing",
        "settled-tingling-is-back",
        "short-of-puff",
        "bladder-fine-actually-no",
        "fall-on-floor-not-wake-up",
        "didnt-faint-or-maybe-i-did",
        "vasovagal-syncope-loc",
        "leg-cannot-feel-good",
        "pain-when-i-inhale",
        "on-the-floor-20-minutes",
        "out-for-a-few-seconds",
        "redness-1cm-to-5cm",
        "spill-bonked-head",
    ],
)
def test_held_out_red_flags_in_the_note_get_their_page_and_alert(
    visit: Booking, note: str, level: str, title: str
) -> None:
    page = answer(visit, comparison="better", pain_now="2", note=note)
    text = page.content.decode()
    assert title in text and COMMON not in text
    assert alerts(visit)["checkin_red_flag"] == level
    assert booking_paused(visit.patient)


@pytest.mark.parametrize(
    "note",
    [
        "I felt tingly and relaxed after, lovely",
        "no chest pain or shortness of breath",
        "the shelf collapsed, no one hurt",
        "my leg went dead from sitting cross legged but came back after a minute",
        # Round 9 near misses that went to urgent or A&E before that round's fixes.
        "I nearly collapsed laughing at the physio's jokes",
        "pins and needles in my patience waiting for the bus",
        "The session knocked me out, slept like a log that night",
        "numb from the dentist's injection yesterday, wore off by teatime",
        "Our goat fainted at the show (it's a fainting goat, they do that)",
        # Round 10 near misses that went to urgent or A&E before that round's fixes.
        "A small bruise at one needle spot, not red or hot.",
        "The news about the redundancies took my breath away, back is ok though",
        "Mild COPD, breathless on hills as always, no change since treatment.",
        "Bit numb - no, not numb, just stiff, I got the word wrong.",
        # Round 11 near misses that went to urgent or A&E before that round's fixes.
        "- fainted: no\n- chest pain: no\n- breathless: no",
        "slight bruise where the needle went in, no redness",
        "I had a hot bath and my skin went red all over, normal for me",
        "pins and needles in my hand when I lean on my elbow, goes straight away",
    ],
)
def test_a_near_miss_note_is_read_today_but_sends_nobody_to_ae(visit: Booking, note: str) -> None:
    answer(visit, comparison="better", pain_now="2", note=note)
    text_alerts = alerts(visit)
    assert "checkin_red_flag" not in text_alerts or text_alerts["checkin_red_flag"] == "review"
    assert (
        PatientFlag.objects.filter(
            patient=visit.patient, kind__in=[FlagKind.EMERGENCY, FlagKind.URGENT]
        ).count()
        == 0
    )
