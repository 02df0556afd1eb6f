"""What patients tell the clinic about their health, and what the clinic does about it.

This module starts with the pieces other apps share: the health-data access
log, alerts to practitioners and flags on a patient; then the questionnaire
responses and the pain diary (whose answers and notes are encrypted at rest).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.dateparse import parse_date
from simple_history.models import HistoricalRecords

from intake.triage import CALL_REQUESTED
from portal.crypto import EncryptedJSONField, EncryptedTextField
from portal.models import Clinic


class HealthAccess(models.Model):
    """One read of a patient's health data by someone other than the patient."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="health_reads"
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="health_read_by"
    )
    # What was looked at, in words the patient understands ("intake summary").
    what = models.CharField(max_length=120)
    path = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set for what a page shows again on every refresh (a dashboard's alerts, the calendar's
    # flags): the first sight each clinic day is the one recorded (``log_health_glance``).
    day = models.DateField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-at"]
        indexes: ClassVar = [models.Index(fields=["patient", "-at"], name="healthaccess_patient")]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["viewer", "patient", "what", "day"],
                condition=models.Q(day__isnull=False),
                name="healthaccess_glance_once_a_day",
            )
        ]

    def __str__(self) -> str:
        return f"{self.viewer} read {self.what} of {self.patient} at {self.at:%Y-%m-%d %H:%M}"


class RecordAccessGrant(models.Model):
    """A practitioner's "see this record anyway": read access outside their care relationship,
    with the reason they gave, until ``expires_at`` (the end of that clinic day)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="record_grants"
    )
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="record_granted_to"
    )
    # Encrypted: why someone read a record can say something about the patient.
    reason = EncryptedTextField()
    granted_at = models.DateTimeField(auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["-granted_at"]
        indexes: ClassVar = [
            models.Index(fields=["viewer", "patient", "expires_at"], name="grant_viewer_patient"),
            models.Index(fields=["patient", "-granted_at"], name="grant_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.viewer} may read {self.patient} until {self.expires_at:%Y-%m-%d %H:%M}"


class AlertLevel(models.TextChoices):
    # Call 999 / A&E now: emailed at once to the booked practitioner and the duty contact.
    EMERGENCY = "emergency", "Emergency"
    # NHS 111 or GP today, the clinic calls back the same day: emailed at once, like emergency.
    URGENT = "urgent", "Urgent"
    # A practitioner reads the answers before any treatment.
    REVIEW = "review", "Practitioner review"
    # A same-day task for the team (a call asked for, a note to read today).
    TODAY = "today", "Today"
    # Waits for the daily digest.
    ROUTINE = "routine", "Routine"


# Levels that reach a person by email at once and are chased when nobody acknowledges them.
PAGING_LEVELS = frozenset({AlertLevel.EMERGENCY, AlertLevel.URGENT})
# Levels that are work for the team today, on the dashboard, never left for tomorrow's digest.
SAME_DAY_LEVELS = frozenset({AlertLevel.REVIEW, AlertLevel.TODAY})


class Alert(models.Model):
    """Something a practitioner needs to know about a patient, acknowledged once read."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="alerts")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="alerts_about"
    )
    # None means every practitioner of the clinic (e.g. a red flag in an intake).
    practitioner = models.ForeignKey(
        "booking.Practitioner", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    level = models.CharField(max_length=10, choices=AlertLevel.choices)
    # Machine-readable reason, e.g. "intake_red_flag", "checkin_worse", "call_requested".
    kind = models.CharField(max_length=40)
    # Idempotency: one alert per (kind, source) so a retried task raises it once.
    source_key = models.CharField(max_length=120)
    # Encrypted like the answers it points at ("Asked for a call (feeling worse)").
    summary = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # When an unacknowledged emergency or urgent alert was sent again and the owner told.
    chased_at = models.DateTimeField(null=True, blank=True)
    # Who said "I'll handle this" on the dashboard, so two people do not ring the same patient;
    # the first click wins (a conditional update, ``intake.services.alert_claim``).
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["kind", "source_key"], name="alert_once_per_source"),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["clinic", "-created_at"],
                condition=Q(acknowledged_at__isnull=True),
                name="alert_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()}: {self.summary}"

    @property
    def task_label(self) -> str:
        """What the team's task list calls it: "Call back today" for a call asked for."""
        return "Call back today" if self.kind == CALL_REQUESTED else self.get_level_display()

    @property
    def time_to_acknowledge(self) -> timedelta | None:
        """How long the alert waited for someone to acknowledge it (None while open)."""
        if self.acknowledged_at is None:
            return None
        return self.acknowledged_at - self.created_at


class FlagKind(models.TextChoices):
    # The triage levels: treatment is on hold until a practitioner clears the flag.
    EMERGENCY = "emergency", "Emergency: treatment on hold"
    URGENT = "urgent", "Urgent: treatment on hold"
    REVIEW = "review", "Practitioner review: treatment on hold"
    # The single outcome before triage levels (kept: open flags and old call sites use it).
    RED_FLAG = "red_flag", "Red flag: booking paused"
    TREAT_GENTLY = "treat_gently", "Treat more gently next time"
    REVIEW_COURSE = "review_course", "Review the course together"


# Flags that pause online booking of treatment and put booked treatments on hold (no guidance
# emails, "needs review" on the calendar) until a practitioner clears them: the one definition.
PAUSING_FLAGS = (FlagKind.EMERGENCY, FlagKind.URGENT, FlagKind.REVIEW, FlagKind.RED_FLAG)


class PatientFlagQuerySet(models.QuerySet["PatientFlag"]):
    def holding_treatment(self) -> PatientFlagQuerySet:
        """Open flags that hold the patient's treatment (``PAUSING_FLAGS``)."""
        return self.filter(kind__in=PAUSING_FLAGS, cleared_at__isnull=True)


class PatientFlag(models.Model):
    """A standing note on a patient shown to practitioners until one clears it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="flags"
    )
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    reason = EncryptedTextField()
    raised_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clear_note = EncryptedTextField(blank=True)

    objects = PatientFlagQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-raised_at"]
        constraints: ClassVar = [
            # At most one open flag of a kind per patient: raising it again is a no-op.
            models.UniqueConstraint(
                fields=["patient", "kind"],
                condition=Q(cleared_at__isnull=True),
                name="one_open_flag_per_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.patient}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None

    @property
    def holds_treatment(self) -> bool:
        """Whether this kind of flag holds treatment while open (only a practitioner clears it)."""
        return self.kind in PAUSING_FLAGS


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class ResponseKind(models.TextChoices):
    FULL = "full", "Full questionnaire"
    SHORT = "short", "Short questionnaire (free assessment)"


class IntakeResponse(models.Model):
    """One go at the questionnaire: a draft while it is being filled in, then submitted.

    Updating an intake starts a new response, so submitted ones are never changed and
    the history stays. A draft's answers are what was typed (form values, possibly
    invalid); a submitted response's answers are the validated, typed values.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="intake_responses"
    )
    kind = models.CharField(max_length=10, choices=ResponseKind.choices)
    # The questionnaire version answered (intake.questionnaire.QUESTIONNAIRES).
    version = models.PositiveIntegerField()
    # The consent wording and privacy notice agreed to (intake.questionnaire.CONSENT_VERSION),
    # set when the response is submitted.
    consent_version = models.CharField(max_length=20, blank=True)
    status = models.CharField(
        max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT
    )
    answers = EncryptedJSONField(default=dict)
    # The last step the patient saved, so "resume" opens where they left off.
    last_step = models.CharField(max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-submitted_at", "-created_at"]
        constraints: ClassVar = [
            # One draft per patient and kind: "start" twice (two tabs) resumes the same one.
            models.UniqueConstraint(
                fields=["patient", "kind"],
                condition=Q(status="draft"),
                name="one_intake_draft_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
                name="intake_submitted_has_time",
            ),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["patient", "-submitted_at"],
                condition=Q(status="submitted"),
                name="intake_submitted_by_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} ({self.get_status_display()})"

    @property
    def is_draft(self) -> bool:
        return self.status == ResponseStatus.DRAFT

    @property
    def consent_wording_date(self) -> date | None:
        """The date the consent wording agreed to was published (its version is that date
        written "2026-12-05"), for pages to show as a date a patient reads."""
        return parse_date(self.consent_version) if self.consent_version else None


class DiarySource(models.TextChoices):
    DIARY = "diary", "Pain diary"
    CHECKIN = "checkin", "48-hour check-in"


# Tags a patient can add to a diary entry (a check-in may add its own).
DIARY_TAGS = (
    ("after_treatment", "After treatment"),
    ("flare", "Flare-up"),
    ("medication", "Medication taken"),
    ("active_day", "Busy or active day"),
    ("poor_sleep", "Poor sleep"),
)


class DiaryEntry(models.Model):
    """A pain score at a moment, from the patient's diary or a check-in after a visit."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="diary_entries"
    )
    recorded_at = models.DateTimeField()
    pain = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(0), MaxValueValidator(10)]
    )
    note = EncryptedTextField(blank=True, default="")
    # Short labels from DIARY_TAGS (kept plain: they say nothing without the note).
    tags = EncryptedJSONField(default=list, blank=True)
    source = models.CharField(max_length=10, choices=DiarySource.choices, default=DiarySource.DIARY)
    # The visit a check-in answer is about.
    booking = models.ForeignKey(
        "booking.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    # A patient may correct or delete their own entries; every version (and the last one
    # before a delete) is kept for the team (django-simple-history), encrypted like the entry.
    history = HistoricalRecords()

    class Meta:
        ordering: ClassVar = ["-recorded_at"]
        verbose_name_plural = "diary entries"
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(pain__lte=10), name="diary_pain_0_to_10"),
            # A check-in is written into the diary once per visit, however often it is retried.
            models.UniqueConstraint(
                fields=["booking"],
                condition=Q(source="checkin"),
                name="one_checkin_entry_per_booking",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["patient", "recorded_at"], name="diary_patient_time"),
        ]

    def __str__(self) -> str:
        return f"Pain {self.pain}/10 for {self.patient} at {self.recorded_at:%Y-%m-%d %H:%M}"
