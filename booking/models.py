"""What can be booked, when, and by whom.

All datetimes are stored in UTC; weekly hours and shifts are wall-clock times
in the clinic's time zone, turned into instants per date by ``availability``.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.templatetags.static import static
from django.utils import timezone

from booking.cache_version import AvailabilityQuerySet, BookingQuerySet
from portal.models import Clinic, Role


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class PractitionerQuerySet(AvailabilityQuerySet["Practitioner"]):
    def bookable(self) -> PractitionerQuerySet:
        """Profiles that take bookings: ticked bookable, and the account still an active
        practitioner's. Someone who leaves is switched off, or moved to another role, often
        with the profile left ticked; patients went on booking them."""
        return self.filter(is_bookable=True, user__is_active=True, user__role=Role.PRACTITIONER)


class Practitioner(models.Model):
    """A practitioner's bookable profile; the person signs in as ``user``."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="practitioner"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="practitioners")
    display_name = models.CharField(max_length=120)
    title = models.CharField(max_length=120, blank=True, help_text="e.g. Acupuncturist, BAcC")
    bio = models.TextField(
        blank=True, help_text="A few lines patients read when choosing who to see."
    )
    style = models.CharField(
        max_length=200,
        blank=True,
        help_text="How they like to treat, in a line: e.g. gentle Japanese-style needling, "
        "good for sensitive patients.",
    )
    photo = models.CharField(
        max_length=200,
        blank=True,
        validators=[
            RegexValidator(
                r"^(?!.*\.\.)[A-Za-z0-9_/-]+\.(jpg|jpeg|png|webp|svg)$",
                "A path under the static folder, such as img/practitioners/mei-chen.jpg.",
            )
        ],
        help_text="Optional: a square photo's path under the static folder, such as "
        "img/practitioners/mei-chen.jpg. Without one their initials are shown.",
    )
    is_bookable = models.BooleanField(default=True)

    objects = PractitionerQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["display_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def initials(self) -> str:
        return "".join(word[0] for word in self.display_name.split()[:2]).upper()

    @property
    def photo_url(self) -> str:
        """The photo's address, or "" when there is none or the file is missing (production's
        manifest storage would otherwise fail the whole page)."""
        if not self.photo:
            return ""
        try:
            return static(self.photo)
        except ValueError:
            return ""


class ServiceKind(models.TextChoices):
    PRIVATE = "private", "Private treatment"
    ASSESSMENT = "assessment", "Free assessment"
    MULTIBED = "multibed", "Community clinic (multibed)"


class PaymentMode(models.TextChoices):
    ONLINE = "online", "Pay online when booking"
    AT_CLINIC = "clinic", "Pay at the clinic"
    FREE = "free", "Free"


class PriceRule(models.TextChoices):
    FREE = "free", "Free"
    FIXED = "fixed", "Fixed price"
    SLIDING = "sliding", "Sliding scale"


# The longest a visit may last and the most time a service may keep free around it. Bounded so
# the availability reads can look for visits overlapping a window by their start time, within
# ``LONGEST_BLOCK`` of it (an index range), instead of scanning every visit ever booked.
MAX_VISIT_MINUTES = 480
MAX_BUFFER_MINUTES = 120
# The highest price a service may have, in minor units (£100,000): what setup_clinic and the
# amount a patient types (``payments.pricing.MAX_MINOR``) accept too.
MAX_PRICE_MINOR = 10_000_000
LONGEST_BLOCK = timedelta(minutes=MAX_VISIT_MINUTES + 2 * MAX_BUFFER_MINUTES)


class Service(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="services")
    name = models.CharField(max_length=120)
    slug = models.SlugField(
        "booking address",
        help_text="Its part of the booking page's address: follow-up in /book/follow-up/.",
    )
    kind = models.CharField(max_length=20, choices=ServiceKind.choices)
    description = models.TextField(blank=True)
    duration_minutes = models.PositiveIntegerField(
        "visit length (minutes)",
        validators=[MinValueValidator(5), MaxValueValidator(MAX_VISIT_MINUTES)],
    )
    buffer_before_minutes = models.PositiveIntegerField(
        "free time before (minutes)",
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text="Kept clear before each visit, e.g. to set up the room.",
    )
    buffer_after_minutes = models.PositiveIntegerField(
        "free time after (minutes)",
        default=0,
        validators=[MaxValueValidator(MAX_BUFFER_MINUTES)],
        help_text="Kept clear after each visit, e.g. for notes and a fresh couch.",
    )
    slot_step_minutes = models.PositiveIntegerField(
        "visits can start every (minutes)",
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(120)],
        help_text="For private visits and assessments; the community room follows its shifts.",
    )
    price_rule = models.CharField(max_length=10, choices=PriceRule.choices, default=PriceRule.FIXED)
    price_minor = models.PositiveIntegerField(
        "price",
        default=0,
        validators=[MaxValueValidator(MAX_PRICE_MINOR)],
        help_text="The fixed price, or the suggested amount on a sliding scale; 0 means free.",
    )
    price_min_minor = models.PositiveIntegerField(
        "sliding scale from",
        default=0,
        validators=[MaxValueValidator(MAX_PRICE_MINOR)],
        help_text="The lowest amount a patient can choose.",
    )
    price_max_minor = models.PositiveIntegerField(
        "sliding scale up to",
        default=0,
        validators=[MaxValueValidator(MAX_PRICE_MINOR)],
        help_text="The highest amount a patient can choose.",
    )
    price_step_minor = models.PositiveIntegerField(
        "sliding scale in steps of",
        default=0,
        validators=[MaxValueValidator(MAX_PRICE_MINOR)],
        help_text="0 means any amount in the range.",
    )
    payment_mode = models.CharField(
        "how patients pay",
        max_length=10,
        choices=PaymentMode.choices,
        blank=True,
        help_text="Blank uses the clinic's default.",
    )
    practitioners = models.ManyToManyField(Practitioner, related_name="services", blank=True)
    is_active = models.BooleanField(default=True)
    position = models.PositiveIntegerField(default=0)

    objects = AvailabilityQuerySet["Service"].as_manager()

    class Meta:
        ordering: ClassVar = ["position", "name"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["clinic", "slug"], name="service_slug_per_clinic"),
            models.CheckConstraint(
                condition=Q(duration_minutes__lte=MAX_VISIT_MINUTES)
                & Q(buffer_before_minutes__lte=MAX_BUFFER_MINUTES)
                & Q(buffer_after_minutes__lte=MAX_BUFFER_MINUTES),
                name="service_visit_and_buffers_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def duration(self) -> timedelta:
        return timedelta(minutes=self.duration_minutes)

    @property
    def buffer_before(self) -> timedelta:
        return timedelta(minutes=self.buffer_before_minutes)

    @property
    def buffer_after(self) -> timedelta:
        return timedelta(minutes=self.buffer_after_minutes)

    @property
    def is_free(self) -> bool:
        return self.price_minor == 0

    @property
    def is_multibed(self) -> bool:
        return self.kind == ServiceKind.MULTIBED

    @property
    def paid_by(self) -> str:
        """How a priced visit of this service is paid: its own mode, else the clinic's."""
        return self.payment_mode or self.clinic.default_payment_mode

    @property
    def needs_checkout(self) -> bool:
        """A new booking needs an amount chosen (sliding scale) or paying online first, so it
        is made by payments' checkout, not straight from the confirm page."""
        return self.price_rule == PriceRule.SLIDING or (
            self.paid_by == PaymentMode.ONLINE and self.price_minor > 0
        )

    def clean(self) -> None:
        if self.kind == ServiceKind.ASSESSMENT and (
            self.price_minor or self.price_rule == PriceRule.SLIDING
        ):
            raise ValidationError({"price_minor": "The assessment is free: set the price to 0."})
        if self.price_rule == PriceRule.FREE and self.price_minor:
            raise ValidationError(
                {"price_rule": "A free service has no price: choose Fixed price, or set it to 0."}
            )
        if self.price_rule == PriceRule.SLIDING:
            self._clean_sliding_scale()

    def _clean_sliding_scale(self) -> None:
        # The booking pages forgive a muddled scale (they swap the ends, clamp the suggestion,
        # and a top of 0 reads as free): said here, so the owner sees what patients would.
        low, high = self.price_min_minor, self.price_max_minor
        if not low < high:
            raise ValidationError(
                {"price_max_minor": "The highest amount must be above the lowest."}
            )
        if not low <= self.price_minor <= high:
            raise ValidationError(
                {"price_minor": "The suggested amount must be within the sliding scale."}
            )
        step = self.price_step_minor
        if step and (high - low) % step:
            raise ValidationError(
                {"price_step_minor": "The scale should be a whole number of steps."}
            )


class WeeklyHours(models.Model):
    """One working range on a weekday; a day may have several."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="hours")
    weekday = models.IntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    objects = AvailabilityQuerySet["WeeklyHours"].as_manager()

    class Meta:
        ordering: ClassVar = ["weekday", "start_time"]
        verbose_name_plural = "weekly hours"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="hours_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class ExceptionKind(models.TextChoices):
    EXTRA = "extra", "Extra hours"
    CLOSED = "closed", "Closed all day"


class DateException(models.Model):
    """A dated change to the weekly pattern: extra hours, or a closed day."""

    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="exceptions"
    )
    date = models.DateField()
    kind = models.CharField(max_length=10, choices=ExceptionKind.choices)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)

    objects = AvailabilityQuerySet["DateException"].as_manager()

    class Meta:
        ordering: ClassVar = ["date", "start_time"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind="closed")
                | Q(
                    start_time__isnull=False,
                    end_time__isnull=False,
                    end_time__gt=models.F("start_time"),
                ),
                name="extra_hours_have_a_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"


class TimeOff(models.Model):
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    objects = AvailabilityQuerySet["TimeOff"].as_manager()

    class Meta:
        ordering: ClassVar = ["starts_at"]
        verbose_name_plural = "time off"
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="time_off_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} off {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError("Time off must end after it starts.")
        if not (self.practitioner_id and self.starts_at and self.ends_at):
            return
        clashes = Booking.objects.filter(
            practitioner_id=self.practitioner_id,
            status__in=ACTIVE_STATUSES,
            blocked_from__lt=self.ends_at,
            blocked_until__gt=self.starts_at,
        )
        if clashes.exists():
            raise ValidationError(
                f"{clashes.count()} booked visit(s) fall in this time off. Cancel or move them "
                "first, so each patient is told."
            )


class ClinicClosure(models.Model):
    """Whole days the clinic is closed (bank holidays, a flood, a training day): from
    ``first_day`` to ``last_day``, both included, on the clinic's calendar. Nobody can book a
    visit starting on them; visits booked before stay booked until the desk moves or cancels
    them (``booking.closures``)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="closures")
    first_day = models.DateField("closed from")
    last_day = models.DateField("closed until (included)")
    reason = models.CharField(
        max_length=120,
        blank=True,
        help_text="Patients see this on the booking pages, e.g. Closed for the holidays.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AvailabilityQuerySet["ClinicClosure"].as_manager()

    class Meta:
        ordering: ClassVar = ["first_day"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(last_day__gte=models.F("first_day")),
                name="closure_last_day_not_before_first",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["clinic", "last_day"], name="closure_clinic_last_day"),
        ]

    def __str__(self) -> str:
        return f"Closed {self.first_day} to {self.last_day}"


class Room(models.Model):
    """The multibed room: N recliners shared by patients with staggered starts."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=80)
    recliners = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(20)]
    )

    objects = AvailabilityQuerySet["Room"].as_manager()

    def __str__(self) -> str:
        return f"{self.name} ({self.recliners} recliners)"


class MultibedShift(models.Model):
    """A practitioner running the room: weekly on a weekday, or on one date."""

    room = models.ForeignKey(Room, on_delete=models.CASCADE, related_name="shifts")
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="shifts")
    service = models.ForeignKey(
        Service,
        on_delete=models.CASCADE,
        related_name="shifts",
        limit_choices_to={"kind": ServiceKind.MULTIBED},
    )
    weekday = models.IntegerField(
        "every week on",
        choices=Weekday.choices,
        null=True,
        blank=True,
        help_text="A weekly shift; or leave empty and give a date.",
    )
    date = models.DateField("or once, on", null=True, blank=True)
    start_time = models.TimeField()
    end_time = models.TimeField(help_text="When the room closes: the last stay ends by then.")
    start_interval_minutes = models.PositiveIntegerField(
        "minutes between arrivals",
        default=15,
        validators=[MinValueValidator(5), MaxValueValidator(60)],
        help_text="A new patient can start every this many minutes (needling takes a while).",
    )
    max_new_per_start = models.PositiveIntegerField(
        "new patients at each start",
        default=1,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
    )

    objects = AvailabilityQuerySet["MultibedShift"].as_manager()

    class Meta:
        ordering: ClassVar = ["weekday", "date", "start_time"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=(Q(weekday__isnull=False) & Q(date__isnull=True))
                | (Q(weekday__isnull=True) & Q(date__isnull=False)),
                name="shift_weekly_or_dated",
            ),
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")), name="shift_end_after_start"
            ),
        ]

    def __str__(self) -> str:
        when = self.get_weekday_display() if self.weekday is not None else str(self.date)
        return f"{self.room.name} {when} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self) -> None:
        """Refuse a shift over the same practitioner's booked private visits or other shifts."""
        if (self.weekday is None) == (self.date is None):
            raise ValidationError("Give either a weekday (every week) or a date (once), not both.")
        if not (self.practitioner_id and self.start_time and self.end_time):
            return
        if self.end_time <= self.start_time:
            raise ValidationError("The shift must end after it starts.")
        others = MultibedShift.objects.filter(
            practitioner_id=self.practitioner_id,
            start_time__lt=self.end_time,
            end_time__gt=self.start_time,
        ).exclude(pk=self.pk)
        same_day = (
            others.filter(date=self.date) if self.date else others.filter(weekday=self.weekday)
        )
        if same_day.exists():
            raise ValidationError("This practitioner already runs a shift at that time.")
        tz = self.room.clinic.tz if self.room_id else None
        future = Booking.objects.filter(
            practitioner_id=self.practitioner_id,
            status__in=ACTIVE_STATUSES,
            starts_at__gte=timezone.now(),
        ).exclude(kind=ServiceKind.MULTIBED)
        for visit in future.only("blocked_from", "blocked_until"):
            start, end = visit.blocked_from.astimezone(tz), visit.blocked_until.astimezone(tz)
            on_day = start.date() == self.date if self.date else start.weekday() == self.weekday
            if on_day and start.time() < self.end_time and end.time() > self.start_time:
                raise ValidationError(
                    f"{self.practitioner} has a private visit on {start:%a %d %b at %H:%M} during "
                    "this shift. Move it first."
                )


class BookingStatus(models.TextChoices):
    HELD = "held", "Awaiting payment"
    CONFIRMED = "confirmed", "Confirmed"
    ATTENDED = "attended", "Attended"
    NO_SHOW = "no_show", "Did not attend"
    CANCELLED = "cancelled", "Cancelled"
    LATE_CANCELLED = "late_cancelled", "Cancelled late"
    RESCHEDULED = "rescheduled", "Moved"
    EXPIRED = "expired", "Hold expired"


# How each status reads inside a sentence ("This visit is ..."), for the team and the patient.
STATUS_PHRASES = {
    BookingStatus.HELD: "awaiting payment",
    BookingStatus.CONFIRMED: "confirmed",
    BookingStatus.ATTENDED: "marked as attended",
    BookingStatus.NO_SHOW: "marked as did not attend",
    BookingStatus.CANCELLED: "cancelled",
    BookingStatus.LATE_CANCELLED: "cancelled late",
    BookingStatus.RESCHEDULED: "moved to another time",
    BookingStatus.EXPIRED: "no longer held (the time to pay ran out)",
}

# Statuses that occupy the practitioner's time or a recliner.
ACTIVE_STATUSES = (
    BookingStatus.HELD,
    BookingStatus.CONFIRMED,
    BookingStatus.ATTENDED,
    BookingStatus.NO_SHOW,
)
# Statuses of a visit that went ahead or still will (a held place is not yet a visit).
KEPT_STATUSES = (BookingStatus.CONFIRMED, BookingStatus.ATTENDED)
# Statuses a patient or the clinic can still cancel or move.
CHANGEABLE_STATUSES = (BookingStatus.HELD, BookingStatus.CONFIRMED)
# Statuses of a place that was given back.
RELEASED_STATUSES = (
    BookingStatus.CANCELLED,
    BookingStatus.LATE_CANCELLED,
    BookingStatus.RESCHEDULED,
    BookingStatus.EXPIRED,
)


class Booking(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="bookings")
    patient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings"
    )
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    # Copied from the service so the one-assessment rule can be a constraint.
    kind = models.CharField(max_length=20, choices=ServiceKind.choices)
    practitioner = models.ForeignKey(
        Practitioner, on_delete=models.PROTECT, related_name="bookings"
    )
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The practitioner's time this visit blocks, buffers included.
    blocked_from = models.DateTimeField()
    blocked_until = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=BookingStatus.choices, default=BookingStatus.CONFIRMED
    )
    price_minor = models.PositiveIntegerField(default=0)
    currency = models.CharField(max_length=3, default="GBP")
    payment_mode = models.CharField(
        max_length=10, choices=PaymentMode.choices, default=PaymentMode.AT_CLINIC
    )
    # Set while the place is held for an online payment; the hold lapses after it.
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    arrived_at = models.DateTimeField(null=True, blank=True)
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rescheduled_to"
    )
    # Who made the visit: the booker of its first row, kept by every move (``booked_by`` is who
    # made this row, the mover for a moved one). The care relationship asks it
    # (``portal.policy.care_visits``): a visit a practitioner booked themself stays theirs
    # however often someone else moves it. Blank on rows written directly: ``booked_by``.
    made_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A moved visit is the same event in the patient's calendar: it keeps the first booking's
    # UID (blank: this booking's own, ``booking.ics.calendar_uid``) with a higher sequence.
    calendar_uid = models.CharField(max_length=120, blank=True, default="")
    calendar_sequence = models.PositiveIntegerField(default=0)
    # One per submitted form, so a double-submit finds the first booking.
    request_key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # A message from the clinic when it cancels (e.g. the practitioner is ill), for the email.
    cancellation_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering: ClassVar = ["starts_at"]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="booking_end_after_start"
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(kind="assessment")
                & ~Q(status__in=["cancelled", "late_cancelled", "rescheduled", "expired"]),
                name="one_free_assessment_per_patient",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["practitioner", "starts_at"], name="booking_pract_start"),
            models.Index(fields=["room", "starts_at"], name="booking_room_start"),
            models.Index(fields=["patient", "starts_at"], name="booking_patient_start"),
            models.Index(
                fields=["hold_expires_at"],
                condition=Q(status="held"),
                name="booking_held_expiry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service} for {self.patient} at {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def status_phrase(self) -> str:
        """The status inside a sentence: "This visit is marked as did not attend"."""
        return STATUS_PHRASES[BookingStatus(self.status)]

    @property
    def is_changeable(self) -> bool:
        return self.status in CHANGEABLE_STATUSES

    @property
    def owes_nothing(self) -> bool:
        """A place given back with nothing to pay for it (a late cancellation may owe a fee)."""
        return self.status in RELEASED_STATUSES and self.status != BookingStatus.LATE_CANCELLED


# The waiting list's tables live in their own module; importing them here registers them.
from booking.waitlist_models import WaitlistEntry, WaitlistOffer, WaitlistPlace  # noqa: E402

__all__ = ["WaitlistEntry", "WaitlistOffer", "WaitlistPlace"]
