"""The front desk adds a caller as a patient (no admin, no password), refusing a second account
for someone already registered."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.db.models import Q

from portal.audit import AuditAction, record_action
from portal.models import NO_EMAIL_DOMAIN, Clinic, Role, User


class AlreadyRegistered(Exception):
    """The caller seems to have an account already: ``patient``, found by ``why``."""

    def __init__(self, patient: User, why: str) -> None:
        super().__init__(why)
        self.patient = patient
        self.why = why


@dataclass(frozen=True)
class NewCaller:
    first_name: str
    last_name: str
    phone: str
    date_of_birth: date
    email: str = ""


def find_existing(clinic: Clinic, caller: NewCaller) -> tuple[User, str] | None:
    """An account that is probably this caller: the same email, or the same name and date of
    birth (case and spaces ignored). Returns the account and how it matched."""
    email = caller.email.strip().lower()
    if email:
        same_email = User.objects.filter(email__iexact=email).first()
        if same_email is not None:
            return same_email, "the same email address"
    same_person = (
        User.objects.filter(
            clinic=clinic,
            role=Role.PATIENT,
            first_name__iexact=caller.first_name.strip(),
            last_name__iexact=caller.last_name.strip(),
            date_of_birth=caller.date_of_birth,
        )
        .filter(Q(anonymised_at__isnull=True))
        .order_by("pk")
        .first()
    )
    if same_person is not None:
        return same_person, "the same name and date of birth"
    return None


def desk_add_patient(*, by: User, caller: NewCaller) -> User:
    """Create the caller's account for ``by`` (the desk): a patient of the clinic with no
    usable password (they may set one with "forgot password" if they have an email), and
    an audit row. Raises ``AlreadyRegistered`` instead of making a second account."""
    clinic = by.clinic or Clinic.objects.current()
    email = caller.email.strip().lower()
    try:
        with transaction.atomic():
            # Two desk members adding the same caller at once: the clinic row makes them take
            # turns, so the second one finds the first one's account (name and date of birth
            # have no unique constraint to lean on).
            Clinic.objects.select_for_update().filter(pk=clinic.pk).first()
            existing = find_existing(clinic, caller)
            if existing is not None:
                raise AlreadyRegistered(*existing)
            login = email or f"no-email-{secrets.token_hex(8)}@{NO_EMAIL_DOMAIN}"
            patient = User(
                email=login,
                first_name=caller.first_name.strip(),
                last_name=caller.last_name.strip(),
                phone=caller.phone,
                date_of_birth=caller.date_of_birth,
                role=Role.PATIENT,
                clinic=clinic,
            )
            patient.set_unusable_password()
            patient.save()
            if email:
                # Unverified: the desk typed it. "Forgot password" proves it later.
                EmailAddress.objects.create(user=patient, email=email, primary=True, verified=False)
            record_action(
                action=AuditAction.PATIENT_ADDED_BY_DESK,
                actor=by,
                subject=patient,
                detail={"has_email": bool(email)},
                clinic=clinic,
            )
    except IntegrityError:
        # The same email signed up online a moment ago (the unique constraint caught it).
        found = find_existing(clinic, caller)
        if found is None:
            raise
        raise AlreadyRegistered(*found) from None
    return patient
