"""What patients tell the clinic about their health, and what the clinic does about it.

This module starts with the pieces other apps share: the health-data access
log, alerts to practitioners and flags on a patient. The questionnaire, its
responses and the pain diary are added by the intake issue.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q

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

    class Meta:
        ordering: ClassVar = ["-at"]
        indexes: ClassVar = [models.Index(fields=["patient", "-at"], name="healthaccess_patient")]

    def __str__(self) -> str:
        return f"{self.viewer} read {self.what} of {self.patient} at {self.at:%Y-%m-%d %H:%M}"


class AlertLevel(models.TextChoices):
    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"


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
    summary = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

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


class FlagKind(models.TextChoices):
    # Online booking of treatment is paused until a practitioner clears it.
    RED_FLAG = "red_flag", "Red flag: booking paused"
    TREAT_GENTLY = "treat_gently", "Treat more gently next time"
    REVIEW_COURSE = "review_course", "Review the course together"


class PatientFlag(models.Model):
    """A standing note on a patient shown to practitioners until one clears it."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="flags"
    )
    kind = models.CharField(max_length=20, choices=FlagKind.choices)
    reason = models.CharField(max_length=300)
    raised_at = models.DateTimeField(auto_now_add=True)
    cleared_at = models.DateTimeField(null=True, blank=True)
    cleared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clear_note = models.CharField(max_length=300, blank=True)

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
