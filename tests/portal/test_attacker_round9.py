"""Round 9 of the attacker tests: the same rules on every way in, and odd input to the
owner's pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from booking.models import Practitioner, Service
from portal.models import User
from practice import privacy_requests
from practice.models import PrivacyRequest, PrivacyRequestKind, ReceivedVia
from tests.booking.conftest import mei, policies, private  # noqa: F401 - fixtures
from tests.conftest import client_for, reauthenticated

pytestmark = pytest.mark.django_db

# What a forged name would have the team's plain-text alert emails say (round 8).
FORGED_LINES = "Morgan\n\nYour session ended. Sign in again at evil.example"


def test_no_way_of_writing_a_name_lets_it_start_lines_of_its_own(
    clinic: object, patient: User, front_desk: User, owner: User
) -> None:
    """Round 8 made a name one line on sign-up and "My details", but the team's alert emails
    print names written four other ways, each of which kept line breaks as posted: the desk's
    "add a caller", the admin's person form (the desk edits a patient's name there), a
    rectification request completed by the desk or owner, and the owner's team invitation.
    Each now refuses the name and writes nothing."""
    desk = client_for(front_desk)
    added = desk.post(
        reverse("desk_add_caller"),
        {
            "first_name": "Robin",
            "last_name": FORGED_LINES,
            "phone": "07700 900123",
            "email": "",
            "date_of_birth": "1980-01-01",
        },
    )
    assert added.status_code == 400
    assert not User.objects.filter(first_name="Robin").exists()

    before = (patient.first_name, patient.last_name)
    desk.post(
        reverse("admin:portal_user_change", args=[patient.pk]),
        {"first_name": "Alex", "last_name": FORGED_LINES, "phone": ""},
    )
    patient.refresh_from_db()
    assert (patient.first_name, patient.last_name) == before

    request = privacy_requests.record_request(
        patient=patient,
        kind=PrivacyRequestKind.RECTIFICATION,
        received_via=ReceivedVia.PHONE,
        details="Wants their name corrected.",
        by=front_desk,
    )
    privacy_requests.decide(request=request, decision="Correct the name.", by=front_desk)
    rectified = reauthenticated(front_desk).post(
        reverse("practice:privacy_request", args=[request.pk]),
        {
            "action": "rectify",
            "first_name": "Alex",
            "last_name": "Morgan\rForged",
            "email": patient.email,
            "phone": "",
        },
    )
    assert rectified.status_code == 200  # the form again, with its error
    patient.refresh_from_db()
    assert (patient.first_name, patient.last_name) == before
    assert PrivacyRequest.objects.get(pk=request.pk).status != "completed"

    invited = reauthenticated(owner).post(
        reverse("practice:team"),
        {
            "first_name": "Kim\u2028Forged",
            "last_name": "Lee",
            "email": "kim@example.com",
            "role": "staff",
        },
    )
    assert invited.status_code == 400
    assert not User.objects.filter(email="kim@example.com").exists()


def test_the_retention_approval_refuses_an_id_that_is_not_ascii_digits(owner: User) -> None:
    """The owner's "approve" button posts the case's id, read with ``str.isdigit()`` and
    ``int()``: "²" passed the first and failed the second, a 500. Anything but an id of an
    open case is "already approved or no longer listed"."""
    client = reauthenticated(owner)
    for value in ("²", "١٢", "-1", "9" * 30, "1\x00"):
        answer = client.post(reverse("practice:retention"), {"case": value})
        assert answer.status_code == 302, repr(value)


def test_a_stored_stripe_event_keeps_no_client_secret(
    owner: User, patient: User, clinic: object
) -> None:
    """Round 5 hid a payment's Stripe client secret from the payments admin (it completes or
    reads the payment from a browser, and is for the paying patient's page alone). But every
    handled webhook event is stored with its body, and a PaymentIntent in an event carries
    that same secret: the Stripe events admin showed it read-only to the owner, and the
    database kept a copy. The stored body leaves it out."""
    from payments.models import StripeEvent
    from payments.webhooks import ingest_event

    intent = {
        "id": "pi_round9",
        "object": "payment_intent",
        "client_secret": "pi_round9_secret_MARKERSECRET",
        "last_payment_error": {"message": "Your card was declined."},
    }
    evt = {
        "id": "evt_round9",
        "object": "event",
        "type": "payment_intent.payment_failed",
        "data": {"object": intent},
    }
    assert ingest_event(evt) == "handled"
    stored = StripeEvent.objects.get(event_id=evt["id"])
    assert "MARKERSECRET" not in str(stored.payload)
    assert stored.payload["data"]["object"]["id"] == "pi_round9"

    page = client_for(owner).get(reverse("admin:payments_stripeevent_change", args=[stored.pk]))
    assert page.status_code == 200 and b"pi_round9" in page.content
    assert b"MARKERSECRET" not in page.content


def test_the_migration_takes_the_secret_out_of_events_already_stored(clinic: object) -> None:
    """payments 0004 rewrites the events stored before, keeping the rest of each body."""
    import importlib

    from django.apps import apps

    from payments.models import StripeEvent

    migration = importlib.import_module(
        "payments.migrations.0004_stored_events_without_client_secret"
    )
    body = {"id": "evt_old", "data": {"object": {"id": "pi_old", "client_secret": "pi_old_s"}}}
    StripeEvent.objects.create(event_id="evt_old", type="payment_intent.succeeded", payload=body)
    migration.forwards(apps, None)
    assert StripeEvent.objects.get(event_id="evt_old").payload == {
        "id": "evt_old",
        "data": {"object": {"id": "pi_old"}},
    }


def test_a_closure_cannot_end_on_the_last_day_of_the_calendar(front_desk: User) -> None:
    """31/12/9999 is a date the form took, and nothing else bounded a closure's days but its
    length: the closure was saved, then its page and the closures list computed the midnight
    after its last day, which does not exist. Adding it answered 500 with the row already
    written, and the desk's closures page failed for everyone from then on (the only place
    to reopen it). A last day after ``portal.params.LATEST`` is refused with the field named,
    and nothing is written."""
    from booking.models import ClinicClosure

    desk = client_for(front_desk)
    answer = desk.post(
        reverse("booking:closures"),
        {"first_day": "9999-12-31", "last_day": "9999-12-31", "reason": "Closed"},
    )
    assert answer.status_code == 400
    assert "Check the year" in answer.content.decode()
    assert not ClinicClosure.objects.exists()
    assert desk.get(reverse("booking:closures")).status_code == 200


def test_the_daily_digest_names_only_patients_whose_record_its_reader_may_read(
    private: Service,  # noqa: F811
    patient: User,
    practitioner: User,
    mei: Practitioner,  # noqa: F811
) -> None:
    """The practitioner's dashboard lists routine check-in notes only for patients whose
    record they may read (``policy.alerts_for``), but the daily digest email listed every
    routine alert naming them, so a note ("worse after the treatment") on a patient outside
    their care reached them by email with the patient's name. A visit the practitioner booked
    themself is no evidence of care (``policy.care_visits``), yet its 48-hour check-in goes
    out: its note is in no one's digest for them, as it is on no dashboard of theirs."""
    from datetime import UTC, datetime

    from booking.models import Booking
    from followup.models import MessageKind, OutboxMessage
    from followup.planner import plan
    from intake.models import Alert, AlertLevel
    from intake.services import alert_raise
    from portal import policy
    from tests.booking.conftest import NOW, WED
    from tests.booking.factories import local
    from tests.followup.conftest import book

    visit = book(patient, private, local(WED, 9), now=NOW, booked_by=practitioner)
    assert Booking.objects.get(pk=visit.pk).made_by == practitioner
    alert, _ = alert_raise(
        patient=patient,
        level=AlertLevel.ROUTINE,
        kind="checkin_worse_early",
        source_key="checkin:round9",
        summary="Worse after treatment 1",
        practitioner=mei,
        booking=visit,
    )
    Alert.objects.filter(pk=alert.pk).update(created_at=datetime(2027, 3, 1, 12, tzinfo=UTC))
    digest_time = datetime(2027, 3, 2, 9, 0, tzinfo=UTC)
    assert not policy.alerts_for(practitioner, now=digest_time).filter(pk=alert.pk).exists()

    plan(digest_time)
    assert not OutboxMessage.objects.filter(
        kind=MessageKind.ALERT_DIGEST, recipient=practitioner
    ).exists()


def test_the_admin_lists_are_filtered_only_by_what_they_offer(
    front_desk: User,
    patient: User,
    other_patient: User,
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """Django's admin lets anyone who may see a list filter it by any of the model's own
    fields, and by whether (or which) related rows exist, reverse relations included, by
    typing the lookup into the address. Through it the desk read what round 5 hid and what it
    may not read: a payment's Stripe client secret, one character at a time, and which
    patients have a flag, an alert, a check-in or a treatment record. A list now takes only
    the lookups its own filters and date drill-down make; anything else is the 400 page."""

    from intake.models import FlagKind
    from intake.services import flag_raise
    from tests.portal.test_attacker_round5 import paid_with_a_secret

    paid_with_a_secret(patient, private, mei)
    flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="Bruised easily last time")
    desk = client_for(front_desk)
    payments = reverse("admin:payments_payment_changelist")
    people = reverse("admin:portal_user_changelist")

    for url, query in (
        (payments, {"client_secret__startswith": "pi_123_secret_M"}),
        (payments, {"client_secret__regex": "^pi_123_secret_MARK"}),
        (people, {"flags__isnull": "False"}),
        (people, {"alerts_about__isnull": "False"}),
        (people, {"treatment_records__isnull": "False"}),
        (people, {"date_of_birth__year": "1980"}),
    ):
        answer = desk.get(url, query)
        assert answer.status_code == 400, query
        assert patient.email not in answer.content.decode()

    # What the lists offer still works: their filters, search and date drill-down.
    assert desk.get(payments, {"status__exact": "pending"}).status_code == 200
    assert desk.get(payments, {"created_at__year": "2026"}).status_code == 200
    listed = desk.get(people, {"role__exact": "patient", "q": "other.patient"})
    assert listed.status_code == 200 and other_patient.email in listed.content.decode()
    bookings = reverse("admin:booking_booking_changelist")
    assert desk.get(bookings, {"practitioner__id__exact": str(mei.pk)}).status_code == 200
