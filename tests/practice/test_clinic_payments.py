"""Money taken at the clinic: the desk or the practitioner records it on the visit's page (once,
with a friendly error for a slip and an undo), the calendar shows the visit paid, and the desk's
takings page lists a day's money taken here and online and the visits that still owe."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.test import Client

from booking.models import Booking, BookingStatus, PaymentMode, Practitioner, Service
from booking.services import booking_cancel
from payments.at_clinic import ClinicPaymentError, record_clinic_payment
from payments.models import ClinicPayment, Payment, PaymentStatus
from portal.models import AuditAction, AuditEvent, Clinic, User
from tests.booking.conftest import NOW, WED, assessment  # noqa: F401 - a fixture
from tests.booking.factories import book, local
from tests.concurrency import at_once
from tests.conftest import client_for
from tests.factories import PatientFactory

pytestmark = pytest.mark.usefixtures("policies", "frozen")

AFTER_THE_VISIT = local(WED, 11)


def pay_url(booking: Booking) -> str:
    return f"/practice/bookings/{booking.pk}/payment/"


def visit_page(client: Client, booking: Booking) -> str:
    response = client.get(f"/practice/bookings/{booking.pk}/")
    assert response.status_code == 200, response.get("Location")
    return response.content.decode()


@pytest.fixture
def seen(visit: Booking) -> Booking:
    """Alex's £50 treatment with Mei on Wednesday at 09:00, to pay at the clinic, attended."""
    assert visit.payment_mode == PaymentMode.AT_CLINIC and visit.price_minor == 5000
    Booking.objects.filter(pk=visit.pk).update(status=BookingStatus.ATTENDED)
    visit.refresh_from_db()
    return visit


def test_the_desk_records_a_payment_and_the_visit_shows_it_paid(
    front_desk: User, seen: Booking
) -> None:
    desk = client_for(front_desk)
    with time_machine.travel(AFTER_THE_VISIT, tick=False):
        page = visit_page(desk, seen)
        assert f'action="/practice/bookings/{seen.pk}/payment/"' in page
        assert 'value="50"' in page  # the fee, to start with
        response = desk.post(pay_url(seen), {"amount": "50", "method": "card"})
        assert response.status_code == 302
        assert response["Location"] == f"/practice/bookings/{seen.pk}/"
        page = visit_page(desk, seen)
    taken = ClinicPayment.objects.get(booking=seen)
    assert (taken.amount_minor, taken.method, taken.taken_by) == (5000, "card", front_desk)
    assert "data-paid-at-clinic" in page and "Paid £50" in page
    assert 'data-badge="paid"' in page or "Paid £50 at clinic" in page
    event = AuditEvent.objects.get(action=AuditAction.CLINIC_PAYMENT_RECORDED)
    assert (event.actor, event.subject, event.detail["amount_minor"]) == (
        front_desk,
        seen.patient,
        5000,
    )


def test_the_calendar_badge_says_paid_once_recorded(mei: Practitioner, seen: Booking) -> None:
    practitioner = client_for(mei.user)
    day = f"/practice/calendar/day/?date={WED.isoformat()}"
    with time_machine.travel(AFTER_THE_VISIT, tick=False):
        before = practitioner.get(day).content.decode()
        record_clinic_payment(booking_id=seen.pk, amount_minor=4000, method="cash", by=mei.user)
        after = practitioner.get(day).content.decode()
    assert "£50 at clinic" in before and "Paid £40 at clinic" not in before
    assert "Paid £40 at clinic" in after


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("", "Enter the amount taken"),
        ("fifty", "could not be read"),
        ("-5", "Enter the amount taken"),
        ("0", "Enter the amount taken"),
        ("500", "highest price (£50)"),
        ("1e400", "far above"),
        ("12.345", "pounds and pence"),
    ],
)
def test_a_slip_gets_a_friendly_error_and_keeps_what_was_typed(
    front_desk: User, seen: Booking, typed: str, error: str
) -> None:
    response = client_for(front_desk).post(pay_url(seen), {"amount": typed, "method": "cash"})
    assert response.status_code == 200
    text = response.content.decode()
    assert "There is a problem" in text and error in text
    assert 'value="cash" id="id_method_1" checked' in text.replace("required ", "")
    if typed:
        assert f'value="{typed}"' in text
    assert not ClinicPayment.objects.exists()


def test_an_unknown_method_is_refused_kindly(front_desk: User, seen: Booking) -> None:
    response = client_for(front_desk).post(pay_url(seen), {"amount": "50", "method": "bitcoin"})
    assert response.status_code == 200
    assert "Choose how it was paid." in response.content.decode()
    assert not ClinicPayment.objects.exists()


def test_a_second_record_is_refused_and_the_first_kept(front_desk: User, seen: Booking) -> None:
    desk = client_for(front_desk)
    desk.post(pay_url(seen), {"amount": "50", "method": "card"})
    response = desk.post(pay_url(seen), {"amount": "45", "method": "cash"})
    assert response.status_code == 200
    assert "A payment of £50 (card machine) is already recorded." in response.content.decode()
    assert [p.amount_minor for p in ClinicPayment.objects.all()] == [5000]


@pytest.mark.django_db(transaction=True)
def test_two_tabs_recording_at_once_record_one(front_desk: User, seen: Booking) -> None:
    def record(amount: int) -> Callable[[], ClinicPayment]:
        return lambda: record_clinic_payment(
            booking_id=seen.pk, amount_minor=amount, method="cash", by=front_desk
        )

    outcomes = at_once([record(5000), record(4500)])
    assert sum(o.error is None for o in outcomes) == 1
    assert all(isinstance(o.error, ClinicPaymentError) for o in outcomes if o.error)
    assert ClinicPayment.objects.count() == 1


def test_undo_removes_a_slip_and_leaves_it_in_the_trail(front_desk: User, seen: Booking) -> None:
    desk = client_for(front_desk)
    desk.post(pay_url(seen), {"amount": "50", "method": "card"})
    response = desk.post(f"{pay_url(seen)}undo/")
    assert response.status_code == 302
    assert not ClinicPayment.objects.exists()
    assert AuditEvent.objects.filter(action=AuditAction.CLINIC_PAYMENT_UNDONE).count() == 1
    assert f'action="/practice/bookings/{seen.pk}/payment/"' in visit_page(desk, seen)
    again = desk.post(f"{pay_url(seen)}undo/", follow=True)
    assert "No payment is recorded for this visit now." in again.content.decode()


def test_nothing_to_record_for_a_cancelled_free_or_online_visit(
    front_desk: User,
    visit: Booking,
    assessment: Service,  # noqa: F811 - the fixture
    patient: User,
) -> None:
    booking_cancel(booking=visit, by=front_desk, now=NOW)
    free = book(patient, assessment, local(WED, 14), now=NOW)
    online = book(PatientFactory.create(), visit.service, local(WED, 11), now=NOW)
    Booking.objects.filter(pk=online.pk).update(payment_mode=PaymentMode.ONLINE)
    desk = client_for(front_desk)
    for booking in (visit, free, online):
        assert "data-clinic-payment" not in visit_page(desk, booking)
        response = desk.post(pay_url(booking), {"amount": "50", "method": "card"})
        assert response.status_code == 200
        assert "data-not-takeable" in response.content.decode()
    assert not ClinicPayment.objects.exists()


def test_only_the_team_who_may_open_the_visit_records_it(
    patient: User, david: Practitioner, mei: Practitioner, seen: Booking
) -> None:
    assert client_for(patient).post(pay_url(seen), {"amount": "50"}).status_code == 403
    assert client_for(david.user).post(pay_url(seen), {"amount": "50"}).status_code == 404
    assert Client().post(pay_url(seen), {"amount": "50"}).status_code == 302  # to sign in
    assert not ClinicPayment.objects.exists()
    ok = client_for(mei.user).post(pay_url(seen), {"amount": "50", "method": "card"})
    assert ok.status_code == 302 and ClinicPayment.objects.count() == 1


def test_the_days_takings_list_money_taken_paid_online_and_owing(
    front_desk: User, seen: Booking, clinic: Clinic
) -> None:
    owing = book(PatientFactory.create(), seen.service, local(WED, 11), now=NOW)
    Booking.objects.filter(pk=owing.pk).update(status=BookingStatus.ATTENDED)
    later = book(PatientFactory.create(), seen.service, local(WED, 16), now=NOW)
    missed = book(PatientFactory.create(), seen.service, local(WED, 14, 30), now=NOW)
    Booking.objects.filter(pk=missed.pk).update(status=BookingStatus.NO_SHOW)
    online = book(PatientFactory.create(), seen.service, local(WED, 13), now=NOW)
    Booking.objects.filter(pk=online.pk).update(payment_mode=PaymentMode.ONLINE)
    Payment.objects.create(
        booking=online,
        clinic=clinic,
        patient=online.patient,
        amount_minor=5000,
        currency="GBP",
        status=PaymentStatus.PARTLY_REFUNDED,
        refunded_minor=1000,
        paid_at=local(WED, 8),
    )
    with time_machine.travel(local(WED, 12, 30), tick=False):
        record_clinic_payment(booking_id=seen.pk, amount_minor=4500, method="cash", by=front_desk)
        text = client_for(front_desk).get("/desk/takings/").content.decode()
    assert f'data-takings="{WED.isoformat()}"' in text
    assert 'data-total="clinic">£45<' in text and "Cash £45" in text
    assert 'data-total="online">£50<' in text and "£10 refunded since" in text
    # Owing: the 11:00 visit (attended, nothing recorded); not the 16:00 one, still to come.
    assert 'data-total="owing">£50<' in text
    assert f"/practice/bookings/{owing.pk}/payment/" in text
    assert f"/practice/bookings/{later.pk}/payment/" not in text
    # A missed visit owes nothing by default; a fee may be recorded for it.
    assert "data-missed" in text and f"/practice/bookings/{missed.pk}/payment/" in text


def test_takings_is_the_desks_and_reads_only_sane_days(
    front_desk: User, mei: Practitioner, patient: User
) -> None:
    assert client_for(mei.user).get("/desk/takings/").status_code == 403
    assert client_for(patient).get("/desk/takings/").status_code == 403
    desk = client_for(front_desk)
    with time_machine.travel(AFTER_THE_VISIT, tick=False):
        for query in ("?date=nonsense", "?date=2999-01-01", "?date=2027-02-30"):
            response = desk.get(f"/desk/takings/{query}")
            assert response.status_code == 200
            assert f'data-takings="{WED.isoformat()}"' in response.content.decode()
        earlier = desk.get(f"/desk/takings/?date={(WED - timedelta(days=1)).isoformat()}")
    assert f'data-takings="{(WED - timedelta(days=1)).isoformat()}"' in earlier.content.decode()
