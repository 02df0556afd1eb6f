"""The owner's team page: who is on the team, and inviting a practitioner or a front-desk member
by email, who then chooses their own password (the owner never knows it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction

from booking.models import Practitioner, Service
from portal.audit import AuditAction, record_action
from portal.messaging import MessageKind, outbox_put
from portal.models import Clinic, Role, User
from portal.policy import is_owner
from portal.roles import RoleChangeRefused
from portal.services import user_set_role

# The roles an invitation may give; "owner" is a flag on a staff account, set in the admin.
INVITABLE_ROLES = (Role.PRACTITIONER, Role.STAFF)


class AlreadyHasAccount(Exception):
    """Someone already signs in with that email (a patient, or a team member)."""

    def __init__(self, user: User) -> None:
        super().__init__(user.email)
        self.user = user


@dataclass(frozen=True)
class TeamMember:
    user: User
    role: str
    practitioner: Practitioner | None
    # Has not chosen a password yet: the invitation (or "Forgotten your password?") is the way in.
    invited: bool
    last_sign_in: datetime | None


def team_members(clinic: Clinic) -> list[TeamMember]:
    """Everyone on the clinic's team who can still sign in, owner first, then by name."""
    people = User.objects.filter(
        clinic=clinic, role__in=INVITABLE_ROLES, is_active=True, closed_at__isnull=True
    ).order_by("-is_superuser", "first_name", "last_name", "email")
    profiles = {p.user_id: p for p in Practitioner.objects.filter(user__in=people)}
    return [
        TeamMember(
            user=person,
            role=_role_words(person),
            practitioner=profiles.get(person.pk),
            invited=person.last_login is None and not person.has_usable_password(),
            last_sign_in=person.last_login,
        )
        for person in people
    ]


def _role_words(person: User) -> str:
    if person.is_superuser:
        return "Owner"
    return "Practitioner" if person.role == Role.PRACTITIONER else "Front desk"


def invite_team_member(
    *,
    owner: User,
    first_name: str,
    last_name: str,
    email: str,
    role: Role,
    services: Iterable[Service] = (),
) -> User:
    """Make the account (no usable password), its practitioner profile offering ``services``,
    an audit row and the invitation email, in one transaction.

    Raises ``RoleChangeRefused`` for anyone but the owner and ``AlreadyHasAccount`` rather than
    touching an existing account (a patient becomes a team member through a role change, which
    is asked and recorded on its own).
    """
    if not is_owner(owner) or role not in INVITABLE_ROLES:
        raise RoleChangeRefused()
    clinic = owner.clinic or Clinic.objects.current()
    address = email.strip().lower()
    existing = account_with(address)
    if existing is not None:
        raise AlreadyHasAccount(existing)
    try:
        with transaction.atomic():
            person = User(
                email=address,
                first_name=first_name.strip(),
                last_name=last_name.strip(),
                clinic=clinic,
            )
            person.set_unusable_password()
            person.save()
            user_set_role(user=person, role=role, clinic=clinic)
            # The owner typed the address and the invitation goes there: following its link
            # proves it, as the password reset it is.
            EmailAddress.objects.create(user=person, email=address, verified=True, primary=True)
            if role == Role.PRACTITIONER:
                profile = Practitioner.objects.create(
                    user=person, clinic=clinic, display_name=person.get_full_name() or address
                )
                profile.services.set(list(services))
            record_action(
                action=AuditAction.TEAM_MEMBER_INVITED,
                actor=owner,
                subject=person,
                detail={"role": str(role.value)},
                clinic=clinic,
            )
            outbox_put(kind=MessageKind.TEAM_INVITATION, to_user=person)
    except IntegrityError:
        # Someone else made an account with that address, or confirmed it, in the same moment.
        found = account_with(address)
        if found is None:
            raise
        raise AlreadyHasAccount(found) from None
    return person


def account_with(address: str) -> User | None:
    """The account that signs in with ``address``, or has confirmed it as another of its
    addresses (allauth allows one confirmed owner per address)."""
    found = User.objects.filter(email__iexact=address).first()
    if found is not None:
        return found
    confirmed = (
        EmailAddress.objects.filter(email__iexact=address, verified=True)
        .select_related("user")
        .first()
    )
    return confirmed.user if confirmed is not None else None
