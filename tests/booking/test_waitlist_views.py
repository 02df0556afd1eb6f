"""Waiting-list pages: joining from the week page, My bookings, the offer email and its link,
and the team's list (remove, offer by hand)."""

from __future__ import annotations

import re
import uuid
from datetime import date, time
from typing import Any

import pytest
from django.core import mail

from booking.errors import SlotUnavailable
from booking.models import Booking, PriceRule, Room, Service
from booking.services import booking_cancel
from booking.waitlist_models import EntryStatus, OfferStatus, WaitlistEntry, WaitlistOffer
from portal.models import AuditAction, AuditEvent, User
from tests.booking.conftest import NOW, TUE
from tests.booking.factories import ShiftFactory, book, local
from tests.conftest import client_for
from tests.factories import PatientFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen", "eager_celery")]

START = local(TUE, 17, 30)
WISHES = {"weekdays": ["1", "3"], "day_parts": ["evening"]}


@pytest.fixture
def full(multibed: Service, room: Room, mei: Any) -> list[Booking]:
    ShiftFactory.create(
        room=room,
        practitioner=mei,
        service=multibed,
        weekday=None,
        date=TUE,
        start_time=time(17, 30),
        end_time=time(18, 20),
        max_new_per_start=2,
    )
    return [book(PatientFactory.create(), multibed, START, now=NOW) for _ in range(2)]


def join(user: User, service: Service) -> Any:
    return client_for(user).post(f"/book/{service.slug}/waiting-list/", WISHES)


def offer_link(email: Any) -> str:
    found = re.search(r"http://[^\s]+/waiting-list/offer/[^\s/]+/", email.body)
    assert found, email.body
    return found.group(0)


def test_the_week_page_links_to_the_waiting_list(multibed: Service, full: Any, patient: User):
    page = client_for(patient).get(f"/book/{multibed.slug}/times/?week=2027-03-01")
    assert f'href="/book/{multibed.slug}/waiting-list/' in page.content.decode()


def test_joining_without_a_day_keeps_the_answers_and_says_what_is_missing(
    multibed: Service, patient: User
) -> None:
    response = client_for(patient).post(
        f"/book/{multibed.slug}/waiting-list/", {"day_parts": ["evening"]}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "There is a problem" in html and "Choose at least one day." in html
    assert re.search(r'value="evening"[^>]*checked', html)  # the answer is kept
    assert not WaitlistEntry.objects.exists()


@pytest.mark.usefixtures("frozen")
def test_the_patient_chooses_how_long_to_wait_and_sees_until_when(
    multibed: Service, patient: User
) -> None:
    client = client_for(patient)
    url = f"/book/{multibed.slug}/waiting-list/"
    refused = client.post(url, {**WISHES, "weeks": "52"})
    assert refused.status_code == 400
    assert "Choose how long to stay on the list." in refused.content.decode()
    assert not WaitlistEntry.objects.exists()
    assert client.post(url, {**WISHES, "weeks": "4"}).status_code == 302
    entry = WaitlistEntry.objects.get()
    assert entry.until == date(2027, 3, 29)  # four weeks from Monday 1 March
    assert "until 29 March 2027" in client.get("/bookings/").content.decode()


def test_joining_for_days_the_service_never_runs_says_so(
    multibed: Service, shift: Any, patient: User
) -> None:
    """Monday mornings for a community clinic that runs on Tuesday evenings was accepted with
    "We will email you as soon as a place frees": an offer that could never come."""
    client = client_for(patient)
    url = f"/book/{multibed.slug}/waiting-list/"
    assert "Community clinic runs on Tuesday, evenings." in client.get(url).content.decode()
    never = client.post(url, {"weekdays": ["0"], "day_parts": ["morning"]}, follow=True)
    said = " ".join(str(m) for m in never.context["messages"])
    assert "Community clinic runs on Tuesday, evenings at the moment" in said
    assert "no place can be offered" in said and "as soon as a place frees" not in said
    assert WaitlistEntry.objects.get(patient=patient).weekdays == [0]  # joined all the same
    fits = client.post(url, {"weekdays": ["0", "1"], "day_parts": ["evening"]}, follow=True)
    said = " ".join(str(m) for m in fits.context["messages"])
    assert "as soon as a place frees" in said and "runs on" not in said


def test_a_patient_joins_sees_and_leaves_the_list(multibed: Service, patient: User) -> None:
    client = client_for(patient)
    response = join(patient, multibed)
    assert response.status_code == 302 and response["Location"].startswith("/bookings/")
    for where in ("/bookings/", "/me/"):  # My bookings and the dashboard
        page = client.get(where).content.decode()
        assert "Waiting list" in page and "Tuesday or Thursday, evenings" in page
        assert "Leave the list" in page
    entry = WaitlistEntry.objects.get(patient=patient)
    # Another patient cannot take them off it.
    assert (
        client_for(UserFactory.create()).post(f"/waiting-list/{entry.pk}/leave/").status_code == 404
    )
    assert client.post(f"/waiting-list/{entry.pk}/leave/").status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.LEFT
    assert "Tuesday or Thursday" not in client.get("/bookings/").content.decode()


def test_a_cancellation_emails_the_offer_and_its_link_books_the_place(
    multibed: Service,
    full: list[Booking],
    patient: User,
    other_patient: User,
    front_desk: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    join(patient, multibed)
    join(other_patient, multibed)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=full[0], by=front_desk, now=NOW)
    offers = [m for m in mail.outbox if "waiting list" in m.body]
    assert {m.to[0] for m in offers} == {patient.email, other_patient.email}
    email = next(m for m in offers if m.to == [patient.email])
    assert email.subject == "A place has freed: Tue 2 Mar, 17:30"
    assert patient.first_name not in email.subject
    assert "the first to confirm gets it" in email.body

    link = offer_link(email).split("testserver")[-1].replace("http://localhost:8000", "")
    path = link[link.index("/waiting-list/") :]
    assert client_for(other_patient).get(path).status_code == 403
    page = client_for(patient).get(path)
    assert page.status_code == 200 and "Confirm this place" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        done = client_for(patient).post(path)
    booking = Booking.objects.get(patient=patient)
    assert done["Location"] == f"/bookings/{booking.pk}/"
    assert booking.starts_at == START and booking.status == "confirmed"

    # The other offer's link now says politely that the place has gone.
    other_email = next(m for m in offers if m.to == [other_patient.email])
    other_path = offer_link(other_email)[offer_link(other_email).index("/waiting-list/") :]
    gone = client_for(other_patient).get(other_path)
    assert gone.status_code == 410
    assert "this place has gone" in gone.content.decode()
    assert "You are still on the waiting list" in gone.content.decode()
    assert client_for(other_patient).post(other_path).status_code == 410
    assert WaitlistEntry.objects.get(patient=other_patient).status == EntryStatus.WAITING


def test_a_tampered_link_is_not_found(patient: User) -> None:
    assert client_for(patient).get("/waiting-list/offer/abc:def/").status_code == 404


def test_the_team_sees_the_list_removes_and_offers_by_hand(
    multibed: Service,
    full: list[Booking],
    patient: User,
    other_patient: User,
    front_desk: User,
    practitioner: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    join(patient, multibed)
    join(other_patient, multibed)
    assert client_for(patient).get("/practice/waiting-list/").status_code == 403
    for member in (front_desk, practitioner):
        page = client_for(member).get("/practice/waiting-list/").content.decode()
        assert patient.get_full_name() in page and "Tuesday or Thursday, evenings" in page

    desk = client_for(front_desk)
    entry = WaitlistEntry.objects.get(patient=other_patient)
    assert desk.post(f"/practice/waiting-list/{entry.pk}/remove/").status_code == 302
    entry.refresh_from_db()
    assert entry.status == EntryStatus.REMOVED and entry.ended_by == front_desk
    trail = AuditEvent.objects.get(action=AuditAction.WAITLIST_REMOVED)
    assert trail.actor == front_desk and trail.subject == other_patient

    mine = WaitlistEntry.objects.get(patient=patient)
    # A time that is not open is refused kindly.
    bad = desk.post(f"/practice/waiting-list/{mine.pk}/offer/", {"start": "nonsense"}, follow=True)
    assert "no longer open" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=full[0], by=front_desk, now=NOW)
    # The cancellation already offered it to the one waiting.
    offer = WaitlistOffer.objects.get(entry=mine)
    page = desk.get("/practice/waiting-list/").content.decode()
    assert "Places on offer now" in page and "Offered" in page
    assert offer.status == OfferStatus.SENT


def test_the_team_offers_an_open_time_by_hand(
    multibed: Service,
    room: Room,
    mei: Any,
    patient: User,
    front_desk: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    ShiftFactory.create(room=room, practitioner=mei, service=multibed, weekday=None, date=TUE)
    # Asked for Fridays only: the open Tuesday is not offered by itself.
    client_for(patient).post(
        f"/book/{multibed.slug}/waiting-list/", {"weekdays": ["4"], "day_parts": ["morning"]}
    )
    entry = WaitlistEntry.objects.get(patient=patient)
    assert not WaitlistOffer.objects.exists()
    desk = client_for(front_desk)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            f"/practice/waiting-list/{entry.pk}/offer/",
            {"start": f"{START.isoformat()}|{mei.pk}"},
            follow=True,
        )
    assert "we have emailed them the link" in response.content.decode()
    offer = WaitlistOffer.objects.get(entry=entry)
    assert offer.place.starts_at == START and offer.place.offered_by == front_desk
    assert AuditEvent.objects.filter(
        action=AuditAction.WAITLIST_OFFERED_BY_HAND, subject=patient
    ).exists()
    assert [m.to for m in mail.outbox] == [[patient.email]]


def test_my_bookings_without_an_entry_shows_no_waiting_list(patient: User) -> None:
    assert "Waiting list" not in client_for(patient).get("/bookings/").content.decode()


def test_a_sliding_scale_place_is_held_then_booked_through_the_usual_checkout(
    multibed: Service,
    full: list[Booking],
    patient: User,
    other_patient: User,
    front_desk: User,
    django_capture_on_commit_callbacks: Any,
) -> None:
    multibed.price_rule = PriceRule.SLIDING
    multibed.price_min_minor, multibed.price_max_minor, multibed.price_minor = 1500, 3500, 2500
    multibed.save()
    join(patient, multibed)
    join(other_patient, multibed)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=full[0], by=front_desk, now=NOW)
    email = next(m for m in mail.outbox if m.to == [patient.email])
    link = offer_link(email)
    path = link[link.index("/waiting-list/") :]
    client = client_for(patient)
    assert "you then choose your amount" in client.get(path).content.decode()

    held = client.post(path)
    assert held.status_code == 302 and f"/book/{multibed.slug}/confirm/" in held["Location"]
    page = client.get(held["Location"]).content.decode()
    assert "Check your booking" in page and "/checkout/" in page
    # The other person offered it is told it has gone; nobody else can book it meanwhile.
    other_email = next(m for m in mail.outbox if m.to == [other_patient.email])
    other_link = offer_link(other_email)
    other_path = other_link[other_link.index("/waiting-list/") :]
    assert client_for(other_patient).post(other_path).status_code == 410
    with pytest.raises(SlotUnavailable):
        book(PatientFactory.create(), multibed, START, now=NOW)

    # The amount goes through checkout's own rules: too little is refused, kept on the page.
    form = {"start": START.isoformat(), "practitioner": "any", "request_key": str(uuid.uuid4())}
    refused = client.post(f"/book/{multibed.slug}/checkout/", {**form, "amount": "5"})
    assert refused.status_code == 200 and not Booking.objects.filter(patient=patient).exists()
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(f"/book/{multibed.slug}/checkout/", {**form, "amount": "20"})
    booking = Booking.objects.get(patient=patient)
    assert done["Location"] == f"/bookings/{booking.pk}/"
    assert booking.price_minor == 2000 and booking.starts_at == START
    assert WaitlistEntry.objects.get(patient=patient).status == EntryStatus.BOOKED
