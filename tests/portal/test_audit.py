"""The audit trail: each sensitive team action leaves one row, rows cannot be changed or
deleted (model, queryset, admin, and on PostgreSQL the database itself), and the owner can
filter the trail and download it as CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from intake.breakglass import grant_see_anyway
from intake.models import AlertLevel, FlagKind
from intake.services import alert_acknowledge, alert_raise, flag_clear, flag_raise
from payments.fee_reductions import (
    fee_reduction_approve,
    fee_reduction_decline,
    fee_reduction_request,
)
from payments.models import Payment, PaymentStatus
from payments.services import refund_create
from portal.audit import AuditAction, record_action
from portal.models import AuditEvent, Clinic, Role, User
from portal.roles import RoleChangeRefused, change_role, reset_second_factor
from tests.booking.factories import PractitionerFactory, ServiceFactory, visit_at
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD, UserFactory
from tests.second_factor import give_authenticator

pytestmark = pytest.mark.django_db

TRAIL = reverse("audit_trail")


def _shown(client: Client, **query: str) -> list[str]:
    """The actions of the rows the owner's page lists for ``query``."""
    return re.findall(r'data-audit="([a-z_]+)"', client.get(TRAIL, query).content.decode())


def _actions(subject: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(subject=subject).order_by("pk").values_list("action", flat=True)
    )


# --- every action listed in the issue leaves a row ------------------------------------------


def test_flag_clear_and_alert_acknowledgement_are_recorded_once(
    practitioner: User, patient: User
) -> None:
    flag, _ = flag_raise(patient=patient, kind=FlagKind.RED_FLAG, reason="x")
    alert, _ = alert_raise(
        patient=patient, level=AlertLevel.URGENT, kind="k", source_key="1", summary="s"
    )
    assert flag_clear(flag=flag, by=practitioner, note="seen")
    assert not flag_clear(flag=flag, by=practitioner)  # a second click records nothing
    assert alert_acknowledge(alert=alert, by=practitioner)
    assert not alert_acknowledge(alert=alert, by=practitioner)
    assert _actions(patient) == [AuditAction.FLAG_CLEARED, AuditAction.ALERT_ACKNOWLEDGED]
    cleared = AuditEvent.objects.get(action=AuditAction.FLAG_CLEARED)
    assert (cleared.actor, cleared.actor_email) == (practitioner, practitioner.email)
    assert cleared.detail == {"flag": flag.pk, "kind": FlagKind.RED_FLAG, "because": "by_hand"}


def test_fee_decisions_are_recorded_without_the_patients_words(
    front_desk: User, patient: User, other_patient: User, clinic: Clinic
) -> None:
    words = "I am a student and a single parent"
    first = fee_reduction_request(patient=patient, clinic=clinic, reason=words)
    fee_reduction_approve(reduction=first, by=front_desk, floor_minor=1500)
    second = fee_reduction_request(patient=other_patient, clinic=clinic, reason=words)
    fee_reduction_decline(reduction=second, by=front_desk, reply="Sorry")
    assert _actions(patient) == [AuditAction.FEE_REDUCTION_APPROVED]
    assert _actions(other_patient) == [AuditAction.FEE_REDUCTION_DECLINED]
    approved = AuditEvent.objects.get(subject=patient)
    assert approved.detail == {"request": first.pk, "floor_minor": 1500}
    assert words not in str(list(AuditEvent.objects.values_list("detail", flat=True)))


def test_a_refund_is_recorded_with_its_amount(front_desk: User, patient: User) -> None:
    practitioner = PractitionerFactory.create()
    service = ServiceFactory.create(practitioners=[practitioner])
    visit = visit_at(
        patient=patient,
        service=service,
        practitioner=practitioner,
        starts_at=timezone.now() + timedelta(days=3),
    )
    payment = Payment.objects.create(
        booking=visit,
        clinic=visit.clinic,
        patient=patient,
        amount_minor=4500,
        currency="GBP",
        status=PaymentStatus.SUCCEEDED,
    )
    refund = refund_create(payment=payment, amount_minor=2000, reason="goodwill", by=front_desk)
    event = AuditEvent.objects.get(action=AuditAction.REFUND_ISSUED)
    assert (event.actor, event.subject) == (front_desk, patient)
    assert event.detail["refund"] == refund.pk
    assert (event.detail["amount_minor"], event.detail["currency"]) == (2000, "GBP")


def test_a_refund_refused_leaves_no_row(front_desk: User, patient: User) -> None:
    practitioner = PractitionerFactory.create()
    service = ServiceFactory.create(practitioners=[practitioner])
    visit = visit_at(
        patient=patient,
        service=service,
        practitioner=practitioner,
        starts_at=timezone.now() + timedelta(days=3),
    )
    payment = Payment.objects.create(
        booking=visit, clinic=visit.clinic, patient=patient, amount_minor=4500, currency="GBP"
    )
    with pytest.raises(Exception, match="went through"):
        refund_create(payment=payment, amount_minor=100, reason="goodwill", by=front_desk)
    assert not AuditEvent.objects.exists()


def test_break_glass_is_recorded_without_its_reason(practitioner: User, patient: User) -> None:
    reason = "Covering for a colleague who is off sick today"
    grant = grant_see_anyway(viewer=practitioner, patient=patient, reason=reason)
    event = AuditEvent.objects.get(action=AuditAction.BREAK_GLASS)
    assert (event.actor, event.subject, event.detail) == (
        practitioner,
        patient,
        {"grant": grant.pk},
    )
    assert reason not in str(event.detail)


def test_the_owner_resets_a_second_factor_and_it_is_recorded(
    owner: User, practitioner: User, front_desk: User
) -> None:
    give_authenticator(practitioner)
    with pytest.raises(RoleChangeRefused):
        reset_second_factor(actor=front_desk, user=practitioner)
    assert practitioner.authenticator_set.exists()  # type: ignore[attr-defined]
    assert reset_second_factor(actor=owner, user=practitioner) == 2  # app and recovery codes
    assert not practitioner.authenticator_set.exists()  # type: ignore[attr-defined]
    assert _actions(practitioner) == [AuditAction.SECOND_FACTOR_RESET]
    assert reset_second_factor(actor=owner, user=practitioner) == 0
    assert _actions(practitioner) == [AuditAction.SECOND_FACTOR_RESET]


def test_the_owner_resets_a_second_factor_from_the_admin_after_re_authenticating(
    owner: User, practitioner: User
) -> None:
    give_authenticator(practitioner)
    client = client_for(owner)
    form = {"action": "reset_second_factors", "_selected_action": [practitioner.pk]}
    asked = client.post(reverse("admin:portal_user_changelist"), form)
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert practitioner.authenticator_set.exists()  # type: ignore[attr-defined]

    client.post(asked["Location"], {"password": TEST_PASSWORD})
    assert not practitioner.authenticator_set.exists()  # type: ignore[attr-defined]
    assert _actions(practitioner) == [AuditAction.SECOND_FACTOR_RESET]


def test_the_desk_is_not_offered_the_reset(front_desk: User, practitioner: User) -> None:
    give_authenticator(practitioner)
    client = client_for(front_desk)
    page = client.get(reverse("admin:portal_user_changelist")).content.decode()
    assert "reset_second_factors" not in page
    client.post(
        reverse("admin:portal_user_changelist"),
        {"action": "reset_second_factors", "_selected_action": [practitioner.pk]},
    )
    assert practitioner.authenticator_set.exists()  # type: ignore[attr-defined]
    assert not AuditEvent.objects.exists()


def test_a_person_setting_up_their_own_authenticator_is_recorded(patient: User) -> None:
    from allauth.mfa.signals import authenticator_added

    authenticator = give_authenticator(patient)
    authenticator_added.send(
        sender=type(authenticator), request=None, user=patient, authenticator=authenticator
    )
    event = AuditEvent.objects.get(subject=patient)
    assert (event.action, event.actor, event.detail) == (
        AuditAction.SECOND_FACTOR_ADDED,
        patient,
        {"type": "totp"},
    )


# --- append-only ------------------------------------------------------------------------------


@pytest.fixture
def event(owner: User, patient: User) -> AuditEvent:
    return record_action(action=AuditAction.ROLE_CHANGED, actor=owner, subject=patient)


def test_rows_cannot_be_changed_or_deleted_through_the_model(event: AuditEvent) -> None:
    event.action = AuditAction.ANONYMISED
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.filter(pk=event.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.ROLE_CHANGED


def test_the_database_refuses_changes_too(event: AuditEvent) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    table = AuditEvent._meta.db_table
    for sql in (f"UPDATE {table} SET action = 'x'", f"DELETE FROM {table}"):  # noqa: S608
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.get(pk=event.pk).action == AuditAction.ROLE_CHANGED


def test_the_admin_shows_the_trail_to_the_owner_read_only(
    event: AuditEvent, owner: User, front_desk: User
) -> None:
    owner_client = client_for(owner)
    change = reverse("admin:portal_auditevent_change", args=[event.pk])
    delete = reverse("admin:portal_auditevent_delete", args=[event.pk])
    page = owner_client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert owner_client.post(delete, {"post": "yes"}).status_code == 403
    assert owner_client.post(change, {"action": "x"}).status_code == 403
    desk = client_for(front_desk)
    assert desk.get(change).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action=AuditAction.ROLE_CHANGED).exists()


def test_deleting_an_account_keeps_its_trail(owner: User, clinic: Clinic) -> None:
    gone = UserFactory.create(email="gone@example.com")
    record_action(action=AuditAction.ACCOUNT_DELETED, actor=owner, subject=gone)
    gone_pk = gone.pk
    gone.delete()
    row = AuditEvent.objects.get(subject_id=gone_pk)
    assert row.action == AuditAction.ACCOUNT_DELETED
    page = client_for(owner).get(TRAIL).content.decode()
    assert f"Deleted account #{gone_pk}" in page


# --- the owner's page ---------------------------------------------------------------------------


def test_only_the_owner_opens_the_trail(
    event: AuditEvent, front_desk: User, practitioner: User, patient: User
) -> None:
    for user in (front_desk, practitioner, patient):
        assert client_for(user).get(TRAIL).status_code == 403
        assert client_for(user).get(reverse("audit_trail_csv")).status_code == 403
    assert Client().get(TRAIL).status_code == 302


def test_the_owner_filters_by_action_person_and_date(owner: User, patient: User) -> None:
    mei = UserFactory.create(email="mei.lin@example.com", first_name="Mei", role=Role.PRACTITIONER)
    change_role(actor=owner, user=mei, role=Role.STAFF)
    record_action(action=AuditAction.FLAG_CLEARED, actor=mei, subject=patient)
    client = client_for(owner)

    assert _shown(client) == [AuditAction.FLAG_CLEARED, AuditAction.ROLE_CHANGED]
    assert _shown(client, action=AuditAction.FLAG_CLEARED) == [AuditAction.FLAG_CLEARED]
    assert _shown(client, person="Alex") == [AuditAction.FLAG_CLEARED]  # the patient
    assert _shown(client, person="mei.lin") == [AuditAction.FLAG_CLEARED, AuditAction.ROLE_CHANGED]

    today = timezone.localdate()
    assert _shown(client, since=str(today), until=str(today)) != []
    assert _shown(client, since=str(today + timedelta(days=1))) == []
    future = client.get(TRAIL, {"since": str(today + timedelta(days=1))}).content.decode()
    assert "Nothing matches these filters" in future


def test_bad_filters_get_a_friendly_error_not_a_500(owner: User, event: AuditEvent) -> None:
    client = client_for(owner)
    for query in (
        {"since": "yesterday"},
        {"action": "drop table"},
        {"since": "2026-12-05", "until": "2026-01-01"},
        {"page": "٣"},
        {"person": "x" * 500},
    ):
        response = client.get(TRAIL, query)
        assert response.status_code == 200, query
    page = client.get(TRAIL, {"since": "2026-12-05", "until": "2026-01-01"}).content.decode()
    assert "There is a problem" in page and "after the" in page


def test_the_csv_holds_what_the_filters_show(owner: User, patient: User) -> None:
    record_action(action=AuditAction.FLAG_CLEARED, actor=owner, subject=patient, detail={"flag": 7})
    record_action(action=AuditAction.ROLE_CHANGED, actor=owner, subject=patient)
    response = client_for(owner).get(
        reverse("audit_trail_csv"), {"action": AuditAction.FLAG_CLEARED}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == ["when", "action", "by", "about", "detail"]
    assert [r[1:] for r in rows[1:]] == [["Flag cleared", owner.email, patient.email, "flag=7"]]


def test_the_trail_shows_amounts_as_money(owner: User, patient: User) -> None:
    record_action(
        action=AuditAction.FEE_REDUCTION_APPROVED,
        actor=owner,
        subject=patient,
        detail={"request": 2, "floor_minor": 1000},
    )
    page = client_for(owner).get(TRAIL).content.decode()
    assert "floor: £10" in page and "floor_minor" not in page
    assert "request: 2" in page


def test_the_csv_never_hands_a_spreadsheet_a_formula(owner: User) -> None:
    """An address a sign-up accepts ("=1+2@example.com" passes Django's email check) is
    written as text, not run by Excel or Calc, whether it did something or was its subject."""
    formula = UserFactory.create(email="=1+2@example.com")
    record_action(action=AuditAction.ROLE_CHANGED, actor=owner, subject=formula)
    record_action(action=AuditAction.FLAG_CLEARED, actor=formula, subject=formula)
    body = client_for(owner).get(reverse("audit_trail_csv")).content.decode()
    cells = [cell for row in csv.reader(io.StringIO(body)) for cell in row]
    assert "'=1+2@example.com" in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")], cells


@pytest.mark.parametrize(
    ("since", "until"),
    [("2026-01-01", "9999-12-31"), ("0001-01-01", "2026-01-01"), ("1899-12-31", "9000-01-02")],
)
def test_dates_at_the_ends_of_the_calendar_are_refused_kindly(
    owner: User, since: str, until: str
) -> None:
    """31/12/9999 is a date, but the day after it, the end of the range, was a 500."""
    record_action(actor=owner, action=AuditAction.ROLE_CHANGED, subject=owner, detail={})
    client = client_for(owner)
    for url in ("/desk/audit/", "/desk/audit.csv"):
        response = client.get(url, {"since": since, "until": until})
        assert response.status_code == 200
    page = client.get("/desk/audit/", {"since": since, "until": until}).content.decode()
    assert "Please enter a date between 1900 and 9000" in page
