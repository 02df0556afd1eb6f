"""Retention, anonymisation, account deletion and closing: what the clinic keeps, and until when.

Lives in ``practice`` because it reaches into every app's tables (bookings, intake, payments,
follow-up, treatment records) and ``practice`` is the one app allowed to import them all at
module level (docs/architecture.md, section 2).
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.db import transaction
from django.db.models import Max, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from booking.errors import ChangeNotAllowed
from booking.models import ACTIVE_STATUSES, Booking, BookingStatus, WaitlistEntry
from booking.services import booking_cancel
from booking.waitlist.entries import waitlist_leave
from booking.waitlist_models import EntryStatus
from followup.models import CheckIn, OutboxMessage
from intake.models import (
    Alert,
    DiaryEntry,
    HealthAccess,
    IntakeResponse,
    PatientFlag,
    RecordAccessGrant,
    ResponseStatus,
)
from payments.models import FeeReduction, FeeReductionStatus, Payment
from portal import patient_data
from portal.audit import AuditAction, record_action
from portal.models import Clinic, Role, User
from portal.patient_data import OnAnonymise
from portal.privacy_notice import ACCOUNTS_KEPT_YEARS, INACTIVE_ACCOUNT_YEARS
from practice.models import PrivacyRequest, RecordCorrection, RetentionCase, TreatmentRecord

logger = logging.getLogger(__name__)

PLACEHOLDER_DOMAIN = "anonymised.invalid"


def years_before(moment: datetime, years: int) -> datetime:
    """The same calendar moment ``years`` earlier (29 February becomes the 28th)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def years_after(moment: datetime, years: int) -> datetime:
    return years_before(moment, -years)


def _audit(
    action: AuditAction,
    *,
    actor: User | None,
    patient: User | None,
    patient_id: int | None = None,
    **detail: str,
) -> None:
    """One row in the audit trail; ``detail`` holds short fixed words, never health content.

    A patient acting on their own account is recorded as "by: patient" with no actor, so the
    append-only trail does not keep the email address their anonymisation removes."""
    about = patient_id if patient_id is not None else getattr(patient, "pk", None)
    if actor is not None and about is not None and actor.pk == about:
        actor, detail = None, {**detail, "by": "patient"}
    record_action(action=action, actor=actor, subject=patient, detail=detail)


# -- What counts as treated ------------------------------------------------------------------


def _treated_visits() -> Q:
    return Q(status=BookingStatus.ATTENDED) | Q(treatment_record__isnull=False)


def last_treated_at(patient: User) -> datetime | None:
    """When ``patient`` was last seen for a treatment (an attended visit or a written record)."""
    return (
        Booking.objects.filter(_treated_visits(), patient=patient)
        .aggregate(last=Max("starts_at"))
        .get("last")
    )


def keep_health_records_until(patient: User, clinic: Clinic | None = None) -> datetime | None:
    """The date until which the clinic must keep ``patient``'s health records, or None if it
    need not keep them at all (never treated)."""
    last = last_treated_at(patient)
    if last is None:
        return None
    clinic = clinic or Clinic.objects.current()
    return years_after(last, clinic.health_record_retention_years)


# -- Who has passed retention ----------------------------------------------------------------


@dataclass
class Due:
    patient: User
    last_treated_at: datetime
    counts: dict[str, int] = field(default_factory=dict)


def due_for_anonymisation(*, now: datetime | None = None) -> list[Due]:
    """Patients, not yet anonymised, whose last treatment is older than the retention period."""
    now = now or timezone.now()
    cutoff = years_before(now, Clinic.objects.current().health_record_retention_years)
    rows = (
        Booking.objects.filter(_treated_visits(), patient__anonymised_at__isnull=True)
        .values("patient")
        .annotate(last=Max("starts_at"))
        .filter(last__lt=cutoff)
        .order_by("last")
    )
    last_by_patient = {row["patient"]: row["last"] for row in rows}
    people = User.objects.filter(pk__in=last_by_patient, role=Role.PATIENT).in_bulk()
    return [Due(people[pk], last) for pk, last in last_by_patient.items() if pk in people]


def inactive_never_booked(*, now: datetime | None = None) -> list[User]:
    """Patient accounts with no booking at all and no sign-in for two years."""
    now = now or timezone.now()
    cutoff = years_before(now, INACTIVE_ACCOUNT_YEARS)
    return list(
        User.objects.filter(role=Role.PATIENT, is_superuser=False, anonymised_at__isnull=True)
        .exclude(bookings__isnull=False)
        .annotate(last_seen=Coalesce("last_login", "date_joined"))
        .filter(last_seen__lt=cutoff)
        .order_by("pk")
    )


def inactive_never_treated(*, now: datetime | None = None) -> list[User]:
    """Patients who booked but were never treated, with no booking, sign-in or sign-up in the
    last two years: nothing of theirs must be kept as a health record, so they are anonymised
    as a closed account would be."""
    now = now or timezone.now()
    cutoff = years_before(now, INACTIVE_ACCOUNT_YEARS)
    treated = Booking.objects.filter(_treated_visits()).values("patient")
    recent = Booking.objects.filter(starts_at__gte=cutoff).values("patient")
    return list(
        User.objects.filter(role=Role.PATIENT, is_superuser=False, anonymised_at__isnull=True)
        .filter(bookings__isnull=False)
        .exclude(pk__in=treated)
        .exclude(pk__in=recent)
        .annotate(last_seen=Coalesce("last_login", "date_joined"))
        .filter(last_seen__lt=cutoff)
        .distinct()
        .order_by("pk")
    )


def held_about(patient: User) -> dict[str, int]:
    """How many records of each kind anonymisation touches the clinic holds about ``patient``
    (for the dry run and privacy requests; the kinds are ``portal.patient_data.KINDS``)."""
    return {
        patient_data.held_label(kind): apps.get_model(kind.model)
        ._default_manager.filter(**{kind.patient_field: patient})
        .count()
        for kind in patient_data.KINDS
        if kind.on_anonymise is not OnAnonymise.KEEP
    }


@dataclass
class DryRun:
    due: list[Due]
    inactive: list[User]
    approved: list[RetentionCase]
    never_treated: list[User] = field(default_factory=list)


def dry_run(*, now: datetime | None = None) -> DryRun:
    """What the next run would anonymise or delete; changes nothing."""
    due = due_for_anonymisation(now=now)
    for item in due:
        item.counts = held_about(item.patient)
    approved = list(
        RetentionCase.objects.filter(approved_at__isnull=False, done_at__isnull=True)
        .select_related("patient")
        .order_by("pk")
    )
    return DryRun(
        due=due,
        inactive=inactive_never_booked(now=now),
        approved=approved,
        never_treated=inactive_never_treated(now=now),
    )


def list_due(*, now: datetime | None = None) -> list[RetentionCase]:
    """Open a case (once) for every patient past retention, for the owner to approve."""
    now = now or timezone.now()
    cases = []
    for item in due_for_anonymisation(now=now):
        case, created = RetentionCase.objects.get_or_create(
            patient=item.patient,
            done_at=None,
            defaults={"last_treated_at": item.last_treated_at, "listed_at": now},
        )
        if not created and case.last_treated_at != item.last_treated_at:
            RetentionCase.objects.filter(pk=case.pk).update(last_treated_at=item.last_treated_at)
        cases.append(case)
    return cases


def open_cases() -> list[RetentionCase]:
    return list(
        RetentionCase.objects.filter(done_at__isnull=True)
        .select_related("patient", "approved_by")
        .order_by("last_treated_at", "pk")
    )


def approve(*, case_id: int, by: User, now: datetime | None = None) -> bool:
    """The owner's go-ahead for one case; False if it was already approved or done."""
    from portal.roles import is_owner

    if not is_owner(by):
        raise PermissionError("Only the clinic owner can approve anonymisation.")
    now = now or timezone.now()
    changed = RetentionCase.objects.filter(
        pk=case_id, approved_at__isnull=True, done_at__isnull=True
    ).update(approved_by=by, approved_at=now)
    return bool(changed)


# -- Anonymising and deleting ----------------------------------------------------------------


def _delete_health_content(patient: User) -> None:
    # Their wishes on the waiting list (offers go with the entries).
    WaitlistEntry.objects.filter(patient=patient).delete()
    IntakeResponse.objects.filter(patient=patient).delete()
    DiaryEntry.objects.filter(patient=patient).delete()
    CheckIn.objects.filter(patient=patient).delete()
    TreatmentRecord.objects.filter(patient=patient).delete()
    # Then every kept version, including the copy simple-history writes on delete.
    TreatmentRecord.history.filter(patient=patient).delete()
    DiaryEntry.history.filter(patient=patient).delete()
    RecordCorrection.objects.filter(patient=patient).delete()
    PatientFlag.objects.filter(patient=patient).delete()
    Alert.objects.filter(patient=patient).delete()
    FeeReduction.objects.filter(patient=patient).update(reason="", reply="")
    RecordAccessGrant.objects.filter(patient=patient).update(reason="")
    # Subjects and errors of emails sent to them can name them; nothing is re-planned for
    # an anonymised person (they cannot sign in and have no upcoming visit).
    OutboxMessage.objects.filter(recipient=patient).delete()


def _cannot_sign_in(user: User) -> None:
    user.set_unusable_password()
    user.is_active = False
    Authenticator.objects.filter(user=user).delete()


@transaction.atomic
def anonymise(
    *, patient_id: int, actor: User | None, why: str, now: datetime | None = None
) -> bool:
    """Remove the person from their records: name, contact details and health content go,
    bookings and payments stay as dates, services and amounts. False if already done."""
    now = now or timezone.now()
    patient = User.objects.select_for_update().get(pk=patient_id)
    if patient.anonymised_at is not None:
        return False
    _delete_health_content(patient)
    Booking.objects.filter(patient=patient).update(cancellation_note="")
    Payment.objects.filter(patient=patient).update(client_secret="", failure_message="")
    EmailAddress.objects.filter(user=patient).delete()
    patient.first_name = patient.last_name = patient.phone = ""
    patient.email = f"anonymised-{uuid.uuid4().hex}@{PLACEHOLDER_DOMAIN}"
    _cannot_sign_in(patient)
    patient.closed_at = patient.closed_at or now
    patient.anonymised_at = now
    patient.save()
    # Anonymised by another route (an erasure request): nothing is left for the owner to approve.
    RetentionCase.objects.filter(patient=patient, done_at__isnull=True).update(done_at=now)
    _audit(AuditAction.ANONYMISED, actor=actor, patient=patient, why=why)
    return True


@transaction.atomic
def delete_account(*, user_id: int, actor: User | None, why: str) -> str:
    """Delete an account that never booked, with what hangs off it.

    Returns "deleted", "anonymised" (it has bookings or a privacy request, which must stay) or
    "gone" (already deleted)."""
    user = User.objects.select_for_update().filter(pk=user_id, role=Role.PATIENT).first()
    if user is None:
        return "gone"
    if (
        Booking.objects.filter(patient=user).exists()
        or PrivacyRequest.objects.filter(patient=user).exists()
    ):
        anonymise(patient_id=user.pk, actor=actor, why=why)
        return "anonymised"
    _delete_health_content(user)
    HealthAccess.objects.filter(patient=user).delete()
    RecordAccessGrant.objects.filter(patient=user).delete()
    RetentionCase.objects.filter(patient=user).delete()
    pk = user.pk
    user.delete()
    _audit(
        AuditAction.ACCOUNT_DELETED,
        actor=actor,
        patient=None,
        patient_id=pk,
        account=str(pk),
        why=why,
    )
    return "deleted"


@transaction.atomic
def anonymise_approved_case(*, case_id: int, now: datetime | None = None) -> bool:
    """Carry out one approved case, once; a patient treated again since is taken off the list."""
    now = now or timezone.now()
    case = (
        RetentionCase.objects.select_for_update()
        .filter(pk=case_id, approved_at__isnull=False, done_at__isnull=True)
        .first()
    )
    if case is None:
        return False
    still_due = {d.patient.pk for d in due_for_anonymisation(now=now)}
    if case.patient_id not in still_due:
        case.delete()
        return False
    anonymise(
        patient_id=case.patient_id, actor=case.approved_by, why="retention period over", now=now
    )
    case.done_at = now
    case.save(update_fields=["done_at"])
    return True


@dataclass
class RunResult:
    listed: int
    deleted: int
    anonymised: int
    never_treated: int = 0


def run(*, now: datetime | None = None) -> RunResult:
    """The monthly job: list who passed retention, delete never-booked inactive accounts,
    anonymise never-treated inactive ones, and carry out cases the owner has approved. Each
    person in their own transaction."""
    now = now or timezone.now()
    listed = list_due(now=now)
    deleted = 0
    for user in inactive_never_booked(now=now):
        outcome = delete_account(user_id=user.pk, actor=None, why="inactive for two years")
        deleted += outcome == "deleted"
    never_treated = 0
    for user in inactive_never_treated(now=now):
        never_treated += anonymise(
            patient_id=user.pk, actor=None, why="never treated, inactive for two years", now=now
        )
    anonymised = 0
    for case_id in RetentionCase.objects.filter(
        approved_at__isnull=False, done_at__isnull=True
    ).values_list("pk", flat=True):
        anonymised += anonymise_approved_case(case_id=case_id, now=now)
    return RunResult(
        listed=len(listed), deleted=deleted, anonymised=anonymised, never_treated=never_treated
    )


# -- A patient closing their account ----------------------------------------------------------


@dataclass
class ClosingPlan:
    """What closing the account does, shown to the patient before they confirm."""

    keep_health_until: datetime | None
    upcoming: list[Booking]
    too_late_to_cancel: list[Booking]
    has_bookings: bool
    has_payments: bool

    @property
    def deletes_everything(self) -> bool:
        return not self.has_bookings

    @property
    def accounts_kept_years(self) -> int:
        return ACCOUNTS_KEPT_YEARS


def closing_plan(patient: User, *, now: datetime | None = None) -> ClosingPlan:
    from booking.services import can_change_online

    now = now or timezone.now()
    upcoming = list(
        Booking.objects.filter(patient=patient, status__in=ACTIVE_STATUSES, starts_at__gt=now)
        .select_related("service", "practitioner")
        .order_by("starts_at")
    )
    return ClosingPlan(
        keep_health_until=keep_health_records_until(patient),
        upcoming=upcoming,
        too_late_to_cancel=[b for b in upcoming if not can_change_online(b, now)],
        has_bookings=Booking.objects.filter(patient=patient).exists(),
        has_payments=Payment.objects.filter(patient=patient).exists(),
    )


class CannotClose(Exception):
    """The account cannot be closed yet (a visit too close to cancel online)."""


def close_account(*, patient: User, by: User, now: datetime | None = None) -> str:
    """Close ``patient``'s account: cancel upcoming visits through the booking service, then
    delete what need not be kept now. Returns "deleted", "anonymised" or "closed"."""
    now = now or timezone.now()
    plan = closing_plan(patient, now=now)
    if plan.too_late_to_cancel and by.pk == patient.pk:
        raise CannotClose(
            "A visit is too close to cancel online. Please call the clinic to cancel it, "
            "then close your account."
        )
    for visit in plan.upcoming:
        # Already cancelled or moved meanwhile: nothing left to cancel.
        with contextlib.suppress(ChangeNotAllowed):
            booking_cancel(booking=visit, by=by, note="", now=now)
    # Off the waiting list too (an offer out to them is withdrawn, the place goes on): a
    # closed account can neither read an offer nor sign in to take it.
    for entry in WaitlistEntry.objects.filter(patient=patient, status=EntryStatus.WAITING):
        waitlist_leave(entry=entry, by=by, now=now)
    if not plan.has_bookings:
        return delete_account(user_id=patient.pk, actor=by, why="account closed")
    if plan.keep_health_until is None:
        anonymise(patient_id=patient.pk, actor=by, why="account closed", now=now)
        _audit(AuditAction.ACCOUNT_CLOSED, actor=by, patient=patient)
        return "anonymised"
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=patient.pk)
        if locked.closed_at is None:
            # Drafts were never sent to the clinic and a pending fee request is moot now.
            IntakeResponse.objects.filter(patient=locked, status=ResponseStatus.DRAFT).delete()
            FeeReduction.objects.filter(patient=locked, status=FeeReductionStatus.PENDING).delete()
            _cannot_sign_in(locked)
            locked.closed_at = now
            locked.save()
            _audit(AuditAction.ACCOUNT_CLOSED, actor=by, patient=locked)
    return "closed"
