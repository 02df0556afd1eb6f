"""factory_boy factories and small helpers for the booking app's tests.

Times in these tests are written as clinic wall-clock times (``local``) and
stored as UTC, the way the app does it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import factory

from booking.models import (
    Booking,
    DateException,
    ExceptionKind,
    MultibedShift,
    Practitioner,
    Room,
    Service,
    ServiceKind,
    TimeOff,
    WeeklyHours,
)
from booking.services import BookingRequest, booking_create
from portal.models import Clinic, Role, User
from tests.factories import UserFactory

LONDON = ZoneInfo("Europe/London")
WEEKDAYS = (0, 1, 2, 3, 4)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A clinic wall-clock time on ``day`` as an aware UTC instant."""
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON).astimezone(UTC)


class PractitionerFactory(factory.django.DjangoModelFactory[Practitioner]):
    class Meta:
        model = Practitioner

    user = factory.SubFactory(UserFactory, role=Role.PRACTITIONER)
    clinic = factory.LazyFunction(Clinic.objects.current)
    display_name = factory.Sequence(lambda n: f"Practitioner {n}")
    title = "Acupuncturist"


class ServiceFactory(factory.django.DjangoModelFactory[Service]):
    """A private 60-minute treatment unless told otherwise; pass ``practitioners=[...]``."""

    class Meta:
        model = Service
        skip_postgeneration_save = True

    clinic = factory.LazyFunction(Clinic.objects.current)
    name = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.Sequence(lambda n: f"service-{n}")
    kind = ServiceKind.PRIVATE
    duration_minutes = 60
    slot_step_minutes = 15
    price_minor = 5000

    @factory.post_generation
    def practitioners(
        obj: Service, create: bool, extracted: Iterable[Practitioner] | None, **kwargs: object
    ) -> None:
        if create and extracted:
            obj.practitioners.set(list(extracted))


class RoomFactory(factory.django.DjangoModelFactory[Room]):
    class Meta:
        model = Room

    clinic = factory.LazyFunction(Clinic.objects.current)
    name = factory.Sequence(lambda n: f"Room {n}")
    recliners = 3


class ShiftFactory(factory.django.DjangoModelFactory[MultibedShift]):
    """A weekly Tuesday evening shift unless ``date=`` (and ``weekday=None``) is given."""

    class Meta:
        model = MultibedShift

    room = factory.SubFactory(RoomFactory)
    practitioner = factory.SubFactory(PractitionerFactory)
    service = factory.SubFactory(ServiceFactory, kind=ServiceKind.MULTIBED, duration_minutes=50)
    weekday = 1
    date = None
    start_time = time(17, 30)
    end_time = time(20, 30)
    start_interval_minutes = 15
    max_new_per_start = 1


def weekly_hours(
    practitioner: Practitioner,
    *ranges: tuple[time, time],
    weekdays: Iterable[int] = WEEKDAYS,
) -> None:
    """Give ``practitioner`` the same ranges on each of ``weekdays``."""
    WeeklyHours.objects.bulk_create(
        WeeklyHours(practitioner=practitioner, weekday=day, start_time=start, end_time=end)
        for day in weekdays
        for start, end in ranges
    )


def extra_hours(practitioner: Practitioner, day: date, start: time, end: time) -> DateException:
    return DateException.objects.create(
        practitioner=practitioner,
        date=day,
        kind=ExceptionKind.EXTRA,
        start_time=start,
        end_time=end,
    )


def closed_day(practitioner: Practitioner, day: date) -> DateException:
    return DateException.objects.create(practitioner=practitioner, date=day, kind="closed")


def time_off(practitioner: Practitioner, starts_at: datetime, ends_at: datetime) -> TimeOff:
    return TimeOff.objects.create(practitioner=practitioner, starts_at=starts_at, ends_at=ends_at)


def book(
    patient: User,
    service: Service,
    starts_at: datetime,
    *,
    now: datetime,
    practitioner: Practitioner | None = None,
    booked_by: User | None = None,
    request_key: str | None = None,
) -> Booking:
    """Book through the service (the one way bookings are made), with a fresh request key."""
    asked = BookingRequest(
        patient=patient,
        service=service,
        starts_at=starts_at,
        practitioner=practitioner,
        booked_by=booked_by,
        request_key=request_key or str(uuid.uuid4()),
    )
    return booking_create(asked, now=now)


def without_confirmation(booking: Booking) -> Booking:
    """Drop the confirmation row ``booking_create`` put in the outbox, for tests that count the
    rows and emails of later steps (the confirmation is tested in tests/booking/test_tasks.py)."""
    from followup.models import MessageKind, OutboxMessage

    OutboxMessage.objects.filter(booking=booking, kind=MessageKind.BOOKING_CONFIRMED).delete()
    return booking


def visit_at(
    *,
    patient: User,
    service: Service,
    practitioner: Practitioner,
    starts_at: datetime,
    **fields: Any,
) -> Booking:
    """A visit row written directly at any time, as the demo writes history.

    The services refuse the past and times too soon to book online; tests of what happens
    after (or during) a visit need the row anyway. ``fields`` sets any other column.
    """
    return Booking.objects.create(
        clinic=service.clinic,
        patient=patient,
        service=service,
        kind=service.kind,
        practitioner=practitioner,
        starts_at=starts_at,
        ends_at=starts_at + service.duration,
        blocked_from=starts_at,
        blocked_until=starts_at + service.duration + service.buffer_after,
        **fields,
    )
