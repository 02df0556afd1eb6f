"""The practitioner's workspace: treatment records and private calendar feeds."""

from __future__ import annotations

import secrets
from typing import ClassVar

from django.conf import settings
from django.db import models
from simple_history.models import HistoricalRecords

from booking.models import Booking, Practitioner
from portal.crypto import EncryptedTextField
from portal.models import Clinic


class Depth(models.TextChoices):
    SHALLOW = "shallow", "Shallow"
    STANDARD = "standard", "Standard"
    DEEP = "deep", "Deep"


class Stimulation(models.TextChoices):
    GENTLE = "gentle", "Gentle"
    MODERATE = "moderate", "Moderate"
    STRONG = "strong", "Strong"


# How strong a treatment was, for "turn the volume down" comparisons: higher is stronger.
INTENSITY_RANK: dict[str, int] = {
    Depth.SHALLOW: 0,
    Depth.STANDARD: 1,
    Depth.DEEP: 2,
    Stimulation.GENTLE: 0,
    Stimulation.MODERATE: 1,
    Stimulation.STRONG: 2,
}


class RecordReading:
    """How a treatment record reads, shared by the record and its kept versions."""

    needle_count: str

    @property
    def needles(self) -> int:
        return int(self.needle_count or 0)

    @property
    def intensity(self) -> str:
        """A one-line summary: "12 needles, standard depth, moderate stimulation"."""
        return (
            f"{self.needles} needle{'s' if self.needles != 1 else ''}, "
            f"{self.get_depth_display().lower()} depth, "  # type: ignore[attr-defined]
            f"{self.get_stimulation_display().lower()} stimulation"  # type: ignore[attr-defined]
        )


class TreatmentRecord(RecordReading, models.Model):
    """What was done at one attended visit and how strongly. Health data: every text is encrypted.

    Clinic, patient and practitioner are copied from the booking so a patient's timeline and
    the access checks are single indexed queries.
    """

    booking = models.OneToOneField(
        Booking, on_delete=models.PROTECT, related_name="treatment_record"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="treatment_records"
    )
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="treatment_records"
    )
    visit_at = models.DateTimeField()
    areas_and_points = EncryptedTextField()
    # Encrypted like the rest (how hard someone is needled says something about them), so
    # numbers and choices are stored as encrypted text and read back through the properties.
    needle_count = EncryptedTextField()
    depth = EncryptedTextField(choices=Depth.choices)
    stimulation = EncryptedTextField(choices=Stimulation.choices)
    style = EncryptedTextField(blank=True)
    other_techniques = EncryptedTextField(blank=True)
    reaction = EncryptedTextField(blank=True)
    plan_next_time = EncryptedTextField(blank=True)
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Every save keeps the version before it (django-simple-history): a record is corrected,
    # never silently overwritten. The copies' text fields are encrypted like these.
    history = HistoricalRecords(bases=[RecordReading, models.Model])

    class Meta:
        ordering: ClassVar = ["-visit_at"]
        indexes: ClassVar = [
            models.Index(fields=["patient", "-visit_at"], name="treatment_patient_visit"),
        ]

    def __str__(self) -> str:
        return f"Treatment record for booking {self.booking_id}"


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A practitioner's private iCal subscription. Deleting the row revokes the address.

    The token is kept readable (not hashed) so the practitioner can copy the address again,
    as Google's "secret address" does; the feed itself carries no health data.
    """

    practitioner = models.OneToOneField(
        Practitioner, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.practitioner}"
