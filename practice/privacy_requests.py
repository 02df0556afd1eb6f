"""Erasure and rectification requests: the desk records them, sees a clear answer for each kind
of record, decides, and completes them through the retention module's functions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from allauth.account.models import EmailAddress
from django.db import transaction
from django.utils import timezone

from intake.models import AlertLevel
from intake.services import alert_raise
from intake.triage import screen_text
from payments.models import FeeReduction
from portal import policy
from portal.audit import AuditAction
from portal.models import Clinic, User
from practice import retention
from practice.models import (
    PrivacyRequest,
    PrivacyRequestKind,
    PrivacyRequestStatus,
    PrivacyRequestStep,
    RecordCorrection,
)


class RequestError(Exception):
    """A step that cannot be taken (already completed, an email in use...)."""


def _step(request: PrivacyRequest, by: User | None, what: str, now: datetime) -> None:
    PrivacyRequestStep.objects.create(
        request=request, by=by, by_email=getattr(by, "email", ""), what=what[:300], at=now
    )


@transaction.atomic
def record_request(
    *, patient: User, kind: str, received_via: str, details: str, by: User
) -> PrivacyRequest:
    """Write down a request as it was received; the first step of its log."""
    now = timezone.now()
    request = PrivacyRequest.objects.create(
        patient=patient,
        kind=kind,
        received_via=received_via,
        details=details,
        recorded_by=by,
        recorded_at=now,
    )
    _step(request, by, f"Recorded ({request.get_received_via_display().lower()})", now)
    retention._audit(
        AuditAction.ERASURE_REQUEST_RECORDED,
        actor=by,
        patient=patient,
        kind=kind,
        request=str(request.pk),
    )
    return request


@dataclass
class Answer:
    """One kind of record and what happens to it on this request."""

    what: str
    verdict: str  # "erase", "keep" or "correct"
    why: str


def answers(request: PrivacyRequest) -> list[Answer]:
    """For each kind of record the clinic holds about the patient, the answer to the request."""
    patient = request.patient
    clinic = Clinic.objects.current()
    keep_until = retention.keep_health_records_until(patient, clinic)
    held = retention.held_about(patient)
    health = sum(
        held[k]
        for k in (
            "questionnaire responses",
            "diary entries",
            "check-ins",
            "treatment records",
            "correction notes",
            "flags",
            "alerts",
        )
    )
    years = clinic.health_record_retention_years
    kept_why = (
        f"Must be kept until {keep_until:%-d %B %Y}: adult health records are kept {years} years "
        "after the last treatment (professional guidance; UK GDPR allows keeping what the "
        "clinic needs for health care and possible legal claims). They are anonymised then."
        if keep_until
        else ""
    )
    accounts = (
        f"Kept, without the name, for the accounts: UK tax law (HMRC) requires business "
        f"records for at least {retention.ACCOUNTS_KEPT_YEARS} years."
    )
    if request.kind == PrivacyRequestKind.RECTIFICATION:
        return [
            Answer(
                "Account details (name, email, phone)",
                "correct",
                "Corrected in place with the form below.",
            ),
            Answer(
                f"Health records ({health})",
                "correct",
                "Clinical records are not rewritten: a dated correction note is added beside "
                "them (for example a wrong date of birth in the questionnaire), and every "
                "practitioner sees it with the record.",
            ),
            Answer(
                "Bookings and payments",
                "correct",
                "Dates and amounts are the clinic's accounts; a wrong one is put right by the "
                "front desk through the booking or refund screens, not here.",
            ),
        ]
    health_erasable = keep_until is None
    return [
        Answer(
            "Account details (name, email, phone) and sign-in",
            "erase" if health_erasable else "keep",
            "Can be erased now."
            if health_erasable
            else "Kept while the health records must be kept, so they stay tied to the right "
            "person; the account is closed now so it cannot sign in.",
        ),
        Answer(
            f"Health records: questionnaire, diary, check-ins, treatment records, flags, "
            f"alerts ({health})",
            "erase" if health_erasable else "keep",
            "Can be erased now: there was no treatment, so no clinical record must be kept."
            if health_erasable
            else kept_why,
        ),
        Answer(
            f"Reasons given for a lower fee ({held['fee-reduction requests']})",
            "erase",
            "Can be erased now; the agreed fee floor stays for the accounts.",
        ),
        Answer(
            f"Emails sent to them ({held['emails']})",
            "erase" if health_erasable else "keep",
            "Can be erased now." if health_erasable else "Kept with the account details.",
        ),
        Answer(
            f"Bookings ({held['bookings (kept as figures)']}) and payments "
            f"({held['payments (kept as figures)']})",
            "keep",
            accounts,
        ),
        Answer(
            "Who read their record (the access log)",
            "keep",
            "Kept: it protects the patient, shows who looked at their record, and holds no "
            "health content.",
        ),
    ]


@transaction.atomic
def decide(*, request: PrivacyRequest, decision: str, by: User) -> None:
    """Record the decision and who made it (before completing)."""
    locked = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status == PrivacyRequestStatus.COMPLETED:
        raise RequestError("This request is already completed.")
    now = timezone.now()
    PrivacyRequest.objects.filter(pk=locked.pk).update(
        status=PrivacyRequestStatus.DECIDED, decision=decision, decided_by=by, decided_at=now
    )
    _step(locked, by, "Decision recorded", now)
    retention._audit(
        AuditAction.ERASURE_REQUEST_DECIDED,
        actor=by,
        patient=locked.patient,
        request=str(locked.pk),
    )


def _complete(locked: PrivacyRequest, by: User, what: str, now: datetime) -> None:
    PrivacyRequest.objects.filter(pk=locked.pk).update(
        status=PrivacyRequestStatus.COMPLETED, completed_at=now
    )
    _step(locked, by, what, now)
    if locked.kind == PrivacyRequestKind.ERASURE:
        retention._audit(
            AuditAction.PRIVACY_REQUEST_COMPLETED,
            actor=by,
            patient=locked.patient,
            request=str(locked.pk),
            outcome=what[:200],
        )


ERASURE_OWNER_ONLY = (
    "Only the clinic owner can complete an erasure: it closes or anonymises the account, and "
    "cannot be undone."
)


@transaction.atomic
def complete_erasure(*, request: PrivacyRequest, by: User) -> str:
    """Erase what can be erased now, through the retention functions; returns what was done.
    The owner's (``policy.may_complete_erasure``)."""
    if not policy.may_complete_erasure(by):
        raise RequestError(ERASURE_OWNER_ONLY)
    locked = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    if locked.status != PrivacyRequestStatus.DECIDED or locked.kind != PrivacyRequestKind.ERASURE:
        raise RequestError("Record the decision first (and only once).")
    now = timezone.now()
    patient = locked.patient
    if retention.keep_health_records_until(patient) is None:
        retention.anonymise(patient_id=patient.pk, actor=by, why="erasure request", now=now)
        what = "Completed: erased (name, contact details and health content; figures kept)"
    else:
        FeeReduction.objects.filter(patient=patient).update(reason="", reply="")
        retention.close_account(patient=patient, by=by, now=now)
        what = (
            "Completed in part: fee-reduction reasons erased, account closed; health records "
            "kept until the retention date"
        )
    _complete(locked, by, what, now)
    return what


# The alert a correction note raises when the patient's words in it carry a warning sign.
CORRECTION_ALERT_KIND = "record_correction"


def _alert_on_warning_signs(correction: RecordCorrection, note: str) -> None:
    """Screen the patient's words in a correction note as the questionnaire's and the
    check-in's are: what they left out, told to the desk on the phone, must not wait for the
    next person to open their overview. A hit raises a team alert at its level (emergency and
    urgent ones page the team); the summary names no symptom."""
    level = screen_text(note).level
    if level is None:
        return
    alert_raise(
        patient=correction.patient,
        level=AlertLevel(level.value),
        kind=CORRECTION_ALERT_KIND,
        source_key=f"correction:{correction.pk}",
        summary="A correction added to the record mentions a warning sign: read it today.",
    )


EMAIL_OWNER_ONLY = (
    "Only the clinic owner can change the email address a patient signs in with: a password "
    "reset goes to it, so it opens their account and their health record."
)


@transaction.atomic
def complete_rectification(
    *,
    request: PrivacyRequest,
    by: User,
    first_name: str,
    last_name: str,
    email: str,
    phone: str,
    date_of_birth: date | None,
    note: str,
) -> str:
    """Correct the account details in place and add a correction note for clinical records."""
    locked = PrivacyRequest.objects.select_for_update().get(pk=request.pk)
    if (
        locked.status != PrivacyRequestStatus.DECIDED
        or locked.kind != PrivacyRequestKind.RECTIFICATION
    ):
        raise RequestError("Record the decision first (and only once).")
    now = timezone.now()
    patient = User.objects.select_for_update().get(pk=locked.patient_id)
    email = email.strip().lower()
    if email != patient.email:
        if not policy.may_change_sign_in_email(by):
            raise RequestError(EMAIL_OWNER_ONLY)
        if User.objects.filter(email__iexact=email).exists():
            raise RequestError("Another account already uses that email address.")
    changed = [
        label
        for label, old, new in (
            ("first name", patient.first_name, first_name),
            ("last name", patient.last_name, last_name),
            ("email", patient.email, email),
            ("phone", patient.phone, phone),
        )
        if old != new
    ]
    if email != patient.email:
        EmailAddress.objects.filter(user=patient).delete()
        EmailAddress.objects.create(user=patient, email=email, primary=True, verified=False)
    patient.first_name, patient.last_name, patient.email, patient.phone = (
        first_name,
        last_name,
        email,
        phone,
    )
    patient.save(update_fields=["first_name", "last_name", "email", "phone"])
    notes = []
    if date_of_birth is not None:
        notes.append(f"Date of birth corrected to {date_of_birth:%-d %B %Y}.")
    if note.strip():
        notes.append(note.strip())
    if notes:
        correction = RecordCorrection.objects.create(
            clinic=Clinic.objects.current(),
            patient=patient,
            request=locked,
            note=" ".join(notes),
            written_by=by,
            written_at=now,
        )
        changed.append("correction note added")
        # Not named in the step or the audit row: the owner reads those and no health data;
        # an emergency or urgent alert is on every team dashboard, the desk's included.
        _alert_on_warning_signs(correction, note)
    what = "Completed: " + (", ".join(changed) if changed else "nothing needed changing")
    _complete(locked, by, what, now)
    retention._audit(
        AuditAction.PRIVACY_REQUEST_COMPLETED,
        actor=by,
        patient=patient,
        request=str(locked.pk),
        outcome=", ".join(changed)[:200],
    )
    return what
