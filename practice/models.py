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
    # The account the address was made for: it works only while that account holds the
    # profile. The owner may hand a profile to another account, and the old one's calendar app
    # must not go on fetching its visits (``practice.feeds.live_feed``).
    made_for = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_fetched_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.practitioner}"


class RetentionCase(models.Model):
    """A patient whose health records have passed the retention period, listed for the owner.

    The monthly task lists them; the owner approves; the task then anonymises the person.
    One open case per patient.
    """

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="retention_cases"
    )
    last_treated_at = models.DateTimeField()
    listed_at = models.DateTimeField()
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["last_treated_at", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(done_at__isnull=True),
                name="retention_one_open_case_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"Retention case {self.pk} (patient {self.patient_id})"


class PrivacyRequestKind(models.TextChoices):
    ERASURE = "erasure", "Erasure (delete my data)"
    RECTIFICATION = "rectification", "Rectification (correct my data)"


class ReceivedVia(models.TextChoices):
    EMAIL = "email", "Email"
    LETTER = "letter", "Letter"
    PHONE = "phone", "Phone"
    IN_PERSON = "in_person", "In person"


class PrivacyRequestStatus(models.TextChoices):
    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"
    COMPLETED = "completed", "Completed"


class PrivacyRequest(models.Model):
    """A patient's request to erase or correct what the clinic holds, handled by the desk."""

    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="privacy_requests"
    )
    kind = models.CharField(max_length=20, choices=PrivacyRequestKind.choices)
    received_via = models.CharField(max_length=20, choices=ReceivedVia.choices)
    # Encrypted: what someone asks to have erased or corrected can be about their health.
    details = EncryptedTextField()
    status = models.CharField(
        max_length=20, choices=PrivacyRequestStatus.choices, default=PrivacyRequestStatus.OPEN
    )
    decision = EncryptedTextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-recorded_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} request {self.pk}"


class PrivacyRequestStep(models.Model):
    """One step of a privacy request (recorded, decided, erased, corrected), who and when.

    The text is fixed wording from the workflow and names no symptom."""

    request = models.ForeignKey(PrivacyRequest, on_delete=models.CASCADE, related_name="steps")
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    by_email = models.EmailField(blank=True)
    what = models.CharField(max_length=300)

    class Meta:
        ordering: ClassVar = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.what}"


class RecordCorrection(models.Model):
    """A correction note beside a patient's clinical record: the record itself is not rewritten."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="record_corrections"
    )
    request = models.ForeignKey(
        PrivacyRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    note = EncryptedTextField()
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    written_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar = ["-written_at", "-pk"]

    def __str__(self) -> str:
        return f"Correction note {self.pk} (patient {self.patient_id})"
