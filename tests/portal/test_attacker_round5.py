"""Round 5 of the attacker tests: the admin's third-party pages and health reads left out of
the access log."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse
from django.utils import timezone

from booking.models import Booking, BookingStatus, Practitioner, Service
from intake.models import FlagKind, HealthAccess
from intake.services import flag_raise
from portal.models import User
from practice import services
from practice.services import TreatmentDetails
from tests.booking.conftest import (  # noqa: F401 (fixtures)
    _fast_passwords,
    eager_celery,
    mei,
    patient,
    policies,
    private,
)
from tests.booking.factories import visit_at
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- The desk, allowed only to look at email addresses, marks them verified ----------------


def test_the_desk_cannot_mark_an_email_address_verified(front_desk: User, owner: User) -> None:
    """allauth's email-address admin offers "Mark selected email addresses as verified" to
    anyone who may open the list, and the desk's group may only look at it. A desk member (or
    a caller talking them into it) could so let an account sign in with an address nobody
    proved they own, which mandatory verification is there to stop. Verifying is a change:
    the owner's, not the desk's."""
    other = UserFactory.create(email="someone@example.com")
    address = EmailAddress.objects.create(
        user=other, email="not-theirs@example.com", verified=False, primary=False
    )
    url = reverse("admin:account_emailaddress_changelist")
    action = {"action": "make_verified", "_selected_action": [str(address.pk)]}
    desk = client_for(front_desk)
    assert desk.get(url).status_code == 200  # the desk still looks at the list
    desk.post(url, action)
    address.refresh_from_db()
    assert not address.verified
    client_for(owner).post(url, action)
    address.refresh_from_db()
    assert address.verified


# --- Health shown on a page that wrote nothing to the access log ---------------------------


def _record(visit: object, by: User, plan: str) -> None:
    details = TreatmentDetails(
        areas_and_points="Lower back: BL23",
        needle_count=9,
        depth="shallow",
        stimulation="gentle",
        reaction="Relaxed",
        plan_next_time=plan,
    )
    services.treatment_record_save(booking=visit, by=by, details=details)  # type: ignore[arg-type]


def test_the_record_form_logs_the_last_treatment_it_shows(
    practitioner: User,
    patient: User,  # noqa: F811
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """The treatment-record form of a visit with no record yet shows "Last time: ... Plan:"
    from the patient's previous treatment record, but logged the read only when this visit
    already had a record: the patient's access log never showed that it was read."""
    now = timezone.now()
    before = visit_at(
        patient=patient, service=private, practitioner=mei, starts_at=now - timedelta(days=7)
    )
    _record(before, practitioner, "MARKER-PLAN add GB34")
    today = visit_at(
        patient=patient,
        service=private,
        practitioner=mei,
        starts_at=now - timedelta(minutes=50),
        status=BookingStatus.CONFIRMED,
    )
    HealthAccess.objects.all().delete()
    page = client_for(practitioner).get(reverse("practice:record", args=[today.pk]))
    assert page.status_code == 200 and b"MARKER-PLAN" in page.content
    read = HealthAccess.objects.get()
    assert (read.viewer, read.patient) == (practitioner, patient)


def test_the_intake_page_logs_the_flags_it_shows_without_a_questionnaire(
    practitioner: User,
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """A patient who never sent the questionnaire (added by the desk, say) may still have
    flags from a check-in; the practitioner's intake page shows each flag's reason, but logged
    the read only when there was a questionnaire to show."""
    newcomer = UserFactory.create(email="newcomer@example.com")
    visit_at(
        patient=newcomer,
        service=private,
        practitioner=mei,
        starts_at=timezone.now() - timedelta(days=3),
        status=BookingStatus.ATTENDED,
    )
    flag_raise(patient=newcomer, kind=FlagKind.REVIEW, reason="MARKER-FLAG numb left foot")
    page = client_for(practitioner).get(reverse("intake:practice_intake", args=[newcomer.pk]))
    assert page.status_code == 200 and b"MARKER-FLAG" in page.content
    read = HealthAccess.objects.get()
    assert (read.viewer, read.patient) == (practitioner, newcomer)


# --- The owner removes a practitioner's authenticator in the admin, unseen ------------------


def test_the_admin_shows_authenticators_but_removes_none(owner: User, practitioner: User) -> None:
    """allauth registers its authenticators in the admin, where the owner (a superuser) could
    delete a team member's authenticator app, or change its secret, with no re-entered
    password and no audit row: the owner's documented way, "Reset second factor" on People,
    asks for both. With the password form, a session left open for a minute let someone
    take over a practitioner's sign-in, their second factor included, without a trace."""
    from allauth.mfa.models import Authenticator

    from portal.audit import AuditAction
    from portal.models import AuditEvent
    from tests.second_factor import give_authenticator

    app = give_authenticator(practitioner)
    admin = client_for(owner)
    change = reverse("admin:mfa_authenticator_change", args=[app.pk])
    assert admin.get(reverse("admin:mfa_authenticator_changelist")).status_code == 200
    shown = admin.get(change)
    assert shown.status_code == 200 and b'name="data"' not in shown.content
    before = Authenticator.objects.get(pk=app.pk).data
    admin.post(change, {"user": str(owner.pk), "type": "totp", "data": '{"secret": "x"}'})
    delete = admin.post(reverse("admin:mfa_authenticator_delete", args=[app.pk]), {"post": "yes"})
    assert delete.status_code == 403
    assert admin.get(reverse("admin:mfa_authenticator_add")).status_code == 403
    app.refresh_from_db()
    assert (app.user_id, app.data) == (practitioner.pk, before)
    assert not AuditEvent.objects.filter(action=AuditAction.SECOND_FACTOR_RESET).exists()


# --- The owner rewrites fee decisions, refunds and Stripe events in the admin ---------------


def test_the_admin_shows_fee_requests_refunds_and_stripe_events_but_changes_none(
    owner: User,
    patient: User,  # noqa: F811
    other_patient: User,
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """Fee decisions and their later changes are audited and emailed to the patient
    (``payments.fee_reductions``), refunds are the accounts, and a Stripe event's row is what
    makes a replayed webhook a no-op. The owner could approve a request in the admin with no
    audit row, no email and no check of the floor, rewrite the patient's own words or move the
    request to another patient, and delete refunds and Stripe events. They are read here,
    changed through the fee and refund pages."""
    from payments.models import FeeReduction, Payment, Refund, StripeEvent

    request = FeeReduction.objects.create(
        clinic=private.clinic, patient=patient, reason="Out of work since the operation"
    )
    visit = visit_at(patient=patient, service=private, practitioner=mei, starts_at=timezone.now())
    payment = Payment.objects.create(
        booking=visit, clinic=visit.clinic, patient=patient, amount_minor=5000, currency="GBP"
    )
    refund = Refund.objects.create(
        payment=payment, amount_minor=5000, reason="cancelled", status="succeeded"
    )
    event = StripeEvent.objects.create(event_id="evt_1", type="charge.refunded", payload={})
    admin = client_for(owner)
    change = reverse("admin:payments_feereduction_change", args=[request.pk])
    assert admin.get(change).status_code == 200
    from tests.portal.test_attacker_round4 import admin_form

    posted = {
        **admin_form(admin, change),
        "patient": str(other_patient.pk),
        "status": "approved",
        "floor_minor": "0",
        "reason": "rewritten",
    }
    admin.post(change, posted)
    request.refresh_from_db()
    assert (request.patient_id, request.status, request.reason) == (
        patient.pk,
        "pending",
        "Out of work since the operation",
    )
    assert admin.get(reverse("admin:payments_feereduction_add")).status_code == 403
    for name, row in (
        ("payments_feereduction", request),
        ("payments_refund", refund),
        ("payments_stripeevent", event),
    ):
        gone = admin.post(reverse(f"admin:{name}_delete", args=[row.pk]), {"post": "yes"})
        assert gone.status_code == 403, name
        assert type(row).objects.filter(pk=row.pk).exists(), name


# --- Making someone an owner in the admin asked for less than a role change ----------------


def test_making_someone_an_owner_asks_to_re_authenticate_and_is_recorded(
    owner: User,
    patient: User,  # noqa: F811
) -> None:
    """A role change in the admin asks the owner for their password or a code and goes in the
    audit trail; ticking "superuser" on a patient's account, which makes them a second owner
    (every role, grant and erasure is theirs), asked for neither. An owner's session left open
    on the desk's computer let anyone make their own patient account an owner, unseen."""
    from portal.models import AuditEvent
    from tests.factories import TEST_PASSWORD
    from tests.portal.test_attacker_round4 import admin_form

    admin = client_for(owner)
    url = reverse("admin:portal_user_change", args=[patient.pk])
    # No group ticked: the parser's empty value for the multiple select is not posted.
    form = {k: v for k, v in admin_form(admin, url).items() if k != "groups"}
    asked = admin.post(url, {**form, "is_superuser": "on"})
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert not User.objects.get(pk=patient.pk).is_superuser
    assert not AuditEvent.objects.exists()

    done = admin.post(asked["Location"], {"password": TEST_PASSWORD})
    assert done.status_code == 302
    assert User.objects.get(pk=patient.pk).is_superuser
    granted = AuditEvent.objects.get()
    assert (granted.actor, granted.subject, granted.action, granted.detail) == (
        owner,
        patient,
        "owner_access_changed",
        {"from": False, "to": True},
    )


# --- Setting a patient's password in the admin: no re-entry, no trace ---------------------


def test_setting_someones_password_asks_to_re_authenticate_and_is_recorded(
    owner: User,
    patient: User,  # noqa: F811
) -> None:
    """Setting another person's password is the owner's (``may_change_sign_in_email``), and
    with it the owner, who reads no health data, can sign in as a patient and read their whole
    record; the patient's access log never shows a patient's own reads. It asked for no
    password and left no audit row, so an owner's session left open did it unseen."""
    from portal.models import AuditEvent
    from tests.factories import TEST_PASSWORD

    admin = client_for(owner)
    url = reverse("admin:auth_user_password_change", args=[patient.pk]).replace(
        "/auth/", "/portal/"
    )
    chosen = {"password1": "Taken-0ver-99!", "password2": "Taken-0ver-99!"}
    asked = admin.post(url, chosen)
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert User.objects.get(pk=patient.pk).check_password(TEST_PASSWORD)
    assert not AuditEvent.objects.exists()

    done = admin.post(asked["Location"], {"password": TEST_PASSWORD})
    assert done.status_code == 302
    assert User.objects.get(pk=patient.pk).check_password("Taken-0ver-99!")
    set_by_owner = AuditEvent.objects.get()
    assert (set_by_owner.actor, set_by_owner.subject, set_by_owner.action) == (
        owner,
        patient,
        "password_set_by_owner",
    )


# --- ... or moving their sign-in to another address ----------------------------------------


def test_moving_someones_sign_in_email_asks_to_re_authenticate_and_is_recorded(
    owner: User,
    patient: User,  # noqa: F811
) -> None:
    """Whoever holds the sign-in address can reset the password ("forgot password") and sign
    in as the patient, which is why the desk may not change it (``may_change_sign_in_email``)
    and the owner's rectification asks for the password again. The owner's admin form changed
    it with neither, and left the old address on the account, still verified and still
    receiving password resets."""
    from portal.models import AuditEvent
    from tests.factories import TEST_PASSWORD
    from tests.portal.test_attacker_round4 import admin_form

    assert EmailAddress.objects.filter(user=patient, email=patient.email, verified=True).exists()
    admin = client_for(owner)
    url = reverse("admin:portal_user_change", args=[patient.pk])
    form = {k: v for k, v in admin_form(admin, url).items() if k != "groups"}
    asked = admin.post(url, {**form, "email": "attacker@example.net"})
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert User.objects.get(pk=patient.pk).email == "patient@example.com"
    assert not AuditEvent.objects.exists()

    done = admin.post(asked["Location"], {"password": TEST_PASSWORD})
    assert done.status_code == 302
    assert User.objects.get(pk=patient.pk).email == "attacker@example.net"
    moved = AuditEvent.objects.get()
    assert (moved.actor, moved.subject, moved.action) == (owner, patient, "sign_in_email_changed")
    # allauth's addresses follow: the new one, unverified until "forgot password" proves it.
    assert list(
        EmailAddress.objects.filter(user=patient).values_list("email", "primary", "verified")
    ) == [("attacker@example.net", True, False)]


# --- A card payment's client secret on the desk's admin page --------------------------------


def paid_with_a_secret(who: User, service: Service, practitioner: Practitioner) -> Any:
    """A visit today paid online, its payment carrying a client secret marked MARKERSECRET."""
    from payments.models import Payment

    visit = visit_at(
        patient=who, service=service, practitioner=practitioner, starts_at=timezone.now()
    )
    return Payment.objects.create(
        booking=visit,
        clinic=visit.clinic,
        patient=who,
        amount_minor=5000,
        currency="GBP",
        stripe_payment_intent_id="pi_123",
        client_secret="pi_123_secret_MARKERSECRET",
    )


def test_the_admin_does_not_show_a_payments_client_secret(
    front_desk: User,
    patient: User,  # noqa: F811
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """Stripe's client secret of a payment lets whoever holds it complete or read that
    payment from a browser, and is for the paying patient's page only (Stripe: never logged
    or shown to anyone else). The payments admin listed every field read-only, the secret
    included, to the desk."""
    payment = paid_with_a_secret(patient, private, mei)
    page = client_for(front_desk).get(reverse("admin:payments_payment_change", args=[payment.pk]))
    assert page.status_code == 200 and b"pi_123" in page.content
    assert b"MARKERSECRET" not in page.content


# --- The desk switches off the chase of unacknowledged urgent alerts ------------------------


def test_the_desk_cannot_change_the_opening_hours_that_time_the_alert_chase(
    front_desk: User, owner: User
) -> None:
    """How soon an unacknowledged emergency or urgent alert is sent again and escalated to the
    owner is the owner's setting (``alert_ack_minutes``), but it counts minutes of opening
    hours, which the desk edited: one minute on Sundays and the chase never comes
    (``acknowledge_by`` finds no moment), and patients are promised a call "when the clinic
    next opens". The opening hours are the owner's like the minutes they time."""
    from portal.models import Clinic
    from portal.opening_hours import acknowledge_by
    from tests.portal.test_admin_privileges import _clinic_form_data

    clinic = Clinic.objects.current()
    assert acknowledge_by(clinic, timezone.now()) is not None
    url = reverse("admin:portal_clinic_change", args=[clinic.pk])
    hours = {"open_days": "6", "opens_at": "08:00", "closes_at": "08:01"}
    desk = client_for(front_desk)
    answer = desk.post(url, {**_clinic_form_data(desk, clinic), **hours, "address": "1 High St"})
    assert answer.status_code == 302
    clinic.refresh_from_db()
    assert clinic.address == "1 High St"  # the desk still edits the ordinary details
    assert acknowledge_by(clinic, timezone.now()) is not None
    assert (clinic.open_days, clinic.opens_at.minute, clinic.closes_at.hour) == ("012345", 0, 18)
    # The owner still sets them.
    admin = client_for(owner)
    admin.post(url, {**_clinic_form_data(admin, clinic), "open_days": "0123456"})
    clinic.refresh_from_db()
    assert clinic.open_days == "0123456"


# --- The desk takes the record of a caller it added, who never chose a password ------------


@pytest.mark.usefixtures("eager_celery")
def test_the_desk_cannot_take_the_record_of_a_caller_it_added_with_an_email(
    front_desk: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """ "Hand over" (the desk downloads the file) is for someone who cannot sign in; the desk
    reads no health data. A caller the desk added has no password until they use "forgot
    password", so ``can_use_link`` counted them as unable to sign in, and the desk could take
    the diary, answers and treatment records of every caller it had added with an email
    address by recording a phone request. They can sign in (setting a password first), so
    they get the link; only a caller with no email address is handed the file."""
    from datetime import date

    from django.core import mail

    from intake.diary_entries import diary_add
    from portal import export
    from portal.models import DataExport
    from portal.patients import NewCaller, desk_add_patient
    from tests.conftest import reauthenticated

    caller = desk_add_patient(
        by=front_desk,
        caller=NewCaller(
            first_name="Gwen",
            last_name="Price",
            phone="07700 900111",
            date_of_birth=date(1970, 1, 1),
            email="gwen@example.com",
        ),
    )
    assert not caller.has_usable_password()
    diary_add(patient=caller, pain=7, note="MARKER-DIARY", tags=[])
    desk = reauthenticated(front_desk)
    form = {"email": caller.email, "channel": "phone", "identity_checked": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        refused = desk.post(reverse("desk_export"), {**form, "delivery": "handover"})
    assert refused.status_code == 200 and b"can sign in" in refused.content
    assert not DataExport.objects.filter(handover=True).exists()
    with pytest.raises(export.ExportRefused):
        export.request_export(
            patient=caller, requested_by=front_desk, channel="phone", handover=True
        )
    # The link goes to them instead; the sign-in page's "forgot password" sets a password.
    with django_capture_on_commit_callbacks(execute=True):
        sent = desk.post(reverse("desk_export"), {**form, "delivery": "link"})
    assert sent.status_code == 302
    assert DataExport.objects.get(patient=caller).handover is False
    told = [m for m in mail.outbox if m.to == [caller.email]]
    assert told and "Forgotten your password?" in told[-1].body


# --- A visit the practitioner booked themself, moved by the desk, opened the record ---------


def _weekday(days_ahead: int) -> Any:
    day = timezone.localdate() + timedelta(days=days_ahead)
    while day.weekday() > 4:
        day += timedelta(days=1)
    return day


def test_a_visit_the_practitioner_booked_counts_for_nothing_whoever_moves_it(
    front_desk: User,
    practitioner: User,
    patient: User,  # noqa: F811
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """A booking a practitioner made themself is no evidence of care, and moving a visit does
    not change who made it (``policy.care_visits``). But only the last move was looked at: Mei
    books a patient she may find (one she treated two years ago) with herself, asks the desk
    to move it, and the moved visit was "booked by the desk", so she read the whole record days
    before any visit. The other way round, a visit the patient made that Mei moved twice
    stopped counting. Who made a visit is now kept on every row a move makes."""
    from booking.services import booking_reschedule
    from portal import policy
    from tests.booking.factories import book, local

    visit_at(
        patient=patient,
        service=private,
        practitioner=mei,
        starts_at=timezone.now() - timedelta(days=730),
        status=BookingStatus.ATTENDED,
    )
    assert policy.findable_patients(practitioner).filter(pk=patient.pk).exists()
    assert not policy.may_read_record(practitioner, patient)
    now = timezone.now()
    mine = book(
        patient, private, local(_weekday(3), 10), now=now, practitioner=mei, booked_by=practitioner
    )
    assert not policy.may_read_record(practitioner, patient)
    moved = booking_reschedule(booking=mine, starts_at=local(_weekday(3), 14), by=front_desk)
    booking_reschedule(booking=moved, starts_at=local(_weekday(3), 15), by=front_desk)
    assert not policy.may_read_record(practitioner, patient)

    # A visit the patient made stays theirs however often Mei moves it.
    theirs = book(
        patient, private, local(_weekday(10), 10), now=now, practitioner=mei, booked_by=patient
    )
    Booking.objects.filter(patient=patient, booked_by__in=[practitioner, front_desk]).update(
        status=BookingStatus.CANCELLED
    )
    once = booking_reschedule(booking=theirs, starts_at=local(_weekday(10), 14), by=practitioner)
    assert policy.may_read_record(practitioner, patient)
    booking_reschedule(booking=once, starts_at=local(_weekday(10), 15), by=practitioner)
    assert policy.may_read_record(practitioner, patient)


def test_the_migration_fills_who_made_each_visit_from_its_first_row(
    front_desk: User,
    practitioner: User,
    patient: User,  # noqa: F811
    mei: Practitioner,  # noqa: F811
    private: Service,  # noqa: F811
) -> None:
    """booking 0010 gives every existing row the booker of the first row of its chain of moves."""
    import importlib

    from django.apps import apps

    fill = importlib.import_module("booking.migrations.0010_booking_made_by").fill_made_by
    start = timezone.now() + timedelta(days=3)
    rows: list[Booking] = []
    for n, (booked_by, status) in enumerate(
        [
            (practitioner, BookingStatus.RESCHEDULED),
            (front_desk, BookingStatus.RESCHEDULED),
            (front_desk, BookingStatus.CONFIRMED),
        ]
    ):
        rows.append(
            visit_at(
                patient=patient,
                service=private,
                practitioner=mei,
                starts_at=start + timedelta(hours=2 * n),
                status=status,
                booked_by=booked_by,
                rescheduled_from=rows[-1] if rows else None,
            )
        )
    alone = visit_at(
        patient=patient, service=private, practitioner=mei, starts_at=start + timedelta(days=1)
    )
    fill(apps, None)
    made = dict(Booking.objects.values_list("pk", "made_by_id"))
    assert [made[r.pk] for r in rows] == [practitioner.pk] * 3
    assert made[alone.pk] is None  # no booker recorded: none invented


# --- The desk re-kinds a treatment as a free assessment, which no red flag holds ------------


def _change_form_data(client: Any, url: str) -> dict[str, Any]:
    """What an admin change form would post back unchanged (its editable fields)."""
    form = client.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        prepared = field.prepare_value(form.initial.get(name, field.initial))
        if isinstance(prepared, list):
            data[name] = [str(v.pk if hasattr(v, "pk") else v) for v in prepared]
        else:
            data[name] = "" if prepared is None else prepared
    return data


def test_the_desk_cannot_rekind_a_treatment_as_an_assessment(
    front_desk: User,
    owner: User,
    private: Service,  # noqa: F811
) -> None:
    """Booking holds treatment, not a free assessment, for a patient with an open red flag:
    the desk re-kinding the treatment service let flagged patients book it again. The kind is
    the owner's; the desk still renames and reprices."""
    url = reverse("admin:booking_service_change", args=[private.pk])
    desk = client_for(front_desk)
    data = {**_change_form_data(desk, url), "kind": "assessment", "name": "Follow-up visit"}
    assert desk.post(url, data).status_code == 302
    private.refresh_from_db()
    assert (private.name, private.kind) == ("Follow-up visit", "private")
    admin = client_for(owner)
    assert admin.post(url, {**_change_form_data(admin, url), "kind": "multibed"}).status_code == 302
    private.refresh_from_db()
    assert private.kind == "multibed"
