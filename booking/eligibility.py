"""Who may book what, and when: the free assessment once, the new patient's limit, the booking
window, and one patient in one place at a time. ``booking.services`` asks these under the
patient's lock before it takes a place."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from booking.availability import Policy
from booking.errors import NotEligible, PatientBusy, SlotUnavailable
from booking.models import (
    ACTIVE_STATUSES,
    KEPT_STATUSES,
    RELEASED_STATUSES,
    Booking,
    Service,
    ServiceKind,
)
from portal.models import Clinic, User

TREATMENT_KINDS = (ServiceKind.PRIVATE, ServiceKind.MULTIBED)


def is_new_patient(patient: User, now: datetime) -> bool:
    """Not yet treated: no past treatment visit that was kept."""
    return not Booking.objects.filter(
        patient=patient, kind__in=TREATMENT_KINDS, status__in=KEPT_STATUSES, starts_at__lt=now
    ).exists()


@dataclass(frozen=True)
class NewPatientStanding:
    """Whether the patient is new, the clinic's cap on upcoming visits while they are (0: no
    cap, or not new) and how many upcoming visits they hold against it."""

    is_new: bool
    limit: int = 0
    held: int = 0

    @property
    def at_limit(self) -> bool:
        return bool(self.limit) and self.held >= self.limit


def new_patient_standing(
    patient: User, clinic: Clinic, now: datetime, *, ignoring: Booking | None = None
) -> NewPatientStanding:
    """The new-patient rule for ``patient`` at ``clinic`` (``ignoring``: the visit being moved);
    one query for a returning patient, two for a new one at a clinic with a cap."""
    if not is_new_patient(patient, now):
        return NewPatientStanding(is_new=False)
    limit = clinic.new_patient_booking_limit
    if not limit:
        return NewPatientStanding(is_new=True)
    upcoming = Booking.objects.filter(
        patient=patient, status__in=ACTIVE_STATUSES, starts_at__gte=now
    )
    if ignoring is not None:
        upcoming = upcoming.exclude(pk=ignoring.pk)
    return NewPatientStanding(is_new=True, limit=limit, held=upcoming.count())


def check_eligibility(
    *, patient: User, service: Service, now: datetime, ignoring: Booking | None
) -> None:
    """Refuse a closed account, a second free assessment, an assessment for someone already
    treated, and a new patient's visit beyond the clinic's cap."""
    if patient.has_left:
        # Whoever books (the desk, a practitioner): the person left. A visit would start a care
        # relationship (their record opens to its practitioner) that they cannot see, since no
        # email reaches a closed account and they cannot sign in to their privacy page.
        raise NotEligible(
            "This person's account is closed, so no visit can be booked for them. If they "
            "want to come back, they can make a new account."
        )
    if service.kind == ServiceKind.ASSESSMENT:
        previous = Booking.objects.filter(patient=patient, kind=ServiceKind.ASSESSMENT).exclude(
            status__in=RELEASED_STATUSES
        )
        if ignoring is not None:
            previous = previous.exclude(pk=ignoring.pk)
        if previous.exists():
            raise NotEligible(
                "You have already booked your free assessment. You can move it from My bookings, "
                "or book a treatment instead."
            )
    # The clinic being booked sets the policy (the patient's own record may have no clinic).
    standing = new_patient_standing(patient, service.clinic, now, ignoring=ignoring)
    if service.kind == ServiceKind.ASSESSMENT and not standing.is_new:
        raise NotEligible(
            "The free assessment is for people who have not been treated here yet. "
            "Please book a treatment instead."
        )
    if standing.at_limit:
        limit = standing.limit
        visits = "one upcoming visit" if limit == 1 else f"{limit} upcoming visits"
        raise NotEligible(
            f"As a new patient you can hold {visits} at a time. Once you have been to your "
            "first visit you can book more, or you can move a visit you have."
        )


def _minutes_text(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return f"{hours} hour{'s' if hours != 1 else ''}"
    return f"{minutes} minutes"


def check_booking_window(service: Service, starts_at: datetime, now: datetime) -> None:
    """Say plainly why a time outside the booking window cannot be taken."""
    clinic = service.clinic
    policy = Policy.for_clinic(clinic)
    if starts_at < now:
        raise SlotUnavailable("That time has already passed. Please pick another time.")
    if starts_at < now + policy.min_notice:
        raise SlotUnavailable(
            f"Visits can be booked online up to {_minutes_text(clinic.min_notice_minutes)} "
            "before they start. Please pick a later time, or call the clinic."
        )
    if starts_at > now + policy.horizon:
        raise SlotUnavailable(
            f"Visits can be booked up to {clinic.booking_horizon_days} days ahead. "
            "Please pick an earlier time."
        )


def patient_clash(
    *, patient_id: int, starts_at: datetime, ends_at: datetime, excluding: int | None = None
) -> Booking | None:
    """The patient's first active visit overlapping [starts_at, ends_at), if any."""
    visits = Booking.objects.filter(
        patient_id=patient_id,
        status__in=ACTIVE_STATUSES,
        starts_at__lt=ends_at,
        ends_at__gt=starts_at,
    )
    if excluding is not None:
        visits = visits.exclude(pk=excluding)
    # Nearly always there is none: a bare id answers that for a fraction of what building the
    # query that joins the service and clinic costs (every booking asks).
    clash_id = visits.order_by("starts_at").values_list("pk", flat=True).first()
    if clash_id is None:
        return None
    return Booking.objects.select_related("service", "clinic").get(pk=clash_id)


def check_patient_free(
    *, patient: User, starts_at: datetime, ends_at: datetime, booked_by: User | None
) -> None:
    """One patient, one place at a time: refuse a visit overlapping one they already hold.

    Any service and any practitioner count. The caller holds the patient's row lock, so two
    bookings for the same patient cannot both pass this check.
    """
    clash = patient_clash(patient_id=patient.pk, starts_at=starts_at, ends_at=ends_at)
    if clash is None:
        return
    when = clash.starts_at.astimezone(clash.clinic.tz)
    what = f"{clash.service.name} on {when:%A} {when.day} {when:%B} at {when:%H:%M}"
    if booked_by is not None and booked_by.pk != patient.pk:
        raise PatientBusy(
            f"This patient already has a visit at that time ({what}). "
            "Please pick another time, or move that visit."
        )
    raise PatientBusy(
        f"You already have a visit at that time ({what}). "
        "Please pick another time, or move that visit from My bookings."
    )
