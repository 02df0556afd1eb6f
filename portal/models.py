"""Clinic-wide models: the clinic's settings record and the people who sign in."""

from __future__ import annotations

import functools
import zoneinfo
from datetime import time
from email.utils import parseaddr
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, validate_email
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from portal.names import one_line_name
from portal.phones import PhoneNumberModelField


@functools.cache
def _time_zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    # Checked against the list of zone names rather than by loading the key:
    # ZoneInfo("Europe") raises IsADirectoryError (a folder of the database),
    # which would turn a typo in the admin into a server error.
    if value not in _time_zone_names():
        raise ValidationError(f"{value!r} is not a time zone name such as Europe/London")


def validate_open_days(value: str) -> None:
    if not value or any(c not in "0123456" for c in value) or len(set(value)) != len(value):
        raise ValidationError(
            "List the open days as digits, 0 = Monday ... 6 = Sunday, e.g. 012345."
        )


def validate_from_address(value: str) -> None:
    """An email address, optionally with a name: "Riverside Acupuncture <hello@example.org>"."""
    _name, address = parseaddr(value)
    if "\n" in value or "\r" in value or not address:
        raise ValidationError(
            f"{value!r} is not an email address such as Clinic <hello@example.org>"
        )
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(
            f"{value!r} is not an email address such as Clinic <hello@example.org>"
        ) from None


def _default_time_zone() -> str:
    return settings.TIME_ZONE


def _default_currency() -> str:
    return settings.CLINIC_CURRENCY


class ClinicQuerySet(models.QuerySet["Clinic"]):
    def current(self) -> Clinic:
        """The clinic this portal serves (there is only one), created on first use."""
        clinic = self.first()
        if clinic is not None:
            return clinic
        # Two first requests at once: the loser's insert breaks the one-row constraint and
        # get_or_create reads the winner's row instead.
        created, _ = self.get_or_create(
            singleton=True, defaults={"name": "Our clinic", "slug": "clinic"}
        )
        return created


class Clinic(models.Model):
    """The clinic's settings: who it is, where, and what it tells patients.

    One clinic per installation, with as many practitioners and rooms as it likes: the
    ``singleton`` column is always true and unique, so the database refuses a second row.
    A second clinic is a second deployment (its own database, secrets and domain).
    """

    singleton = models.BooleanField(default=True, editable=False)
    name = models.CharField("clinic name", max_length=120)
    slug = models.SlugField(unique=True)
    address = models.TextField(blank=True, help_text="Shown at the foot of every page.")
    phone = models.CharField(
        max_length=40, blank=True, help_text="Shown to patients on every page and in emails."
    )
    email = models.EmailField(
        blank=True, help_text="Where patients write to; shown on every page and in emails."
    )
    email_from = models.CharField(
        "emails are sent from",
        max_length=200,
        blank=True,
        validators=[validate_from_address],
        # The admin shows help text as HTML: the brackets are escaped so the example reads whole.
        help_text=(
            "The sender patients see, e.g. Riverside Acupuncture &lt;bookings@example.org&gt;: "
            "an address your email provider lets you send from. Leave empty to use the "
            "server's default sender."
        ),
    )
    time_zone = models.CharField(
        max_length=64,
        default=_default_time_zone,
        validators=[validate_time_zone],
        help_text="Every time patients and the team see is in this zone, e.g. Europe/London.",
    )
    currency = models.CharField(
        max_length=3, default=_default_currency, help_text="A three-letter code, e.g. GBP."
    )
    urgent_care_advice = models.TextField(
        default=(
            "If you have any of these symptoms, please do not wait for your next appointment. "
            "Call NHS 111 now, or 999 if it is an emergency, or go to your nearest A&E."
        ),
        help_text="Shown to a patient whose answers suggest they need urgent medical care.",
    )
    emergency_numbers = models.CharField(
        max_length=200,
        default="999 (emergency) · 111 (NHS urgent advice)",
        help_text="Shown at the foot of every page, for anyone who feels very unwell.",
    )
    # Booking policies. Each bound says itself in words: the owner reads the refusal, not the
    # validator's arithmetic.
    min_notice_minutes = models.PositiveIntegerField(
        "online booking notice (minutes)",
        default=120,
        validators=[MaxValueValidator(14 * 24 * 60, "At most 20,160 minutes (14 days).")],
        help_text="How soon before a visit it can still be booked online; 0 for up to its start.",
    )
    booking_horizon_days = models.PositiveIntegerField(
        "patients can book ahead (days)",
        default=56,
        validators=[
            MinValueValidator(1, "At least 1 day: 0 would close online booking."),
            MaxValueValidator(365, "At most 365 days (a year)."),
        ],
        help_text="How far ahead patients can book (56 days = 8 weeks).",
    )
    cancellation_cutoff_hours = models.PositiveIntegerField(
        "online cancelling and moving ends (hours before)",
        default=24,
        validators=[MaxValueValidator(14 * 24, "At most 336 hours (14 days).")],
        help_text=(
            "Patients can cancel or move a visit online until this many hours before it; "
            "after that they call the clinic."
        ),
    )
    new_patient_booking_limit = models.PositiveIntegerField(
        "upcoming visits a new patient may hold",
        default=1,
        validators=[MaxValueValidator(20, "At most 20; 0 means no limit.")],
        help_text="For someone not yet treated, however they book; 0 means no limit.",
    )
    # Twice a week across the default eight-week horizon: a course booked online fits, a hoard
    # of the community clinic's places does not.
    online_booking_limit = models.PositiveIntegerField(
        "upcoming visits a returning patient may book online",
        default=16,
        validators=[MaxValueValidator(100, "At most 100; 0 means no limit.")],
        help_text="The team can book more for them; 0 means no limit.",
    )
    # Money.
    default_payment_mode = models.CharField(
        "how patients pay",
        max_length=10,
        choices=[("online", "Pay online when booking"), ("clinic", "Pay at the clinic")],
        default="clinic",
        help_text="For services that do not say otherwise.",
    )
    payment_hold_minutes = models.PositiveIntegerField(
        "hold a place while paying online (minutes)",
        default=15,
        validators=[
            MinValueValidator(5, "At least 5 minutes, to type in a card."),
            MaxValueValidator(120, "At most 120 minutes (2 hours)."),
        ],
        help_text="Then the place is offered to others again.",
    )
    waitlist_hold_minutes = models.PositiveIntegerField(
        "hold a freed place for the waiting list (minutes)",
        default=120,
        validators=[
            MinValueValidator(15, "At least 15 minutes, to read the email."),
            MaxValueValidator(48 * 60, "At most 2,880 minutes (2 days)."),
        ],
        help_text="How long the people offered a freed place have to confirm it.",
    )
    waitlist_offers_per_place = models.PositiveIntegerField(
        "people offered each freed place",
        default=3,
        validators=[
            MinValueValidator(1, "At least 1."),
            MaxValueValidator(50, "At most 50."),
        ],
        help_text="Offered at once; the first to confirm gets it.",
    )
    late_cancellation_rule = models.CharField(
        "late cancellation of a paid visit",
        max_length=10,
        choices=[("no_refund", "No refund"), ("keep_fee", "Keep a fee, refund the rest")],
        default="keep_fee",
        help_text="What happens to an online payment when a visit is cancelled after the cutoff.",
    )
    late_cancellation_fee_minor = models.PositiveIntegerField(
        "late cancellation fee",
        default=1000,
        validators=[MaxValueValidator(100_000, "At most 1,000.00.")],
        help_text="Kept from an online payment cancelled after the cutoff.",
    )
    # Messages around a visit.
    quiet_hours_start = models.TimeField(
        "quiet hours from",
        default=time(21, 0),
        help_text="Non-urgent messages wait from this time...",
    )
    quiet_hours_end = models.TimeField(
        "quiet hours until",
        default=time(8, 0),
        help_text="...until this time. The same time in both: no quiet hours.",
    )
    pre_visit_guidance_hours = models.PositiveIntegerField(
        "send pre-visit guidance (hours before)",
        default=36,
        validators=[
            MinValueValidator(1, "At least 1 hour."),
            MaxValueValidator(7 * 24, "At most 168 hours (7 days)."),
        ],
        help_text="What to expect, what to wear, to eat lightly.",
    )
    # Bounded so the check-in still asks about this treatment's soreness, in time to act on it.
    checkin_after_hours = models.PositiveIntegerField(
        "send the check-in (hours after)",
        default=48,
        validators=[
            MinValueValidator(12, "At least 12 hours: soreness shows over the first day or two."),
            MaxValueValidator(96, "At most 96 hours (4 days), while it is about this visit."),
        ],
        help_text="Asks how the patient is compared with before the visit.",
    )
    checkin_chaser_hours = models.PositiveIntegerField(
        "remind about an unanswered check-in (hours)",
        default=24,
        validators=[
            MinValueValidator(1, "At least 1 hour."),
            MaxValueValidator(72, "At most 72 hours (3 days)."),
        ],
        help_text="One reminder, this many hours after the check-in.",
    )
    recheck_after_days = models.PositiveIntegerField(
        "check again after a visit that left them worse (days)",
        default=5,
        validators=[
            MinValueValidator(1, "At least 1 day."),
            MaxValueValidator(28, "At most 28 days."),
        ],
    )
    alert_digest_time = models.TimeField(
        "daily digest at",
        default=time(8, 0),
        help_text="When practitioners get the day's routine alerts in one email.",
    )
    # Alerts that cannot wait.
    duty_contact = models.ForeignKey(
        "portal.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=(
            "Who is emailed every emergency and urgent alert, as well as the booked "
            "practitioner. Leave empty to email every staff member."
        ),
    )
    # Bounded above: a chase set hours away would leave an urgent alert unanswered all day
    # (and a typed 9,999,999,999 made the planner's deadline fall before year 1).
    alert_ack_minutes = models.PositiveIntegerField(
        "chase an unacknowledged alert after (minutes)",
        default=30,
        validators=[
            MinValueValidator(1, "At least 1 minute."),
            MaxValueValidator(240, "At most 240 minutes (4 hours): urgent means today."),
        ],
        help_text=(
            "An emergency or urgent alert nobody has acknowledged after this many minutes of "
            "opening hours is sent again, and the owner is told."
        ),
    )
    team_idle_minutes = models.PositiveIntegerField(
        "sign the team out after (minutes idle)",
        default=30,
        validators=[
            MinValueValidator(5, "At least 5 minutes."),
            MaxValueValidator(480, "At most 480 minutes (8 hours)."),
        ],
        help_text="Practitioners and front desk, never patients.",
    )
    # Not below 8: a lower figure would let records be anonymised before UK guidance allows.
    health_record_retention_years = models.PositiveSmallIntegerField(
        "keep health records for (years)",
        default=8,
        validators=[
            MinValueValidator(
                8,
                "At least 8 years: UK guidance for adult health records (the British "
                "Acupuncture Council, the NHS records code) keeps them 8 years after the last "
                "treatment.",
            ),
            MaxValueValidator(100, "At most 100 years."),
        ],
        help_text=(
            "After the last treatment; then the patient is anonymised once the owner approves "
            "(8 years: UK guidance for adult records, see the README)."
        ),
    )
    opens_at = models.TimeField(default=time(8, 0), help_text="When the clinic opens.")
    closes_at = models.TimeField(
        default=time(18, 0),
        help_text="Alerts are chased, and call-backs promised, within opening hours.",
    )
    open_days = models.CharField(
        max_length=7,
        default="012345",
        validators=[validate_open_days],
        help_text="The days the clinic answers the phone.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ClinicQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["singleton"], name="portal_clinic_one_per_install"),
            models.CheckConstraint(
                condition=models.Q(singleton=True), name="portal_clinic_singleton_is_true"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def open_weekdays(self) -> frozenset[int]:
        # Only the digits the validator allows: str.isdigit() also accepts "²", which int() refuses.
        return frozenset(int(c) for c in self.open_days if c in "0123456")

    def clean(self) -> None:
        if self._state.adding and Clinic.objects.exists():
            raise ValidationError(
                "This portal serves one clinic. Change its details instead of adding another."
            )
        self.currency = self.currency.upper()
        if len(self.currency) != 3 or not self.currency.isalpha():
            raise ValidationError({"currency": "Use a three-letter currency code such as GBP."})
        if self.opens_at >= self.closes_at:
            raise ValidationError({"closes_at": "The clinic must close after it opens."})
        if self.phone:
            from portal.phones import INVALID_PHONE, parse_phone

            # Kept as typed (patients read it on every page); only checked that it is a number.
            if parse_phone(self.phone) is None:
                raise ValidationError({"phone": INVALID_PHONE})


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    PRACTITIONER = "practitioner", "Practitioner"
    STAFF = "staff", "Clinic staff"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("role", Role.PATIENT)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.update(role=Role.STAFF, is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


# A caller the desk adds without an email address still needs a unique login name: an address
# at this reserved domain (RFC 2606 ``.invalid``) that no mail server will ever accept.
# ``User.has_email`` is false for it, and nothing is sent to it (followup/outbox.py).
NO_EMAIL_DOMAIN = "no-email.invalid"


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in. Email is the login; the role decides the dashboard."""

    email = models.EmailField("email address", unique=True)
    # One line each (``portal.names``): every model form, the admin's included, refuses more.
    first_name = models.CharField(max_length=80, blank=True, validators=[one_line_name])
    last_name = models.CharField(max_length=80, blank=True, validators=[one_line_name])
    # E.164 when it parses (UK numbers by default); an older value that never parsed is kept
    # as it was typed (migration 0012), so the desk can still read it and put it right.
    # Typed loosely: the library ships no types; reads give a PhoneNumber (or "" when empty).
    phone: Any = PhoneNumberModelField(max_length=40, blank=True)
    # Asked by the front desk (and the questionnaire); with the name, it tells two callers apart.
    date_of_birth = models.DateField(null=True, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PATIENT)
    clinic = models.ForeignKey(
        Clinic, on_delete=models.PROTECT, null=True, blank=True, related_name="people"
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(
        default=False, help_text="Can sign in to the Django admin (clinic staff)."
    )
    date_joined = models.DateTimeField(default=timezone.now)
    # Closed by the patient (or on an erasure request): cannot sign in; the records the clinic
    # must keep stay until the retention date, then the person is anonymised.
    closed_at = models.DateTimeField(null=True, blank=True)
    # Name, contact details and health content gone; bookings and payments kept as figures.
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        constraints: ClassVar = [
            # Emails are compared case-insensitively at login; keep them unique that way too.
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.get_full_name() or self.email

    def get_full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self) -> str:
        return self.first_name or self.email.split("@")[0]

    @property
    def has_email(self) -> bool:
        """False for a caller the desk added without an email address: nothing is sent."""
        return bool(self.email) and not self.email.lower().endswith("@" + NO_EMAIL_DOMAIN)

    @property
    def has_left(self) -> bool:
        """Closed, anonymised or deactivated: nothing new is written about them or booked."""
        return self.closed_at is not None or self.anonymised_at is not None or not self.is_active

    @property
    def contact_email(self) -> str:
        """The email address to show people, or "" when the patient has none."""
        return self.email if self.has_email else ""

    @property
    def is_patient(self) -> bool:
        return self.role == Role.PATIENT

    @property
    def is_practitioner(self) -> bool:
        return self.role == Role.PRACTITIONER

    @property
    def is_clinic_staff(self) -> bool:
        return self.role == Role.STAFF


class AuditAction(models.TextChoices):
    """What the audit trail records (stored as text, so a new action needs no migration)."""

    ROLE_CHANGED = "role_changed", "Role changed"
    OWNER_ACCESS_CHANGED = "owner_access_changed", "Made an owner (superuser) or no longer one"
    PASSWORD_SET_BY_OWNER = "password_set_by_owner", "Password set by the owner"
    SIGN_IN_EMAIL_CHANGED = "sign_in_email_changed", "Sign-in email changed by the owner"
    SECOND_FACTOR_ADDED = "second_factor_added", "Authenticator set up"
    SECOND_FACTOR_REMOVED = "second_factor_removed", "Authenticator removed"
    RECOVERY_CODES_RENEWED = "recovery_codes_renewed", "Recovery codes renewed"
    SECOND_FACTOR_RESET = "second_factor_reset", "Second factor reset by the owner"
    REFUND_ISSUED = "refund_issued", "Refund issued"
    FEE_REDUCTION_APPROVED = "fee_reduction_approved", "Fee reduction approved"
    FEE_REDUCTION_DECLINED = "fee_reduction_declined", "Fee reduction declined"
    FEE_REDUCTION_CHANGED = "fee_reduction_changed", "Fee reduction decision changed"
    FLAG_CLEARED = "flag_cleared", "Flag cleared"
    ALERT_ACKNOWLEDGED = "alert_acknowledged", "Alert acknowledged"
    BREAK_GLASS = "break_glass", "Record opened outside care"
    TREATMENT_RECORD_EDITED = "treatment_record_edited", "Treatment record edited"
    DATA_EXPORT_REQUESTED = "data_export_requested", "Data export requested"
    DATA_EXPORT_PRODUCED = "data_export_produced", "Data export produced and link emailed"
    DATA_EXPORT_DOWNLOADED = "data_export_downloaded", "Data export downloaded"
    ANONYMISED = "anonymised", "Person anonymised"
    ACCOUNT_DELETED = "account_deleted", "Account deleted"
    ACCOUNT_CLOSED = "account_closed", "Account closed"
    ERASURE_REQUEST_RECORDED = (
        "erasure_request_recorded",
        "Erasure or rectification request recorded",
    )
    ERASURE_REQUEST_DECIDED = "erasure_request_decided", "Erasure or rectification request decided"
    PATIENT_ADDED_BY_DESK = "patient_added_by_desk", "Patient added by the front desk"
    PRIVACY_REQUEST_COMPLETED = (
        "privacy_request_completed",
        "Erasure or rectification request completed",
    )
    WAITLIST_REMOVED = "waitlist_removed", "Removed from the waiting list by the clinic"
    WAITLIST_OFFERED_BY_HAND = "waitlist_offered_by_hand", "Waiting-list place offered by hand"
    TEAM_MEMBER_INVITED = "team_member_invited", "Team member invited by the owner"
    CLINIC_CLOSED = "clinic_closed", "Clinic closed on some days"
    CLINIC_REOPENED = "clinic_reopened", "Clinic closure removed"
    CLOSURE_VISITS_CANCELLED = "closure_visits_cancelled", "Visits on closed days cancelled"
    CLINIC_PAYMENT_RECORDED = "clinic_payment_recorded", "Payment taken at the clinic recorded"
    CLINIC_PAYMENT_UNDONE = "clinic_payment_undone", "Payment taken at the clinic undone"


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """The trail is append-only: bulk edits and deletes are refused as single ones are."""

    def update(self, **kwargs: Any) -> int:
        raise PermissionError("Audit rows are never changed.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit rows are never deleted.")


class AuditEvent(models.Model):
    """One team (or patient) action worth a trail: who did what, about whom, when.

    Written only by ``portal.audit.record_action``; never changed or deleted (the model, its
    queryset and the admin refuse, and on PostgreSQL a trigger refuses UPDATE and DELETE).
    ``detail`` holds short facts (amounts, roles, a request's kind), never health words.
    """

    clinic = models.ForeignKey("Clinic", on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=40, db_index=True)
    # No database constraint and nothing done on delete: the row outlives the accounts it
    # names (an account deleted under the retention rules keeps its trail).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    # Kept as text so the trail still names who acted after their account is gone.
    actor_email = models.CharField(max_length=254, blank=True)
    subject = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        blank=True,
        related_name="+",
    )
    detail = models.JSONField(default=dict, blank=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["-at", "-pk"]
        indexes: ClassVar = [models.Index(fields=["subject", "-at"], name="audit_subject_at")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email or 'system'}: {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise PermissionError("Audit rows are never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise PermissionError("Audit rows are never deleted.")

    @property
    def action_label(self) -> str:
        try:
            return str(AuditAction(self.action).label)
        except ValueError:
            return self.action

    @property
    def detail_items(self) -> list[tuple[str, Any, bool]]:
        """The detail as (label, value, is an amount in minor units) for people to read:
        "floor_minor: 1000" becomes ("floor", 1000, True), shown as "floor: £10"."""
        items = []
        for key, value in (self.detail or {}).items():
            money = key.endswith("_minor")
            label = key.removesuffix("_minor").replace("_", " ")
            items.append((label, value, money and isinstance(value, int)))
        return items


class ExportChannel(models.TextChoices):
    ONLINE = "online", "Asked online (signed in)"
    POST = "post", "By post"
    PHONE = "phone", "By phone"
    IN_PERSON = "in_person", "In person at the clinic"
    EMAIL = "email", "By email"


class ExportStatus(models.TextChoices):
    REQUESTED = "requested", "Being prepared"
    READY = "ready", "Ready to download"
    DOWNLOADED = "downloaded", "Downloaded"
    EXPIRED = "expired", "Expired (deleted)"


class DataExport(models.Model):
    """One "download my data" request: who asked and how, and the encrypted zip until it goes.

    The archive holds health data, so it is a Fernet token in the database (never a file under
    a public URL) and is wiped when downloaded or when the link expires; the row stays as the
    record that the request was answered.
    """

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="data_exports")
    # The patient themselves online, or the team member who took a request by post or phone.
    requested_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=12, choices=ExportChannel.choices)
    status = models.CharField(
        max_length=12, choices=ExportStatus.choices, default=ExportStatus.REQUESTED
    )
    archive = models.BinaryField(null=True, blank=True, editable=False)
    # The desk hands the file over (post, in person) instead of emailing a link: for a patient
    # who cannot sign in (closed account, no password or no email address).
    handover = models.BooleanField(default=False)
    size_bytes = models.PositiveIntegerField(default=0)
    requested_at = models.DateTimeField(default=timezone.now)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-requested_at", "-pk"]
        constraints: ClassVar = [
            # A double submit or a second tab finds the request already being prepared.
            models.UniqueConstraint(
                fields=["patient"],
                condition=models.Q(status="requested"),
                name="one_export_in_preparation",
            ),
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["expires_at"], condition=models.Q(status="ready"), name="export_ready"
            ),
        ]

    def __str__(self) -> str:
        return f"Data export {self.pk} for {self.patient_id} ({self.get_status_display()})"
