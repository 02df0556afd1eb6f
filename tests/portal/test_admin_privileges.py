"""Least privilege in the admin, and roles changed only by the owner through the role service."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from portal.models import AuditEvent, Role, User
from portal.roles import RoleChangeRefused, change_role
from portal.services import STAFF_GROUP
from tests.conftest import client_for
from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def _change_url(user: User) -> str:
    return reverse("admin:portal_user_change", args=[user.pk])


def _password_url(user: User) -> str:
    return reverse("admin:auth_user_password_change", args=[user.pk]).replace("/auth/", "/portal/")


def _access(user: User) -> tuple[Any, ...]:
    user = User.objects.get(pk=user.pk)
    return (
        user.email,
        user.role,
        user.is_staff,
        user.is_superuser,
        user.is_active,
        user.password,
        sorted(user.groups.values_list("name", flat=True)),
        sorted(user.user_permissions.values_list("codename", flat=True)),
    )


# --- the front desk in the user admin ----------------------------------------------------------


def test_desk_posting_admin_access_and_a_password_changes_none_of_it(
    front_desk: User, patient: User
) -> None:
    before = _access(patient)
    group = Group.objects.get(name=STAFF_GROUP)
    response = client_for(front_desk).post(
        _change_url(patient),
        {
            "first_name": "Alexandra",
            "last_name": patient.last_name,
            "phone": "07700 900456",
            "email": "desk@example.com",
            "role": Role.STAFF,
            "is_active": "",
            "is_staff": "on",
            "is_superuser": "on",
            "groups": [group.pk],
            "user_permissions": [1, 2, 3],
            "password": "md5$x$y",
            "password1": "new-pass-123456",
            "password2": "new-pass-123456",
        },
    )
    assert response.status_code == 302  # saved what the desk may change...
    patient.refresh_from_db()
    assert (patient.first_name, patient.phone) == ("Alexandra", "+447700900456")  # E.164
    assert _access(patient) == before  # ...and nothing else
    assert patient.check_password(TEST_PASSWORD)


def test_desk_cannot_make_itself_superuser(front_desk: User) -> None:
    before = _access(front_desk)
    client = client_for(front_desk)
    page = client.get(_change_url(front_desk))
    assert page.status_code == 200  # they may look at their own account...
    body = page.content.decode()
    for field in ["is_superuser", "is_staff", "groups", "user_permissions", "password"]:
        assert f'name="{field}"' not in body, field
    response = client.post(
        _change_url(front_desk),
        {"first_name": "Sam", "is_superuser": "on", "is_staff": "on", "role": Role.STAFF},
    )
    assert response.status_code == 403  # ...but team accounts are the owner's to change
    assert _access(front_desk) == before


def test_the_desk_user_form_offers_no_access_fields(front_desk: User, patient: User) -> None:
    body = client_for(front_desk).get(_change_url(patient)).content.decode()
    for field in ["is_superuser", "is_staff", "groups", "user_permissions", "role", "email"]:
        assert f'name="{field}"' not in body, field
    assert _password_url(patient) not in body  # no "set a password" link either
    assert 'name="first_name"' in body


@pytest.mark.parametrize("method", ["get", "post"])
def test_desk_gets_403_on_another_users_password_form(
    front_desk: User, patient: User, practitioner: User, method: str
) -> None:
    client = client_for(front_desk)
    for person in (patient, practitioner, front_desk):
        response = getattr(client, method)(
            _password_url(person), {"password1": "taken-over-99", "password2": "taken-over-99"}
        )
        assert response.status_code == 403, person.email
        person.refresh_from_db()
        assert person.check_password(TEST_PASSWORD)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/auth/group/",
        "/admin/auth/group/add/",
        "/admin/portal/user/add/",
        "/admin/portal/auditevent/",
        "/admin/mfa/authenticator/",
    ],
)
def test_desk_gets_403_on_groups_and_what_hands_out_access(front_desk: User, path: str) -> None:
    assert client_for(front_desk).get(path).status_code == 403


def test_desk_gets_403_on_the_staff_groups_own_page(front_desk: User) -> None:
    group = Group.objects.get(name=STAFF_GROUP)
    client = client_for(front_desk)
    url = reverse("admin:auth_group_change", args=[group.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": STAFF_GROUP, "permissions": [1]}).status_code == 403


def test_desk_admin_index_lists_only_what_the_workspace_does_not_cover(front_desk: User) -> None:
    body = client_for(front_desk).get("/admin/").content.decode()
    assert "/admin/portal/clinic/" in body and "/admin/booking/service/" in body
    for hidden in ["/admin/auth/group/", "/admin/mfa/", "/admin/portal/auditevent/"]:
        assert hidden not in body, hidden


def test_the_owner_still_has_every_access_field(owner: User, patient: User) -> None:
    client = client_for(owner)
    body = client.get(_change_url(patient)).content.decode()
    for field in ["is_superuser", "is_staff", "groups", "role", "email"]:
        assert f'name="{field}"' in body, field
    assert client.get(_password_url(patient)).status_code == 200
    assert client.get("/admin/auth/group/").status_code == 200


# --- the role service ------------------------------------------------------------------------


def test_the_owner_changes_a_role_and_it_is_recorded(owner: User, patient: User) -> None:
    record = change_role(actor=owner, user=patient, role=Role.PRACTITIONER)
    patient.refresh_from_db()
    assert patient.role == Role.PRACTITIONER
    assert record is not None
    assert (record.subject, record.actor, record.actor_email, record.action) == (
        patient,
        owner,
        owner.email,
        "role_changed",
    )
    assert record.detail == {"from": Role.PATIENT, "to": Role.PRACTITIONER}
    assert record.at is not None

    change_role(actor=owner, user=patient, role=Role.STAFF)
    patient = User.objects.get(pk=patient.pk)
    assert patient.is_staff and patient.groups.filter(name=STAFF_GROUP).exists()
    assert [
        (e.detail["from"], e.detail["to"])
        for e in AuditEvent.objects.filter(subject=patient).order_by("pk")
    ] == [(Role.PATIENT, Role.PRACTITIONER), (Role.PRACTITIONER, Role.STAFF)]
    # The same role again changes nothing and records nothing.
    assert change_role(actor=owner, user=patient, role=Role.STAFF) is None
    assert AuditEvent.objects.filter(subject=patient).count() == 2


@pytest.mark.parametrize("who", ["front_desk", "practitioner", "patient"])
def test_anyone_but_the_owner_is_refused_clearly(
    request: pytest.FixtureRequest, other_patient: User, who: str
) -> None:
    actor = request.getfixturevalue(who)
    for target in (other_patient, actor):  # not even their own
        with pytest.raises(RoleChangeRefused) as refused:
            change_role(actor=actor, user=target, role=Role.STAFF)
        assert "Only the clinic owner can change" in str(refused.value)
    assert User.objects.get(pk=other_patient.pk).role == Role.PATIENT
    assert User.objects.get(pk=actor.pk).role == actor.role
    assert not AuditEvent.objects.exists()


def test_an_inactive_owner_is_refused(owner: User, patient: User) -> None:
    User.objects.filter(pk=owner.pk).update(is_active=False)
    with pytest.raises(RoleChangeRefused):
        change_role(actor=User.objects.get(pk=owner.pk), user=patient, role=Role.STAFF)


def test_a_role_change_in_the_admin_asks_the_owner_to_re_authenticate_then_is_recorded(
    owner: User, patient: User, clinic: Any
) -> None:
    client = client_for(owner)
    form = {
        "email": patient.email,
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "phone": "",
        "role": Role.PRACTITIONER,
        "clinic": clinic.pk,
        "is_active": "on",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2027-01-01",
        "date_joined_1": "09:00:00",
        "initial-date_joined_0": "2027-01-01",
        "initial-date_joined_1": "09:00:00",
    }
    asked = client.post(_change_url(patient), form)
    assert asked.status_code == 302
    assert asked["Location"].startswith(reverse("account_reauthenticate"))
    assert User.objects.get(pk=patient.pk).role == Role.PATIENT
    assert not AuditEvent.objects.exists()

    done = client.post(asked["Location"], {"password": TEST_PASSWORD})
    assert done.status_code == 302, done.content.decode()[:2000]
    assert User.objects.get(pk=patient.pk).role == Role.PRACTITIONER
    change = AuditEvent.objects.get()
    assert (change.actor, change.action, change.detail) == (
        owner,
        "role_changed",
        {"from": Role.PATIENT, "to": Role.PRACTITIONER},
    )
    # The owner can read the trail (the desk cannot: see the 403 test above).
    listing = client.get("/admin/portal/auditevent/").content.decode()
    assert str(patient) in listing and owner.email in listing


def test_an_admin_save_without_a_role_change_asks_for_nothing(
    owner: User, patient: User, clinic: Any
) -> None:
    client = client_for(owner)
    response = client.post(
        _change_url(patient),
        {
            "email": patient.email,
            "first_name": "Alexandra",
            "last_name": patient.last_name,
            "phone": "",
            "role": Role.PATIENT,
            "clinic": clinic.pk,
            "is_active": "on",
            "date_joined_0": "2027-01-01",
            "date_joined_1": "09:00:00",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:portal_user_changelist")
    assert User.objects.get(pk=patient.pk).first_name == "Alexandra"
    assert not AuditEvent.objects.exists()


def test_the_front_desk_cannot_reach_role_changes_in_the_admin_at_all(
    front_desk: User, patient: User
) -> None:
    client: Client = client_for(front_desk)
    client.post(_change_url(patient), {"first_name": "A", "role": Role.STAFF})
    assert User.objects.get(pk=patient.pk).role == Role.PATIENT
    assert not AuditEvent.objects.exists()


# --- the clinic's settings -------------------------------------------------------------------


def _clinic_form_data(client: Client, clinic: Any) -> dict[str, Any]:
    """What the clinic's change form would post back unchanged (its editable fields)."""
    page = client.get(reverse("admin:portal_clinic_change", args=[clinic.pk]))
    form = page.context["adminform"].form
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        value = form.initial.get(name, field.initial)
        prepared = field.prepare_value(value)
        data[name] = "" if prepared is None else prepared
    return data


@pytest.mark.parametrize(
    ("field", "posted"),
    [
        ("team_idle_minutes", "480"),
        ("urgent_care_advice", "Wait for your next visit."),
        ("emergency_numbers", "0800 000 000"),
        ("alert_ack_minutes", "600"),
        ("time_zone", "Pacific/Kiritimati"),
        ("checkin_after_hours", "96"),
        ("quiet_hours_start", "23:00"),
        ("late_cancellation_fee_minor", "5000"),
        ("default_payment_mode", "online"),
        ("health_record_retention_years", "1"),
    ],
)
def test_the_desk_cannot_change_the_clinics_safety_and_security_settings(
    front_desk: User, clinic: Any, field: str, posted: str
) -> None:
    # Session lifetime, what an urgent patient is told, and how fast alerts are chased are
    # the owner's. The desk still edits the clinic's ordinary details.
    before = getattr(clinic, field)
    client = client_for(front_desk)
    data = {**_clinic_form_data(client, clinic), field: posted, "address": "1 High St"}
    response = client.post(reverse("admin:portal_clinic_change", args=[clinic.pk]), data)
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.address, getattr(clinic, field)) == ("1 High St", before)


def test_the_desk_cannot_name_the_duty_contact(
    front_desk: User, practitioner: User, clinic: Any
) -> None:
    client = client_for(front_desk)
    data = {**_clinic_form_data(client, clinic), "duty_contact": str(front_desk.pk)}
    response = client.post(reverse("admin:portal_clinic_change", args=[clinic.pk]), data)
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.duty_contact_id is None


def test_the_owner_changes_the_teams_idle_minutes(owner: User, clinic: Any) -> None:
    client = client_for(owner)
    data = {**_clinic_form_data(client, clinic), "team_idle_minutes": "15"}
    response = client.post(reverse("admin:portal_clinic_change", args=[clinic.pk]), data)
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.team_idle_minutes == 15


def test_the_desk_sets_the_booking_rules(front_desk: User, clinic: Any) -> None:
    """Notice, horizon, cutoff and the limits on upcoming visits are everyday operations: the
    desk (and the owner) change them in the admin, where they were not shown before."""
    client = client_for(front_desk)
    data = {
        **_clinic_form_data(client, clinic),
        "min_notice_minutes": "60",
        "booking_horizon_days": "28",
        "online_booking_limit": "4",
        "new_patient_booking_limit": "2",
    }
    response = client.post(reverse("admin:portal_clinic_change", args=[clinic.pk]), data)
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (
        clinic.min_notice_minutes,
        clinic.booking_horizon_days,
        clinic.online_booking_limit,
        clinic.new_patient_booking_limit,
    ) == (60, 28, 4, 2)


@pytest.mark.parametrize(
    ("field", "posted"),
    [
        ("booking_horizon_days", "0"),
        ("booking_horizon_days", "5000"),
        ("checkin_after_hours", "1000"),
        ("checkin_after_hours", "1"),
        ("online_booking_limit", "-1"),
        ("payment_hold_minutes", "0"),
    ],
)
def test_the_clinic_settings_refuse_values_that_would_break_the_rules(
    owner: User, clinic: Any, field: str, posted: str
) -> None:
    """A horizon of 0 days would close online booking; a check-in 1,000 hours after a visit
    would no longer ask about its soreness. The form says so and saves nothing."""
    before = getattr(clinic, field)
    client = client_for(owner)
    data = {**_clinic_form_data(client, clinic), field: posted}
    response = client.post(reverse("admin:portal_clinic_change", args=[clinic.pk]), data)
    assert response.status_code == 200
    assert response.context["adminform"].form.errors[field]
    clinic.refresh_from_db()
    assert getattr(clinic, field) == before


def test_the_owner_names_the_duty_contact(owner: User, practitioner: User, clinic: Any) -> None:
    client = client_for(owner)
    data = {**_clinic_form_data(client, clinic), "duty_contact": str(practitioner.pk)}
    response = client.post(reverse("admin:portal_clinic_change", args=[clinic.pk]), data)
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert clinic.duty_contact_id == practitioner.pk


def test_the_owner_deleting_an_account_in_the_admin_is_recorded(owner: User) -> None:
    never_booked = User.objects.create_user(email="typo@example.com", password=TEST_PASSWORD)
    other = User.objects.create_user(email="typo2@example.com", password=TEST_PASSWORD)
    admin = client_for(owner)
    one = admin.post(reverse("admin:portal_user_delete", args=[never_booked.pk]), {"post": "yes"})
    bulk = admin.post(
        reverse("admin:portal_user_changelist"),
        {"action": "delete_selected", "_selected_action": [other.pk], "post": "yes"},
    )
    assert one.status_code == bulk.status_code == 302
    assert not User.objects.filter(pk__in=[never_booked.pk, other.pk]).exists()
    rows = AuditEvent.objects.filter(action="account_deleted").order_by("pk")
    assert [(e.actor, e.detail["account"]) for e in rows] == [
        (owner, str(never_booked.pk)),
        (owner, str(other.pk)),
    ]
    assert all("typo" not in str(e.detail) for e in rows)
