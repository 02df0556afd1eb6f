"""Changing someone's role: only the clinic owner may, and every change is recorded."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction

from portal.models import Clinic, Role, RoleChange, User
from portal.services import user_set_role

logger = logging.getLogger(__name__)


class RoleChangeRefused(PermissionDenied):
    """Someone other than the clinic owner tried to change a role."""

    message = (
        "Only the clinic owner can change who is a practitioner, staff member or patient. "
        "Please ask them to make this change."
    )

    def __init__(self) -> None:
        super().__init__(self.message)


def is_owner(user: Any) -> bool:
    """The clinic owner: an active superuser (the only one who may change roles)."""
    return bool(getattr(user, "is_authenticated", False) and user.is_active and user.is_superuser)


@transaction.atomic
def change_role(
    *, actor: User, user: User, role: Role, clinic: Clinic | None = None
) -> RoleChange | None:
    """Give ``user`` the ``role`` on the owner's (``actor``'s) say-so, and record the change.

    Raises ``RoleChangeRefused`` for anyone but the owner. Returns ``None`` when the role was
    already ``role`` (admin access is still brought in step).
    """
    if not is_owner(actor):
        logger.warning("Role change refused: %s tried to make %s a %s", actor, user, role)
        raise RoleChangeRefused()
    # Locked, so two owners' changes at once are recorded one after the other with true "from"s.
    locked = User.objects.select_for_update().get(pk=user.pk)
    before = Role(locked.role) if locked.role in Role.values else None
    user_set_role(user=locked, role=role, clinic=clinic)
    user.role, user.clinic_id, user.is_staff = locked.role, locked.clinic_id, locked.is_staff
    if before == role:
        return None
    record = RoleChange.objects.create(
        user=locked,
        changed_by=actor,
        changed_by_email=actor.email,
        from_role=before or "",
        to_role=role,
    )
    logger.info("Role change: %s made %s a %s (was %s)", actor.email, locked.email, role, before)
    return record
