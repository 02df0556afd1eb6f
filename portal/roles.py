"""Changing someone's role: only the clinic owner may, and every change is in the audit trail."""

from __future__ import annotations

import logging
from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.core.exceptions import PermissionDenied
from django.db import transaction

from portal.audit import AuditAction, record_action
from portal.models import AuditEvent, Clinic, Role, User
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
) -> AuditEvent | None:
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
    record = record_action(
        action=AuditAction.ROLE_CHANGED,
        actor=actor,
        subject=locked,
        detail={"from": before or "", "to": Role(role).value},
    )
    logger.info("Role change: %s made %s a %s (was %s)", actor.email, locked.email, role, before)
    return record


def record_owner_access_change(*, actor: User, user: User) -> AuditEvent:
    """Record that the owner (``actor``) made ``user`` an owner (a superuser: every role,
    grant and erasure is theirs) or took it away; the admin saves the flag, in the same
    transaction, after asking the owner to re-authenticate as for a role change."""
    if not is_owner(actor):
        raise RoleChangeRefused()
    logger.info("Owner access: %s set superuser=%s on %s", actor.email, user.is_superuser, user)
    return record_action(
        action=AuditAction.OWNER_ACCESS_CHANGED,
        actor=actor,
        subject=user,
        detail={"from": not user.is_superuser, "to": user.is_superuser},
    )


def record_password_set(*, actor: User, user: User) -> AuditEvent:
    """Record that the owner (``actor``) set ``user``'s password in the admin: whoever sets it
    can sign in as them (a patient's own reads are not in their access log), so it is asked
    for again and kept in the trail like a second-factor reset."""
    if not is_owner(actor):
        raise RoleChangeRefused()
    logger.info("Password set: %s set the password of %s", actor.email, user.email)
    return record_action(action=AuditAction.PASSWORD_SET_BY_OWNER, actor=actor, subject=user)


def record_sign_in_email_change(*, actor: User, user: User) -> AuditEvent:
    """After the owner (``actor``) moved ``user``'s sign-in to ``user.email`` in the admin: put
    allauth's addresses in step (only the new one, unverified until "forgot password" proves
    it, as a rectification does) and record it. Whoever holds the address can reset the
    password, so the admin asks the owner to re-authenticate first."""
    if not is_owner(actor):
        raise RoleChangeRefused()
    EmailAddress.objects.filter(user=user).delete()
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    logger.info("Sign-in email: %s moved the sign-in of user %s", actor.email, user.pk)
    return record_action(action=AuditAction.SIGN_IN_EMAIL_CHANGED, actor=actor, subject=user)


@transaction.atomic
def reset_second_factor(*, actor: User, user: User) -> int:
    """Remove ``user``'s authenticator and recovery codes (a lost phone) on the owner's say-so;
    they set up a new one at their next sign-in. Returns how many were removed."""
    if not is_owner(actor):
        raise RoleChangeRefused()
    removed, _ = Authenticator.objects.filter(user=user).delete()
    if removed:
        record_action(action=AuditAction.SECOND_FACTOR_RESET, actor=actor, subject=user)
        logger.info("Second factor reset: %s reset %s", actor.email, user.email)
    return removed
