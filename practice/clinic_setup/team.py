"""The clinic's team from a spec: accounts and roles, the practitioners' profiles and hours,
the owner's password, and invitations to choose one."""

from __future__ import annotations

from datetime import datetime

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from booking.models import Practitioner as PractitionerProfile
from booking.models import WeeklyHours
from followup.models import MessageKind
from portal.audit import record_action
from portal.messaging import outbox_put
from portal.models import AuditAction, Clinic, Role, User
from portal.services import user_set_role
from practice.clinic_setup.spec import PersonSpec, PractitionerSpec, SetupError, SetupReport
from practice.team import account_with


def apply_person(
    person: PersonSpec, role: Role, clinic: Clinic, report: SetupReport, *, superuser: bool = False
) -> User:
    """Create or update a team member's account with ``role``; never a patient's account."""
    # By sign-in or confirmed address: allauth lets one account own a confirmed address, so a
    # second account made with a patient's confirmed address broke half-way.
    user = account_with(person.email)
    if user is not None and user.role == Role.PATIENT:
        # A patient's account never gains the team's access by a file: the owner changes a
        # role in the admin, where it is checked and recorded (portal.roles.change_role).
        raise SetupError(
            [
                f"{person.email}: this is a patient's account. Use another email for the team, "
                "or change the person's role in the admin."
            ]
        )
    created = user is None
    if user is None:
        user = User(email=person.email)
        user.set_unusable_password()
    user.first_name, user.last_name = person.first_name, person.last_name
    if superuser:
        user.is_superuser = True
    user.save()
    if user.role != role or user.clinic_id != clinic.pk or created:
        user_set_role(user=user, role=role, clinic=clinic)
        record_action(
            action=AuditAction.ROLE_CHANGED,
            actor=None,
            subject=user,
            detail={"role": str(role), "by": "setup_clinic"},
            clinic=clinic,
        )
    # The owner typed this address: it is the team member's, and the invitation proves it.
    EmailAddress.objects.filter(user=user).exclude(email=user.email).update(primary=False)
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    label = "Owner" if superuser else "Practitioner"
    report.say(f"{label} {user.email}: {'created' if created else 'updated'}.")
    return user


def set_owner_password(owner: User, password: str, report: SetupReport) -> None:
    """Set the owner's password once the password validators accept it."""
    try:
        validate_password(password, owner)
    except ValidationError as exc:
        raise SetupError([f"owner password: {m}" for m in exc.messages]) from None
    owner.set_password(password)
    owner.save(update_fields=["password"])
    report.say(f"Owner {owner.email}: password set.")


def apply_practitioner(
    spec: PractitionerSpec, clinic: Clinic, report: SetupReport
) -> PractitionerProfile:
    """The practitioner's account, profile and (when the spec lists them) weekly hours."""
    user = apply_person(spec, Role.PRACTITIONER, clinic, report)
    profile, _ = PractitionerProfile.objects.update_or_create(
        user=user,
        defaults={
            "clinic": clinic,
            "display_name": user.get_full_name() or user.email,
            "title": spec.title,
            "bio": spec.bio,
        },
    )
    if spec.hours is not None:
        # The spec is the whole week: hours it no longer lists go.
        profile.hours.all().delete()
        WeeklyHours.objects.bulk_create(
            WeeklyHours(practitioner=profile, weekday=h.weekday, start_time=h.start, end_time=h.end)
            for h in spec.hours
        )
        report.say(f"  hours: {len(spec.hours)} range(s) a week.")
    return profile


def invite(users: list[User], report: SetupReport, now: datetime) -> None:
    """Queue an invitation to choose a password for each of ``users`` without one (once)."""
    for user in users:
        if not user.has_usable_password():
            _, new = outbox_put(
                kind=MessageKind.TEAM_INVITATION, to_user=user, due_at=now, send_now=False
            )
            if new:
                report.invited.append(user.email)
