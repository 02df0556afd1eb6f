"""Round 6 of the attacker tests: trust, least privilege and privacy, through real requests."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, BookingStatus, Practitioner, Service
from intake.diary_entries import diary_add
from intake.models import FlagKind
from payments.models import Payment, PaymentStatus
from portal.models import DataExport, Role, User
from practice.models import CalendarFeed, PrivacyRequest
from tests.booking.conftest import (  # noqa: F401 (fixtures)
    WED,
    _fast_passwords,
    eager_celery,
    frozen,
    mei,
    patient,
    policies,
    private,
)
from tests.booking.factories import local, visit_at
from tests.conftest import client_for, reauthenticated
from tests.factories import TEST_PASSWORD, UserFactory
from tests.payments.conftest import localstripe, online, stripe_settings  # noqa: F401
from tests.payments.factories import checkout_for, pay_and_deliver
from tests.portal.test_export import unzip
from tests.practice.test_retention import treated_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[[], Any]:
    """Run on-commit work (a queued task) as the request's commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


# --- The desk closes an account to take the record as a "hand-over" --------------------------


@pytest.mark.usefixtures("eager_celery")
def test_the_desk_cannot_close_an_account_to_hand_its_record_over(
    patient: User,  # noqa: F811
    private: Service,  # noqa: F811
    practitioner: User,
    front_desk: User,
    owner: User,
    capture: Callable[[], Any],
) -> None:
    """A hand-over export is for someone who cannot sign in; the desk could make anyone so by
    recording an erasure request "by phone", deciding and completing it (which closes a treated
    patient's account), then ask for a hand-over and download their diary, answers and
    treatment records. Completing an erasure is the owner's, as the retention approval is."""
    treated_at(patient, private, practitioner, timezone.now() - timedelta(days=30))
    diary_add(patient=patient, pain=7, note="MARKER-DIARY after the chemo", tags=[])
    desk = reauthenticated(front_desk)
    new = {"patient_email": patient.email, "kind": "erasure", "received_via": "phone"}
    desk.post(reverse("practice:privacy_request_new"), {**new, "details": "Delete me."})
    request = PrivacyRequest.objects.get(patient=patient)
    url = reverse("practice:privacy_request", args=[request.pk])
    desk.post(url, {"action": "decide", "decision": "Close what can be closed."})
    desk.post(url, {"action": "erase"})
    patient.refresh_from_db()
    form = {"email": patient.email, "channel": "phone", "identity_checked": "on"}
    with capture():
        desk.post(reverse("desk_export"), {**form, "delivery": "handover"})
    made = DataExport.objects.filter(patient=patient).first()
    if made is not None:
        got = desk.post(reverse("desk_export_handover", args=[made.pk]))
        if got.status_code == 200:
            data, _ = unzip(got.content)
            assert "MARKER-DIARY" not in str(data), "the desk downloaded the patient's diary"
    assert patient.closed_at is None, "the desk closed a patient's account on its own"
    assert b"data-owner-completes" in desk.get(url).content
    # The owner completes it.
    reauthenticated(owner).post(url, {"action": "erase"})
    patient.refresh_from_db()
    assert patient.closed_at is not None


# --- An unlocked session moves the account to another email address -------------------------


def test_an_unlocked_session_cannot_move_the_account_to_another_address(
    patient: User,  # noqa: F811
) -> None:
    """Whoever sits at an unlocked session could add their own address on allauth's email page,
    confirm it from their inbox and make it the primary one, with no password asked: the
    portal's emails (visits, check-in and data-export links) then went to them, and a password
    reset from that address made the account theirs. Downloading the data asks for the password
    again; this walked round it. Each change of address now asks for the password first (a
    team account, with its authenticator app, may add no address at all: allauth's rule)."""
    user = patient
    browser = client_for(user)
    answer = browser.post(
        reverse("account_email"), {"action_add": "", "email": "taker@example.net"}
    )
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("account_reauthenticate"))
    assert not EmailAddress.objects.filter(email="taker@example.net").exists()
    # Having re-entered the password, the person adds their own new address as before.
    browser.post(reverse("account_reauthenticate"), {"password": TEST_PASSWORD})
    browser.post(reverse("account_email"), {"action_add": "", "email": "mine@example.net"})
    assert EmailAddress.objects.filter(user=user, email="mine@example.net").exists()


# --- The workspace's cancel button refunds without the password --------------------------------


@pytest.mark.usefixtures("frozen", "eager_celery")
def test_cancelling_a_paid_visit_from_the_workspace_asks_for_the_password(
    stripe_settings: Any,  # noqa: F811
    online: Service,  # noqa: F811
    patient: User,  # noqa: F811
    front_desk: User,
    localstripe: str,  # noqa: F811
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """ "Cancel and refund" on the booking pages asks a team member for their password first
    (``payments:cancel``, ``sensitive_team_action``): an unlocked desk session must not cancel
    and refund patients' paid visits. The workspace's own Cancel button (``practice:cancel``)
    makes the same refund through ``cancel_with_refund`` and asked nothing."""
    held = checkout_for(patient, online, local(WED, 9))
    assert held.payment is not None
    pay_and_deliver(localstripe, held.payment)
    desk = client_for(front_desk)
    url = reverse("practice:cancel", args=[held.booking.pk])
    assert desk.get(url).status_code == 200  # the page says what happens
    with django_capture_on_commit_callbacks(execute=True):
        asked = desk.post(url, {"how": "clinic", "note": ""})
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED, "refunded, nothing asked"
    assert Booking.objects.get().status == BookingStatus.CONFIRMED
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    # Having re-entered the password, the desk cancels and the refund goes.
    with django_capture_on_commit_callbacks(execute=True):
        desk.post(asked["Location"], {"password": TEST_PASSWORD})
    assert Booking.objects.get().status == BookingStatus.CANCELLED
    assert Payment.objects.get().status == PaymentStatus.REFUNDED


# --- A calendar feed outlives the move of its profile to another account ---------------------


@pytest.mark.usefixtures("frozen")
def test_a_calendar_feed_stops_when_its_profile_moves_to_another_account(
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
    patient: User,  # noqa: F811
    owner: User,
) -> None:
    """The owner may hand a practitioner profile (its visits and patients) to another account,
    say a colleague taking over a list. The feed address belongs to the profile, and the old
    account's calendar app kept fetching every visit of it, patients' initials included, and
    the new holder's feed page showed the old address as theirs. A feed now works only for
    the account it was made for; the new holder turns on their own."""
    visit_at(patient=patient, service=private, practitioner=mei, starts_at=local(WED, 9))
    mei_user = mei.user
    assert (
        reauthenticated(mei_user).post(reverse("practice:feed"), {"action": "enable"}).status_code
        == 302
    )
    old_token = CalendarFeed.objects.get(practitioner=mei).token
    nina = UserFactory.create(email="nina@example.com", role=Role.PRACTITIONER)
    # The owner moves the profile (the admin's user field, the owner's alone).
    Practitioner.objects.filter(pk=mei.pk).update(user=nina)
    assert Client().get(f"/feeds/{old_token}.ics").status_code == 404
    nina_browser = reauthenticated(nina)
    page = nina_browser.get(reverse("practice:feed")).content.decode()
    assert old_token not in page
    nina_browser.post(reverse("practice:feed"), {"action": "enable"})
    new_token = CalendarFeed.objects.get(practitioner=mei).token
    assert new_token != old_token
    assert Client().get(f"/feeds/{new_token}.ics").status_code == 200


def test_the_migration_keeps_existing_feeds_working_for_their_holders(
    mei: Practitioner,  # noqa: F811
) -> None:
    """practice 0004 names, for each existing feed, the account holding its profile now."""
    import importlib

    from django.apps import apps

    fill = importlib.import_module("practice.migrations.0004_calendar_feed_made_for").fill_made_for
    feed = CalendarFeed.objects.create(practitioner=mei)
    fill(apps, None)
    feed.refresh_from_db()
    assert feed.made_for_id == mei.user_id
    assert Client().get(f"/feeds/{feed.token}.ics").status_code == 200


# --- "See anyway" on someone who has left ------------------------------------------------------


def test_no_one_sees_anyway_the_record_of_a_patient_who_has_left(
    patient: User,  # noqa: F811
    private: Service,  # noqa: F811
    practitioner: User,
) -> None:
    """A closed account keeps its treatment records until the retention date, but its patient
    can no longer sign in to their privacy page, where every "see anyway" grant is listed for
    them. A practitioner who never treated them could still ask, give a reason and read their
    diary, answers and treatment records, a read the patient could never see. As no visit can
    be booked for someone who has left (round 4), no grant can be asked for them either."""
    from intake.models import RecordAccessGrant
    from practice import retention

    treated_at(patient, private, practitioner, timezone.now() - timedelta(days=500))
    assert retention.close_account(patient=patient, by=patient) == "closed"
    david = UserFactory.create(email="david@example.com", role=Role.PRACTITIONER)
    browser = reauthenticated(david)
    url = reverse("intake:see_anyway", args=[patient.pk])
    asked = browser.post(url, {"reason": "Covering for a colleague today."})
    assert not RecordAccessGrant.objects.filter(viewer=david).exists(), (
        "a grant on a closed account"
    )
    assert asked.status_code == 404
    assert browser.get(reverse("intake:practice_intake", args=[patient.pk])).status_code == 404


# --- A closed account stays on the waiting list -------------------------------------------------


@pytest.mark.usefixtures("eager_celery")
def test_closing_the_account_takes_the_patient_off_the_waiting_list(
    patient: User,  # noqa: F811
    private: Service,  # noqa: F811
    practitioner: User,
    front_desk: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    """A treated patient who closed their account stayed on the team's waiting list by name:
    each freed place was held for someone who can neither read the offer nor sign in to take
    it, keeping it from the next person, and the team could offer them places by hand or put
    them back on the list. Closing ends their entries, and no one adds someone who has left."""
    from booking.waitlist.entries import waitlist_join
    from booking.waitlist.errors import WaitlistError
    from booking.waitlist_models import EntryStatus, WaitlistEntry

    treated_at(patient, private, practitioner, timezone.now() - timedelta(days=30))
    waitlist_join(patient=patient, service=private, weekdays=[0, 1, 2, 3, 4], day_parts=["morning"])
    with django_capture_on_commit_callbacks(execute=True):
        reauthenticated(patient).post(reverse("practice:close_account"), {"confirm": "close"})
    patient.refresh_from_db()
    assert patient.closed_at is not None
    assert not WaitlistEntry.objects.filter(patient=patient, status=EntryStatus.WAITING).exists()
    page = client_for(front_desk).get(reverse("practice:waitlist")).content.decode()
    assert patient.email not in page and patient.get_full_name() not in page
    with pytest.raises(WaitlistError):
        waitlist_join(
            patient=patient, service=private, weekdays=[0], day_parts=["morning"], by=front_desk
        )


# --- The owner's audit trail names flags and alerts the owner may not read ----------------------


def test_the_audit_trail_tells_the_owner_no_flag_or_alert_that_only_the_record_shows(
    patient: User,  # noqa: F811
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
    practitioner: User,
    owner: User,
) -> None:
    """The owner reads no health data; the team's dashboards show everyone only the flags that
    hold treatment and the emergency, urgent and same-day alerts. The audit trail (and its CSV)
    named the kind of every cleared flag ("treat_gently": they reacted badly to needling;
    "gentler_treatment_recorded") and the level of every acknowledged alert, so the owner read
    there what only the record shows. Those rows now say which flag or alert, who and when."""
    from intake.models import AlertLevel
    from intake.services import alert_raise, flag_raise

    visit_at(patient=patient, service=private, practitioner=mei, starts_at=local(WED, 9))
    gently, _ = flag_raise(patient=patient, kind=FlagKind.TREAT_GENTLY, reason="Sore a week")
    routine, _ = alert_raise(
        patient=patient,
        level=AlertLevel.ROUTINE,
        kind="checkin_worse",
        source_key="t:1",
        summary="Worse after treatment",
    )
    mei_browser = client_for(practitioner)
    mei_browser.post(reverse("intake:clear_flag", args=[gently.pk]), {"note": "Spoke to them."})
    mei_browser.post(reverse("intake:acknowledge_alert", args=[routine.pk]))
    gently.refresh_from_db()
    routine.refresh_from_db()
    assert gently.cleared_at is not None and routine.acknowledged_at is not None
    owner_browser = client_for(owner)
    for url in (reverse("audit_trail"), reverse("audit_trail_csv")):
        shown = owner_browser.get(url).content.decode()
        assert "flag_cleared" in shown or "Flag cleared" in shown
        for health in ("treat_gently", "Treat more gently", "routine", "gentler"):
            assert health not in shown, f"{health!r} on {url}"
