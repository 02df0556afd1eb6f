"""The clinic cancelling for a reason of its own (the cancel page's "The clinic cancels", a
practitioner's time off, a closure's "Cancel them all") gives back everything paid online, even
inside the cancellation window: the late rule is for patients who cancel late. A closure's page
cancels every visit it listed in one go, each patient emailed, and touches nothing else."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail

from booking.models import Booking, BookingStatus, ClinicClosure, Service
from booking.services import booking_cancel
from payments.models import Payment, PaymentStatus, Refund, RefundReason
from portal.models import AuditAction, AuditEvent, Clinic, User
from tests.booking.conftest import NOW, TUE, WED
from tests.booking.factories import book, local
from tests.conftest import client_for, reauthenticated
from tests.factories import PatientFactory
from tests.payments.conftest import localstripe, online, stripe_settings  # noqa: F401
from tests.payments.factories import checkout_for, pay_and_deliver, reload

# Real commits: the refund task is queued on commit, as in production.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_celery", "stripe_settings", "no_quiet_hours"),
]


@pytest.fixture
def paid(online: Service, patient: User, localstripe: str, policies: Clinic) -> Booking:  # noqa: F811
    """Alex's £50 visit with Mei on Wednesday at 09:00, paid online (late fee £10)."""
    result = checkout_for(patient, online, local(WED, 9))
    assert result.payment is not None
    pay_and_deliver(localstripe, result.payment)
    mail.outbox.clear()
    return reload(result.booking)


def refunded_in_full(booking: Booking) -> None:
    refund = Refund.objects.get(payment__booking=booking)
    assert (refund.amount_minor, refund.reason) == (5000, RefundReason.CANCELLED)
    assert Payment.objects.get(booking=booking).status == PaymentStatus.REFUNDED


def test_the_clinic_cancelling_inside_the_window_refunds_in_full(
    front_desk: User, paid: Booking
) -> None:
    with time_machine.travel(paid.starts_at - timedelta(hours=3), tick=False):
        response = reauthenticated(front_desk).post(
            f"/practice/bookings/{paid.pk}/cancel/", {"how": "clinic", "note": "Mei is unwell."}
        )
    assert response.status_code == 302
    assert reload(paid).status == BookingStatus.CANCELLED
    refunded_in_full(paid)


def test_time_off_over_a_paid_visit_inside_the_window_refunds_in_full(
    practitioner: User, paid: Booking
) -> None:
    fields = {
        "start_date": WED.isoformat(),
        "start_time": "08:00",
        "end_date": WED.isoformat(),
        "end_time": "12:00",
        "reason": "Unwell",
    }
    with time_machine.travel(paid.starts_at - timedelta(hours=3), tick=False):
        response = reauthenticated(practitioner).post(
            "/practice/availability/time-off/confirm/",
            {**fields, "decision": "cancel", "expected": str(paid.pk), "note": "Sorry"},
        )
    assert response.status_code == 302
    assert reload(paid).status == BookingStatus.CANCELLED
    refunded_in_full(paid)


def close(clinic: Clinic, by: User) -> ClinicClosure:
    """The clinic closed on Tuesday and Wednesday (a burst pipe), after the visits were booked."""
    return ClinicClosure.objects.create(
        clinic=clinic, first_day=TUE, last_day=WED, reason="Burst pipe", created_by=by
    )


@pytest.fixture
def closed(policies: Clinic, front_desk: User, paid: Booking) -> ClinicClosure:
    return close(policies, front_desk)


def cancel_all(user: User, closure: ClinicClosure, visits: str, note: str = "Sorry") -> str:
    """Post the closure page's "Cancel them all" three hours before Wednesday 09:00; the
    page's message."""
    with time_machine.travel(local(WED, 6), tick=False):
        client = reauthenticated(user)
        response = client.post(
            f"/desk/closures/{closure.pk}/cancel-visits/",
            {"visits": visits, "note": note},
            follow=True,
        )
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def test_cancelling_a_closures_visits_cancels_each_one_listed_and_refunds_in_full(
    front_desk: User,
    paid: Booking,
    online: Service,  # noqa: F811
    patient: User,
    policies: Clinic,
) -> None:
    other = book(patient, online, local(TUE, 15), now=NOW)
    closed = close(policies, front_desk)
    page = client_for(front_desk).get(f"/desk/closures/{closed.pk}/").content.decode()
    assert 'data-form="cancel-all"' in page and "Burst pipe</textarea>" in page
    listed = ",".join(str(b.pk) for b in (other, paid))
    assert f'name="visits" value="{listed}"' in page
    said = cancel_all(front_desk, closed, listed, note="A pipe burst: we are so sorry.")
    assert "1 visit cancelled" in said  # Tuesday's has passed by then: left to record
    assert reload(paid).status == BookingStatus.CANCELLED
    assert reload(paid).cancellation_note == "A pipe burst: we are so sorry."
    assert reload(other).status == BookingStatus.CONFIRMED
    refunded_in_full(paid)
    assert any("A pipe burst" in m.body for m in mail.outbox)
    event = AuditEvent.objects.get(action=AuditAction.CLOSURE_VISITS_CANCELLED)
    assert event.actor == front_desk and event.detail == {"closure": closed.pk, "visits": 1}


def test_a_visit_not_listed_or_moved_since_is_left_alone(
    front_desk: User,
    paid: Booking,
    private: Service,
    policies: Clinic,
) -> None:
    someone = PatientFactory.create()
    unseen = book(someone, private, local(WED, 11), now=NOW)
    gone = book(someone, private, local(WED, 14), now=NOW)
    closed = close(policies, front_desk)
    booking_cancel(booking=gone, by=front_desk, now=NOW)
    said = cancel_all(front_desk, closed, f"{paid.pk},{gone.pk}")
    assert "1 visit cancelled" in said
    assert reload(unseen).status == BookingStatus.CONFIRMED
    assert reload(paid).status == BookingStatus.CANCELLED


@pytest.mark.parametrize("visits", ["12,abc", "١٢", "1" * 40, ",".join(["1"] * 1001)])
def test_a_list_that_cannot_be_read_cancels_nothing(
    front_desk: User, paid: Booking, closed: ClinicClosure, visits: str
) -> None:
    said = cancel_all(front_desk, closed, visits.replace("12", str(paid.pk)))
    assert "Nothing was cancelled" in said
    assert reload(paid).status == BookingStatus.CONFIRMED


def test_only_the_desk_and_the_owner_cancel_a_closures_visits(
    practitioner: User, patient: User, paid: Booking, closed: ClinicClosure
) -> None:
    for who in (practitioner, patient):
        response = client_for(who).post(
            f"/desk/closures/{closed.pk}/cancel-visits/", {"visits": str(paid.pk)}
        )
        assert response.status_code == 403
    assert client_for(patient).get(f"/desk/closures/{closed.pk}/cancel-visits/").status_code in (
        403,
        405,
    )
    assert reload(paid).status == BookingStatus.CONFIRMED


def test_a_paid_visit_asks_for_the_password_again_first(
    front_desk: User, paid: Booking, closed: ClinicClosure
) -> None:
    with time_machine.travel(local(WED, 6), tick=False):
        response = client_for(front_desk).post(
            f"/desk/closures/{closed.pk}/cancel-visits/", {"visits": str(paid.pk)}
        )
    assert response.status_code == 302 and "reauthenticate" in response["Location"]
    assert reload(paid).status == BookingStatus.CONFIRMED


@pytest.mark.usefixtures("frozen")
def test_closing_and_reopening_are_in_the_audit_trail(policies: Clinic, front_desk: User) -> None:
    client = client_for(front_desk)
    client.post("/desk/closures/", {"first_day": "2027-03-02", "last_day": "2027-03-03"})
    closure = ClinicClosure.objects.get()
    client.post(f"/desk/closures/{closure.pk}/reopen/")
    trail = list(AuditEvent.objects.order_by("pk").values_list("action", "actor", "detail"))
    days = {"first_day": "2027-03-02", "last_day": "2027-03-03"}
    assert trail == [
        (AuditAction.CLINIC_CLOSED, front_desk.pk, days),
        (AuditAction.CLINIC_REOPENED, front_desk.pk, days),
    ]
