"""Writes about people and the clinic that more than one caller needs."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import models, transaction

from portal.models import Clinic, Role, User

STAFF_GROUP = "Clinic staff"
# What front-desk staff may do in the admin, listed one by one: the workspace pages cover
# bookings, patients' records and fee requests, so the admin keeps only what they do not.
# No users' passwords, roles, groups or admin access (the owner, a superuser, does those), no
# email addresses (changing one would let a password reset take over the account), no
# health data, no authenticators, no refunds.
STAFF_PERMISSIONS: dict[str, dict[str, tuple[str, ...]]] = {
    "portal": {"clinic": ("view", "change"), "user": ("view", "change")},
    "booking": {
        "practitioner": ("view", "change"),
        "weeklyhours": ("view", "add", "change", "delete"),
        "dateexception": ("view", "add", "change", "delete"),
        "timeoff": ("view", "add", "change", "delete"),
        "service": ("view", "add", "change"),
        "room": ("view", "add", "change"),
        "multibedshift": ("view", "add", "change", "delete"),
        "booking": ("view",),
    },
    "followup": {"outboxmessage": ("view", "change")},
    "payments": {"payment": ("view",), "refund": ("view",)},
    "account": {"emailaddress": ("view",)},
}


def staff_permissions() -> models.QuerySet[Permission]:
    """The permissions named in ``STAFF_PERMISSIONS`` (those already created by migrate)."""
    wanted = models.Q(pk__in=[])
    for app_label, by_model in STAFF_PERMISSIONS.items():
        for model, actions in by_model.items():
            wanted |= models.Q(
                content_type__app_label=app_label,
                content_type__model=model,
                codename__in=[f"{action}_{model}" for action in actions],
            )
    return Permission.objects.filter(wanted)


def ensure_staff_group() -> Group:
    """The admin group for clinic staff, holding exactly the permissions listed above."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    group.permissions.set(staff_permissions())
    return group


@transaction.atomic
def user_set_role(*, user: User, role: Role, clinic: Clinic | None = None) -> User:
    """Give ``user`` a role; clinic staff also get the Django admin through the staff group.

    The low-level write for seeding and set-up; a person's role is changed by the owner through
    ``portal.roles.change_role``, which checks and records it.
    """
    user.role = role
    user.clinic = clinic or user.clinic or Clinic.objects.current()
    user.is_staff = role == Role.STAFF or user.is_superuser
    user.save(update_fields=["role", "clinic", "is_staff"])
    group = ensure_staff_group()
    if role == Role.STAFF:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    return user


def lock_patient(patient_id: int) -> None:
    """Take the patient's row lock, in the caller's transaction. Every writer of a patient's
    visits, money and messages takes it first, so two of them queue instead of deadlocking
    (their outbox and audit rows reference the patient's row)."""
    User.objects.select_for_update().filter(pk=patient_id).exists()
