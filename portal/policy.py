"""The one access policy: who may see or act on a booking, a patient's health record, a
payment, a fee request or an alert. Every view, list and dashboard asks here.

The rules, by role:

- **A patient** sees and acts on their own bookings, payments and fee requests, and reads their
  own record. Nothing of anyone else's.
- **A practitioner** acts on their own bookings (the visits they give) and the payments of
  those, never a colleague's. They read a patient's health record (intake, diary, check-ins,
  alerts, flags, treatment records) only inside a *care relationship* with them:

  - a confirmed visit with them that has not ended yet (it still counts for
    ``CONFIRMED_GRACE`` after its end while attendance is unmarked: its check-ins go out), unless
    the practitioner made that booking themself (``Booking.made_by``, the booker of the
    visit's first row: a move by anyone, however many, does not change who made it); or
  - a visit with them marked attended in the last 12 months (``CARE_MONTHS``), whoever booked
    it: the visit happened (a walk-in, or the next visit booked at the end of a treatment).
    Attendance can only be marked once the visit has started, the patient was emailed the
    booking, and the mark is kept on the visit, so a practitioner who books a stranger to
    read their record leaves a trail the patient sees; a clinic that wants more asks its
    practitioners to use "see anyway".

  Held, cancelled, moved, expired and no-show visits do not count, so booking or cancelling a
  visit for a patient grants nothing by itself; a practitioner books only for patients they may
  find (``findable_patients``: those of their own visits, or in their care). Outside the
  relationship, a practitioner can ask to "see this record anyway": with a reason and after
  re-authenticating they get the rest of the clinic's day
  (``intake.models.RecordAccessGrant``), and the patient and the owner see it. Flags and
  routine alerts follow the record: a practitioner sees those of patients they may read.
  Emergency, urgent and same-day alerts are the whole team's (``alerts_to_act_on``): every team
  dashboard names the patient with the portal's one-line summary, never the patient's answers,
  so whoever is on duty can act.
  Fee requests follow the care relationship (the fee they may reduce is their own).
- **Front desk** (role staff) runs every booking and payment of the clinic: books for callers,
  moves, cancels, marks arrival and attendance, issues receipts and answers fee requests
  (money, not health). They read no health data or flags; they see and acknowledge the
  team's emergency, urgent and same-day alerts, as the duty contact must.
- **The owner** (a superuser staff account) does what the desk does and oversees access: they
  see every "see anyway" grant. The owner reads no health data either: whoever treats patients
  has a practitioner account.

Every query here is a queryset filter (subqueries, no per-row lookups), so lists and
dashboards can narrow by it in one query. Models of the apps above portal are imported inside
the functions, as ``portal.views`` does, so portal never imports them at load time.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from portal.models import Role, User

if TYPE_CHECKING:
    from booking.models import Booking, WaitlistEntry
    from intake.models import Alert, PatientFlag
    from payments.models import FeeReduction, Payment

CARE_MONTHS = 12
# A past visit still "confirmed" went ahead as far as the portal knows (attendance not marked
# yet): its 48-hour check-in and day-5 re-check go out, and the practitioner must read what
# they raise. It counts for this long after its end.
CONFIRMED_GRACE = timedelta(days=14)


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "is_active", False))


def is_patient(user: Any) -> bool:
    return _active(user) and user.role == Role.PATIENT


def is_practitioner(user: Any) -> bool:
    return _active(user) and user.role == Role.PRACTITIONER


def is_desk(user: Any) -> bool:
    """Front desk and the owner: they run bookings and payments."""
    return _active(user) and user.role == Role.STAFF


def is_on_team(user: Any) -> bool:
    """An active practitioner or member of staff (the owner too): who may be told a patient's
    alerts. Someone who leaves the team may stay on as a patient with the same account, still
    a practitioner profile's user or the clinic's chosen duty contact."""
    return is_practitioner(user) or is_desk(user)


def is_owner(user: Any) -> bool:
    """The clinic's owner: the superuser of the deployment."""
    return _active(user) and bool(user.is_superuser)


def may_change_sign_in_email(user: Any) -> bool:
    """Whether ``user`` may move a patient's sign-in to another address: the owner, who may
    already set anyone's password. Whoever holds the new address can reset the password and
    read the patient's record, so the front desk (which reads no health data) may not."""
    return is_owner(user)


def may_complete_erasure(user: Any) -> bool:
    """Whether ``user`` may complete an erasure request (anonymise or close the account): the
    owner, as for the retention approval. A closed account is one the desk may hand a data
    export over for, so the desk closing one on a request it recorded itself could take the
    whole record; it records and decides requests, and corrects names and phones."""
    return is_owner(user)


def months_ago(now: datetime, months: int) -> datetime:
    """The same wall-clock moment ``months`` calendar months earlier (31 March -> 28/29 Feb)."""
    month0 = now.month - 1 - months
    year, month = now.year + month0 // 12, month0 % 12 + 1
    for day in (now.day, 30, 29, 28):
        try:
            return now.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has 28 days")


def care_start(now: datetime) -> datetime:
    """The earliest start of an attended visit that still makes a care relationship."""
    return months_ago(now, CARE_MONTHS)


# --- Health records ------------------------------------------------------------------------


def care_visits(practitioner_user: User, *, now: datetime | None = None) -> QuerySet[Booking]:
    """The visits that make ``practitioner_user``'s care relationships (see the module rules)."""
    from booking.models import Booking, BookingStatus

    now = now or timezone.now()
    if practitioner_user.clinic_id is None:
        return Booking.objects.none()
    theirs = Booking.objects.filter(
        practitioner__user=practitioner_user, clinic_id=practitioner_user.clinic_id
    )
    # A booking the practitioner made themself is no evidence of care, and moving a visit
    # does not change who made it: ``made_by`` is the booker of its first row, however many
    # moves ago and by whom (looking one move back let the desk's move of a visit the
    # practitioner had booked open the record). Rows written directly have only ``booked_by``.
    made_by_someone_else = (Q(made_by__isnull=False) & ~Q(made_by=practitioner_user)) | (
        Q(made_by__isnull=True) & ~Q(booked_by=practitioner_user)
    )
    upcoming = Q(status=BookingStatus.CONFIRMED, ends_at__gte=now - CONFIRMED_GRACE)
    attended = Q(status=BookingStatus.ATTENDED, starts_at__gte=care_start(now))
    return theirs.filter((upcoming & made_by_someone_else) | attended)


def patients_in_care(practitioner_user: User, *, now: datetime | None = None) -> QuerySet[User]:
    """Patients ``practitioner_user`` has a care relationship with (none for anyone else)."""
    if not is_practitioner(practitioner_user):
        return User.objects.none()
    return User.objects.filter(
        role=Role.PATIENT,
        pk__in=care_visits(practitioner_user, now=now).values("patient_id"),
    )


def readable_patients(user: Any, *, now: datetime | None = None) -> QuerySet[User]:
    """Patients whose health record ``user`` may read: themself, or a practitioner's patients in
    care and those of an unexpired "see anyway" grant."""
    if is_patient(user):
        return User.objects.filter(pk=user.pk)
    if not is_practitioner(user):
        return User.objects.none()
    from intake.models import RecordAccessGrant

    now = now or timezone.now()
    in_care = care_visits(user, now=now).values("patient_id")
    granted = RecordAccessGrant.objects.filter(viewer=user, expires_at__gt=now).values("patient_id")
    return User.objects.filter(role=Role.PATIENT, clinic_id=user.clinic_id).filter(
        Q(pk__in=in_care) | Q(pk__in=granted)
    )


def may_read_record(user: Any, patient: User, *, now: datetime | None = None) -> bool:
    """Whether ``user`` may read ``patient``'s health record (intake, diary, alerts, flags...)."""
    if not _active(user):
        return False
    if user.pk == patient.pk:
        return True
    return readable_patients(user, now=now).filter(pk=patient.pk).exists()


def readable_among(user: Any, patient_ids: Iterable[int]) -> set[int]:
    """Which of ``patient_ids`` ``user`` may read (one query), for lists that badge many
    visits at once (the calendar, the room lane)."""
    wanted = set(patient_ids)
    if not wanted:
        return set()
    return set(readable_patients(user).filter(pk__in=wanted).values_list("pk", flat=True))


def findable_patients(user: Any, *, now: datetime | None = None) -> QuerySet[User]:
    """Patients ``user`` may find by name, phone or date of birth (the workspace's patient
    search, which shows who they are and their next visit, never health data): a practitioner
    the patients of their own visits and those whose record they may read; the desk every
    patient of the clinic, to book for them; nobody else."""
    from booking.models import Booking

    if is_desk(user) and user.clinic_id is not None:
        return User.objects.filter(role=Role.PATIENT, clinic_id=user.clinic_id)
    if not is_practitioner(user):
        return User.objects.none()
    theirs = Booking.objects.filter(practitioner__user=user, clinic_id=user.clinic_id).values(
        "patient_id"
    )
    return User.objects.filter(role=Role.PATIENT, clinic_id=user.clinic_id).filter(
        Q(pk__in=theirs) | Q(pk__in=readable_patients(user, now=now).values("pk"))
    )


def may_ask_to_see_anyway(user: Any, patient: User) -> bool:
    """Whether ``user`` may ask for a "see this record anyway" grant on ``patient``: a
    practitioner of the patient's clinic (the desk and owner read no health data), for a
    patient who has not left. Someone who closed their account cannot sign in to the privacy
    page that lists the grants, so such a read would be one they never see (as no visit can
    be booked for them, ``booking.eligibility``)."""
    return (
        is_practitioner(user)
        and patient.role == Role.PATIENT
        and not patient.has_left
        and patient.clinic_id is not None
        and patient.clinic_id == user.clinic_id
    )


def may_name_patient(user: Any, patient: User, *, now: datetime | None = None) -> bool:
    """Whether a page outside the record (the "outside your care" refusal, the "see this record
    anyway" form) may tell ``user`` who ``patient`` is: someone they may already find
    (``findable_patients``) or one named on a team alert they may act on
    (``alerts_to_act_on``). Anyone else is "this patient": trying ids at those pages must not
    list the clinic's patients by name and email; a grant (recorded, and shown to the patient
    and the owner) tells the rest."""
    if findable_patients(user, now=now).filter(pk=patient.pk).exists():
        return True
    return alerts_to_act_on(user, now=now).filter(patient_id=patient.pk).exists()


def alerts_for(user: Any, *, now: datetime | None = None) -> QuerySet[Alert]:
    """Alerts ``user`` may see: those about patients whose record they may read (the team's
    tool, so never a patient's own)."""
    from intake.models import Alert

    if not is_practitioner(user):
        return Alert.objects.none()
    return Alert.objects.filter(
        clinic_id=user.clinic_id, patient__in=readable_patients(user, now=now)
    )


def alerts_to_act_on(user: Any, *, now: datetime | None = None) -> QuerySet[Alert]:
    """Alerts ``user`` may acknowledge: the team's emergency, urgent and same-day ones (they are
    on every team dashboard, with the portal's one-line summary and never the patient's
    answers) and, for a practitioner, any other alert on a record they may read."""
    from intake.models import PAGING_LEVELS, SAME_DAY_LEVELS, Alert

    if not (is_practitioner(user) or is_desk(user)) or user.clinic_id is None:
        return Alert.objects.none()
    team = Q(clinic_id=user.clinic_id, level__in=PAGING_LEVELS | SAME_DAY_LEVELS)
    if is_desk(user):
        return Alert.objects.filter(team)
    return Alert.objects.filter(team | Q(pk__in=alerts_for(user, now=now).values("pk")))


def flags_for(user: Any, *, now: datetime | None = None) -> QuerySet[PatientFlag]:
    """Flags on patients ``user`` may read (the team's tool, so never a patient's own)."""
    from intake.models import PatientFlag

    if not is_practitioner(user):
        return PatientFlag.objects.none()
    return PatientFlag.objects.filter(
        clinic_id=user.clinic_id, patient__in=readable_patients(user, now=now)
    )


# --- Bookings and money --------------------------------------------------------------------


def bookings_for(user: Any) -> QuerySet[Booking]:
    """Bookings ``user`` may open and act on (see, move, cancel, mark)."""
    from booking.models import Booking

    if is_patient(user):
        return Booking.objects.filter(patient=user)
    if is_practitioner(user):
        return Booking.objects.filter(practitioner__user=user, clinic_id=user.clinic_id)
    if is_desk(user) and user.clinic_id is not None:
        return Booking.objects.filter(clinic_id=user.clinic_id)
    return Booking.objects.none()


def may_act_on_booking(user: Any, booking: Booking) -> bool:
    """Whether ``user`` may open, move or cancel ``booking``."""
    return bookings_for(user).filter(pk=booking.pk).exists()


def payments_for(user: Any) -> QuerySet[Payment]:
    """Payments (and so receipts) ``user`` may see: their own, their visits', or the clinic's
    for the desk."""
    from payments.models import Payment

    if is_patient(user):
        return Payment.objects.filter(patient=user)
    if is_practitioner(user):
        return Payment.objects.filter(booking__practitioner__user=user, clinic_id=user.clinic_id)
    if is_desk(user) and user.clinic_id is not None:
        return Payment.objects.filter(clinic_id=user.clinic_id)
    return Payment.objects.none()


def fee_requests_for(user: Any, *, now: datetime | None = None) -> QuerySet[FeeReduction]:
    """Fee-reduction requests ``user`` may see and answer."""
    from payments.models import FeeReduction

    if is_patient(user):
        return FeeReduction.objects.filter(patient=user)
    if is_practitioner(user):
        return FeeReduction.objects.filter(
            clinic_id=user.clinic_id, patient__in=patients_in_care(user, now=now)
        )
    if is_desk(user) and user.clinic_id is not None:
        return FeeReduction.objects.filter(clinic_id=user.clinic_id)
    return FeeReduction.objects.none()


def waitlist_entries_for(user: Any) -> QuerySet[WaitlistEntry]:
    """Waiting-list entries ``user`` may see and manage: a patient their own; the team (desk
    and practitioners, who fill freed places) the clinic's. Wishes only, no health data."""
    from booking.models import WaitlistEntry

    if is_patient(user):
        return WaitlistEntry.objects.filter(patient=user)
    if (is_practitioner(user) or is_desk(user)) and user.clinic_id is not None:
        return WaitlistEntry.objects.filter(clinic_id=user.clinic_id)
    return WaitlistEntry.objects.none()
