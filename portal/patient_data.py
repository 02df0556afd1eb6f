"""Every kind of record the clinic holds about a patient, and what the export and retention
do with it: one list, so a new model that points at a patient has to be placed here.

``tests/portal/test_patient_data.py`` fails when a model with a link to a patient is missing,
when a kind said to be exported is not in ``data.json``, or when a kind said to be deleted
survives anonymisation. Models are named by label, since ``portal`` imports no other app.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class OnAnonymise(Enum):
    """What retention's ``anonymise`` does to a kind (docs/architecture.md, section 8.1)."""

    DELETE = "deleted"
    EMPTY_TEXT = "kept, its free text emptied"
    KEEP_AS_FIGURES = "kept as dates and amounts for the accounts"
    KEEP = "kept: holds no health content or names"


@dataclass(frozen=True)
class Kind:
    model: str  # app_label.ModelName
    patient_field: str  # the link to the patient
    name: str  # plural, as the dry run and the export summary say it
    export_key: str | None  # the key in data.json, or None with ``not_exported`` saying why
    on_anonymise: OnAnonymise
    not_exported: str = ""


KINDS: tuple[Kind, ...] = (
    Kind("booking.Booking", "patient", "bookings", "bookings", OnAnonymise.KEEP_AS_FIGURES),
    Kind("payments.Payment", "patient", "payments", "payments", OnAnonymise.KEEP_AS_FIGURES),
    Kind(
        "booking.WaitlistEntry",
        "patient",
        "waiting-list entries",
        "waiting_list",
        OnAnonymise.DELETE,
    ),
    Kind(
        "payments.FeeReduction",
        "patient",
        "fee-reduction requests",
        "fee_reductions",
        OnAnonymise.EMPTY_TEXT,
    ),
    Kind(
        "intake.IntakeResponse",
        "patient",
        "questionnaire responses",
        "intake_responses",
        OnAnonymise.DELETE,
    ),
    Kind("intake.DiaryEntry", "patient", "diary entries", "diary", OnAnonymise.DELETE),
    Kind(
        "intake.HistoricalDiaryEntry",
        "patient",
        "earlier versions of diary entries",
        None,
        OnAnonymise.DELETE,
        not_exported="the export carries each entry as it stands now",
    ),
    Kind("followup.CheckIn", "patient", "check-ins", "checkins", OnAnonymise.DELETE),
    Kind(
        "practice.TreatmentRecord",
        "patient",
        "treatment records",
        "treatment_records",
        OnAnonymise.DELETE,
    ),
    Kind(
        "practice.HistoricalTreatmentRecord",
        "patient",
        "earlier versions of treatment records",
        None,
        OnAnonymise.DELETE,
        not_exported="the export carries each record as it stands now; the desk can print "
        "the versions on request (the record's versions page)",
    ),
    Kind(
        "practice.RecordCorrection",
        "patient",
        "correction notes",
        "record_corrections",
        OnAnonymise.DELETE,
    ),
    Kind("intake.PatientFlag", "patient", "flags", "flags", OnAnonymise.DELETE),
    Kind("intake.Alert", "patient", "alerts", "alerts", OnAnonymise.DELETE),
    Kind(
        "intake.HealthAccess",
        "patient",
        "reads of the record",
        "health_access",
        OnAnonymise.KEEP,
    ),
    Kind(
        "intake.RecordAccessGrant",
        "patient",
        "read-anyway reasons",
        "record_access_grants",
        OnAnonymise.EMPTY_TEXT,
    ),
    Kind(
        "followup.OutboxMessage",
        "recipient",
        "emails",
        None,
        OnAnonymise.DELETE,
        not_exported="copies of emails the patient already has",
    ),
    Kind(
        "portal.DataExport",
        "patient",
        "data exports",
        None,
        OnAnonymise.KEEP,
        not_exported="the request for this very file; the archive itself is wiped once taken",
    ),
    Kind(
        "practice.RetentionCase",
        "patient",
        "retention cases",
        None,
        OnAnonymise.KEEP,
        not_exported="the clinic's own retention bookkeeping, no health content",
    ),
    Kind(
        "practice.PrivacyRequest",
        "patient",
        "privacy requests",
        None,
        OnAnonymise.KEEP,
        not_exported="kept to show the clinic answered the request",
    ),
    Kind(
        "portal.AuditEvent",
        "subject",
        "audit rows",
        None,
        OnAnonymise.KEEP,
        not_exported="the clinic's audit trail, short facts without health words",
    ),
)

# Links to a user that are not records about a patient's care: the account's own sign-in
# rows (deleted by anonymisation with the account) and who on the team acted or decided.
OTHER_LINKS = frozenset(
    {
        "admin.LogEntry.user",
        "account.EmailAddress.user",
        "mfa.Authenticator.user",
        "portal.Clinic.duty_contact",
        "portal.AuditEvent.actor",
        "portal.DataExport.requested_by",
        "booking.Practitioner.user",
        "booking.Booking.booked_by",
        "booking.Booking.made_by",
        "booking.WaitlistEntry.added_by",
        "booking.WaitlistEntry.ended_by",
        "booking.WaitlistPlace.offered_by",
        "booking.ClinicClosure.created_by",
        "intake.HealthAccess.viewer",
        "intake.RecordAccessGrant.viewer",
        "intake.Alert.acknowledged_by",
        "intake.Alert.claimed_by",
        "intake.PatientFlag.cleared_by",
        "payments.Refund.created_by",
        "payments.FeeReduction.decided_by",
        "payments.ClinicPayment.taken_by",
        "intake.HistoricalDiaryEntry.history_user",
        "practice.HistoricalTreatmentRecord.written_by",
        "practice.HistoricalTreatmentRecord.history_user",
        "practice.TreatmentRecord.written_by",
        "practice.RetentionCase.approved_by",
        # The practitioner account a calendar feed was made for.
        "practice.CalendarFeed.made_for",
        "practice.PrivacyRequest.recorded_by",
        "practice.PrivacyRequest.decided_by",
        "practice.PrivacyRequestStep.by",
        "practice.RecordCorrection.written_by",
    }
)


def kind_of(model_label: str) -> Kind | None:
    return next((k for k in KINDS if k.model == model_label), None)


def held_label(kind: Kind) -> str:
    """How the dry run and the privacy request page name the kind."""
    return (
        f"{kind.name} (kept as figures)"
        if kind.on_anonymise is OnAnonymise.KEEP_AS_FIGURES
        else kind.name
    )
