"""Every email is an outbox message: each template under templates/email/ belongs to a kind,
each kind has its templates, and each kind renders through the outbox's ``prepare`` from the
state it is sent in (a booking, an alert, a stored context...)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from booking.models import Booking, BookingStatus, Service
from booking.services import booking_cancel, booking_reschedule
from booking.waitlist_models import WaitlistEntry, WaitlistOffer, WaitlistPlace
from followup.messages import URGENT_ALERT_TEMPLATES, Prepared, prepare
from followup.models import MessageKind, OutboxMessage
from intake.models import Alert, AlertLevel
from intake.questionnaire import FULL
from intake.services import alert_raise, intake_start, intake_submit
from portal.messaging import TEMPLATES, outbox_put
from portal.models import Clinic, DataExport, User
from tests.booking.conftest import NOW, WED
from tests.booking.factories import local
from tests.followup.conftest import CHECKIN_DUE, book, set_status
from tests.intake.factories import full_answers, raw

pytestmark = pytest.mark.django_db

EMAIL_DIR = Path(settings.BASE_DIR) / "templates" / "email"
PARTS = ("_subject.txt", ".txt", ".html")


def template_names() -> set[str]:
    """Each email's name: its three files share it; partials (``_base``...) start with "_"."""
    names = set()
    for path in EMAIL_DIR.iterdir():
        if path.name.startswith("_"):
            continue
        names.add(path.name.removesuffix("_subject.txt").removesuffix(".txt").removesuffix(".html"))
    return names


def test_every_email_template_belongs_to_an_outbox_kind() -> None:
    used = set(TEMPLATES.values()) | set(URGENT_ALERT_TEMPLATES.values())
    assert template_names() - used == set(), "a template no outbox kind sends"
    assert used - template_names() == set(), "a kind without its templates"
    assert set(TEMPLATES) == set(MessageKind), "a kind without a template"
    for name in used:
        for part in PARTS:
            assert (EMAIL_DIR / f"{name}{part}").is_file(), f"{name}{part}"


def put(
    kind: MessageKind, to: User, *, booking: Booking | None = None, **extra: object
) -> OutboxMessage:
    row, _ = outbox_put(kind=kind, to_user=to, booking=booking, send_now=False, **extra)  # type: ignore[arg-type]
    return OutboxMessage.objects.select_related("recipient", "booking").get(pk=row.pk)


def rendered(row: OutboxMessage, now: datetime) -> Prepared:
    prepared = prepare(row, clinic=Clinic.objects.current(), now=now)
    assert isinstance(prepared, Prepared), f"{row.kind}: {prepared}"
    assert prepared.email.subject and prepared.email.text and prepared.email.html
    return prepared


def test_every_kind_renders_from_the_outbox(
    private: Service, patient: User, other_patient: User, practitioner: User
) -> None:
    clinic = Clinic.objects.current()
    seen: dict[str, str] = {}

    def check(row: OutboxMessage, now: datetime, template: str | None = None) -> None:
        email = rendered(row, now).email
        seen[template or TEMPLATES[MessageKind(row.kind)]] = email.subject

    # Around a visit (the other patient: the first one's treatment goes on hold below).
    visit = book(other_patient, private, local(WED, 9), now=NOW)
    check(put(MessageKind.BOOKING_CONFIRMED, other_patient, booking=visit), NOW)
    check(put(MessageKind.PRE_VISIT, other_patient, booking=visit), NOW)
    second = book(other_patient, private, local(WED, 13), now=NOW)
    check(put(MessageKind.FIRST_VISIT, other_patient, booking=second), NOW)
    set_status(visit, BookingStatus.ATTENDED)
    for kind in (MessageKind.CHECKIN, MessageKind.CHECKIN_CHASER, MessageKind.RECHECK):
        check(put(kind, other_patient, booking=visit), CHECKIN_DUE)
    check(
        put(MessageKind.URGENT_ADVICE, other_patient, booking=visit, dedupe_key="checkin"),
        CHECKIN_DUE,
    )
    booking_cancel(booking=second, by=other_patient, now=NOW)
    check(put(MessageKind.BOOKING_CANCELLED, other_patient, booking=second), NOW)

    # The questionnaire's red flag: the patient's advice, the team's alert, the hold notice.
    now = timezone.now()
    draft = intake_start(patient=patient, kind=FULL)
    draft.answers = raw(full_answers(fever=True))
    draft.save()
    intake_submit(response=draft)
    red_flag = Alert.objects.get(patient=patient)
    check(put(MessageKind.INTAKE_ADVICE, patient, dedupe_key=str(red_flag.pk)), now)
    check(
        put(MessageKind.ALERT_URGENT, practitioner, dedupe_key=str(red_flag.pk)),
        now,
        URGENT_ALERT_TEMPLATES[red_flag.kind],
    )
    other, _ = alert_raise(
        patient=patient, level=AlertLevel.URGENT, kind="k", source_key="x", summary="s"
    )
    check(put(MessageKind.ALERT_URGENT, practitioner, dedupe_key=str(other.pk)), now)
    check(put(MessageKind.ALERT_CHASE, practitioner, dedupe_key=str(other.pk)), now)
    check(put(MessageKind.TREATMENT_HOLD, patient), now)
    # About the other patient, whose visit with Mei makes the note hers to read (a digest
    # names no one else: tests/portal/test_attacker_round9.py).
    alert_raise(
        patient=other_patient, level=AlertLevel.ROUTINE, kind="k", source_key="r", summary="s"
    )
    local_now = now.astimezone(clinic.tz)
    day = local_now.date() + timedelta(days=local_now.time() >= clinic.alert_digest_time)
    check(put(MessageKind.ALERT_DIGEST, practitioner, dedupe_key=day.isoformat()), now)

    # "Download my data", and money: these carry what they say on the row (``context``).
    export = DataExport.objects.create(
        clinic=clinic,
        patient=patient,
        channel="online",
        status="ready",
        expires_at=now + timedelta(days=7),
    )
    check(put(MessageKind.DATA_EXPORT, patient, dedupe_key=f"export:{export.pk}"), now)
    refund = put(
        MessageKind.PAYMENT_REFUNDED,
        other_patient,
        booking=visit,
        dedupe_key="refund:1",
        context={"amount_minor": 4500, "currency": "GBP", "place_gone": False},
    )
    check(refund, now)
    assert "refunded £45 for your cancelled visit" in rendered(refund, now).email.text
    for kind, status in (
        (MessageKind.FEE_REDUCTION_APPROVED, "approved"),
        (MessageKind.FEE_REDUCTION_DECLINED, "declined"),
    ):
        row = put(
            kind,
            patient,
            dedupe_key=f"fee_reduction:{status}",
            context={
                "floor_minor": 2000,
                "ends_on": date(2027, 6, 30).isoformat(),
                "reply": "Take care",
            },
        )
        check(row, now)
        assert "Take care" in rendered(row, now).email.text
    assert (
        "30 June 2027"
        in rendered(
            OutboxMessage.objects.get(kind=MessageKind.FEE_REDUCTION_APPROVED), now
        ).email.text
    )

    # A visit moved: its row is put by the move itself.
    third = book(other_patient, private, local(WED, 11), now=NOW)
    moved = booking_reschedule(booking=third, starts_at=local(WED, 15), by=other_patient, now=NOW)
    check(OutboxMessage.objects.get(kind=MessageKind.BOOKING_MOVED, booking=moved), NOW)

    # A new team member's invitation (they have not signed in yet).
    check(put(MessageKind.TEAM_INVITATION, practitioner), now)

    # A place from the waiting list, held for the patient.
    entry = WaitlistEntry.objects.create(
        clinic=clinic, patient=patient, service=private, weekdays=[2], joined_at=now
    )
    starts = local(WED, 16)
    place = WaitlistPlace.objects.create(
        clinic=clinic,
        service=private,
        practitioner=private.practitioners.get(),
        starts_at=starts,
        ends_at=starts + private.duration,
        blocked_from=starts,
        blocked_until=starts + private.duration,
        expires_at=now + timedelta(hours=2),
        created_at=now,
    )
    offer = WaitlistOffer.objects.create(place=place, entry=entry, created_at=now)
    check(put(MessageKind.WAITLIST_OFFER, patient, dedupe_key=f"offer:{offer.pk}"), now)

    assert set(seen) == template_names(), "every template rendered from an outbox row"


def test_money_emails_wait_for_the_end_of_quiet_hours(patient: User) -> None:
    from datetime import UTC

    from followup.outbox import deliver

    night = datetime(2027, 3, 2, 23, 0, tzinfo=UTC)  # 23:00 in London
    row = put(
        MessageKind.FEE_REDUCTION_DECLINED,
        patient,
        dedupe_key="fee_reduction:1",
        context={"floor_minor": None, "ends_on": "", "reply": ""},
        due_at=night,
    )
    assert deliver(row.pk, now=night) == "held"
    row.refresh_from_db()
    assert row.status == "held" and row.due_at.astimezone(UTC).hour == 8
