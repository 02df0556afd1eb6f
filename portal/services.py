"""Writes about people and the clinic that more than one caller needs."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from portal.models import Clinic, Role, User

STAFF_GROUP = "Clinic staff"
# The apps whose records front-desk staff run from the admin.
STAFF_APPS = ("portal", "booking", "intake", "account")


def ensure_staff_group() -> Group:
    """The admin group for clinic staff, holding every permission on the clinic's apps."""
    group, _ = Group.objects.get_or_create(name=STAFF_GROUP)
    perms = Permission.objects.filter(content_type__app_label__in=STAFF_APPS)
    group.permissions.set(perms)
    return group


@transaction.atomic
def user_set_role(*, user: User, role: Role, clinic: Clinic | None = None) -> User:
    """Give ``user`` a role; clinic staff also get the Django admin through the staff group."""
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
