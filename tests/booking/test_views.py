"""booking.views: who may open each page, and what the pages do with good and bad input."""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from booking.models import Booking, MultibedShift, Practitioner, PriceRule, Service
from portal.models import Clinic, Role, User
from tests.booking.conftest import NOW, TUE, WED
from tests.booking.factories import PractitionerFactory, book, closed_day, local, weekly_hours
from tests.conftest import client_for
from tests.factories import PatientFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("frozen")]


def confirm_url(service: Service, start: datetime | str, **query: Any) -> str:
    value = start.isoformat() if isinstance(start, datetime) else start
    return f"/book/{service.slug}/confirm/?" + urlencode({"start": value, **query})


def post_confirm(
    client: Client,
    service: Service,
    start: datetime | str,
    *,
    key: str | None = None,
    data: dict[str, str] | None = None,
    query: dict[str, Any] | None = None,
) -> Any:
    """POST the confirm form; ``query`` goes in the URL (for, reschedule), ``data`` in the body."""
    value = start.isoformat() if isinstance(start, datetime) else start
    body = {"start": value, "practitioner": "any", "request_key": key or str(uuid.uuid4())}
    body.update(data or {})
    return client.post(confirm_url(service, start, **(query or {})), body)


def messages_of(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"]) if response.context else ""


@pytest.fixture
def booking(private: Service, patient: User) -> Booking:
    return book(patient, private, local(WED, 9), now=NOW)


# --- Access: anonymous, owner, stranger, wrong method ------------------------------


def page_urls(private: Service, booking: Booking) -> dict[str, str]:
    return {
        "services": "/book/",
        "practitioners": f"/book/{private.slug}/",
        "week": f"/book/{private.slug}/times/",
        "confirm": confirm_url(private, local(WED, 13)),
        "mine": "/bookings/",
        "detail": f"/bookings/{booking.pk}/",
        "cancel": f"/bookings/{booking.pk}/cancel/",
        "for_a_patient": "/book/for-a-patient/",
    }


PAGES = ["services", "practitioners", "week", "confirm", "mine", "detail", "cancel"]
PUBLIC_PAGES = ["services", "practitioners", "week"]


@pytest.mark.parametrize("page", PUBLIC_PAGES)
def test_a_visitor_sees_services_prices_and_times_without_an_account(
    client: Client, private: Service, booking: Booking, page: str
) -> None:
    # A surname no practitioner or service shares (a generated one was once "Chen", as Mei's).
    User.objects.filter(pk=booking.patient_id).update(last_name="Quillfeather")
    booking.patient.refresh_from_db()
    response = client.get(page_urls(private, booking)[page], follow=True)
    assert response.status_code == 200
    assert not any("/accounts/login/" in url for url, _ in response.redirect_chain)
    content = response.content.decode()
    # Nothing about any patient or their visits on a public page.
    assert booking.patient.email not in content
    assert booking.patient.last_name not in content
    assert client.post(page_urls(private, booking)[page]).status_code == 405


@pytest.mark.parametrize("page", ["confirm", "mine", "detail", "cancel", "for_a_patient"])
def test_anonymous_is_sent_to_sign_in(
    client: Client, private: Service, booking: Booking, page: str
) -> None:
    url = page_urls(private, booking)[page]
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    assert Booking.objects.get() == booking


@pytest.mark.parametrize("page", PAGES)
def test_owner_opens_every_page(private: Service, booking: Booking, patient: User, page: str):
    response = client_for(patient).get(page_urls(private, booking)[page], follow=True)
    assert response.status_code == 200
    assert response.redirect_chain in (
        [],
        [(f"/book/{private.slug}/times/?with={booking.practitioner_id}", 302)],
    )


@pytest.mark.parametrize("page", ["detail", "cancel"])
def test_another_patients_booking_is_not_found(
    private: Service, booking: Booking, other_patient: User, page: str
) -> None:
    url = page_urls(private, booking)[page]
    client = client_for(other_patient)
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == (404 if page == "cancel" else 405)
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_another_patient_cannot_move_a_booking(
    private: Service, booking: Booking, other_patient: User
) -> None:
    client = client_for(other_patient)
    week = client.get(f"/book/{private.slug}/times/?reschedule={booking.pk}")
    assert week.status_code == 404
    response = post_confirm(client, private, local(WED, 13), query={"reschedule": booking.pk})
    assert response.status_code == 404
    assert list(Booking.objects.all()) == [booking]
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_my_bookings_lists_only_mine(booking: Booking, patient: User, other_patient: User):
    mine = client_for(patient).get("/bookings/")
    assert f"/bookings/{booking.pk}/" in mine.content.decode()
    assert "Treatment" in mine.content.decode()
    theirs = client_for(other_patient).get("/bookings/")
    assert f"/bookings/{booking.pk}/" not in theirs.content.decode()


@pytest.mark.parametrize("page", [*PAGES, "for_a_patient"])
@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_wrong_method_is_405(
    private: Service, booking: Booking, patient: User, front_desk: User, page: str, method: str
) -> None:
    user = front_desk if page == "for_a_patient" else patient
    response = getattr(client_for(user), method)(page_urls(private, booking)[page])
    assert response.status_code == 405
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_booking_for_a_patient_is_for_the_team(
    patient: User, other_patient: User, front_desk: User
) -> None:
    other_patient.last_name = "Quarrington"
    other_patient.save()
    assert client_for(patient).get("/book/for-a-patient/").status_code == 403
    found = client_for(front_desk).get("/book/for-a-patient/?q=quarr")
    assert found.status_code == 200
    assert list(found.context["patients"]) == [other_patient]


def test_a_practitioner_finds_only_their_own_patients_to_book_for(
    private: Service, mei: Practitioner, patient: User, other_patient: User, front_desk: User
) -> None:
    """The same rule as the workspace's patient search (``policy.findable_patients``): the
    desk finds every patient of the clinic, a practitioner not a stranger's email, phone
    and date of birth by typing two letters."""
    book(patient, private, local(WED, 9), now=NOW)
    for person in (patient, other_patient):
        User.objects.filter(pk=person.pk).update(last_name="Quarrington")
    by_mei = client_for(mei.user).get("/book/for-a-patient/?q=quarr")
    assert by_mei.status_code == 200
    assert list(by_mei.context["patients"]) == [patient]
    assert other_patient.email not in by_mei.content.decode()
    by_desk = client_for(front_desk).get("/book/for-a-patient/?q=quarr")
    assert set(by_desk.context["patients"]) == {patient, other_patient}
    # Nor by trying ids: booking "for" a stranger is a 404 that names nobody.
    stranger = client_for(mei.user).get(f"/book/?for={other_patient.pk}")
    assert stranger.status_code == 404
    assert other_patient.get_full_name() not in stranger.content.decode()
    assert client_for(mei.user).get(f"/book/?for={patient.pk}").status_code == 200
    assert client_for(front_desk).get(f"/book/?for={other_patient.pk}").status_code == 200


# --- Booking through the pages --------------------------------------------------------


def test_patient_books_and_sees_the_visit(private: Service, patient: User) -> None:
    client = client_for(patient)
    response = post_confirm(client, private, local(WED, 9))
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/bookings/{booking.pk}/"
    assert (booking.patient, booking.booked_by, booking.starts_at) == (
        patient,
        patient,
        local(WED, 9),
    )
    detail = client.get(response["Location"])
    assert "Wednesday 3 March 2027, 09:00" in detail.content.decode()


def test_a_double_submitted_form_makes_one_booking(private: Service, patient: User) -> None:
    client = client_for(patient)
    key = str(uuid.uuid4())
    first = post_confirm(client, private, local(WED, 9), key=key)
    second = post_confirm(client, private, local(WED, 9), key=key)
    assert first["Location"] == second["Location"]
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("start", "message"),
    [
        (local(TUE - timedelta(days=7), 9), "already passed"),
        (local(TUE - timedelta(days=1), 9), "2 hours before"),  # today, one hour from now
        (local(WED + timedelta(days=63), 9), "56 days ahead"),
        (local(WED, 9, 7), "no longer open"),
    ],
)
def test_times_that_cannot_be_booked_show_why(
    private: Service, patient: User, start: datetime, message: str
) -> None:
    response = post_confirm(client_for(patient), private, start)
    assert response.status_code == 200
    assert message in messages_of(response)
    assert not Booking.objects.exists()


def test_a_closed_day_shows_alternatives(
    private: Service, mei: Practitioner, patient: User
) -> None:
    closed_day(mei, WED)
    response = post_confirm(client_for(patient), private, local(WED, 9))
    assert "no longer open" in messages_of(response)
    assert response.context["alternatives"]
    assert 'id="alternatives"' in response.content.decode()
    assert not Booking.objects.exists()


def test_a_taken_time_shows_fresh_alternatives(
    private: Service, booking: Booking, other_patient: User
) -> None:
    response = post_confirm(client_for(other_patient), private, local(WED, 9))
    assert "just been taken" in messages_of(response)
    offered = [s.starts_at for s in response.context["alternatives"]]
    assert offered and local(WED, 9) not in offered
    assert Booking.objects.count() == 1


def test_second_free_assessment_is_refused(assessment: Service, patient: User) -> None:
    client = client_for(patient)
    post_confirm(client, assessment, local(WED, 9))
    response = post_confirm(client, assessment, local(WED, 10))
    assert response.status_code == 200
    assert "already booked your free assessment" in messages_of(response)
    assert Booking.objects.count() == 1


def test_new_patient_limit_on_the_page(private: Service, patient: User, policies: Clinic) -> None:
    policies.new_patient_booking_limit = 1
    policies.save()
    client = client_for(patient)
    post_confirm(client, private, local(WED, 9))
    response = post_confirm(client, private, local(WED, 13))
    assert "new patient" in messages_of(response)
    assert Booking.objects.count() == 1


def test_a_new_patient_at_the_limit_is_told_before_choosing_a_time_or_an_amount(
    private: Service, patient: User, policies: Clinic
) -> None:
    """A new patient holding their one visit browsed a week, chose a time (and on a sliding
    scale an amount) and was refused only on Confirm; the week says so first, and the confirm
    page shows the refusal instead of its form."""
    policies.new_patient_booking_limit = 1
    policies.save()
    client = client_for(patient)
    week = client.get(f"/book/{private.slug}/times/").content.decode()
    assert 'data-rule="at-limit"' not in week
    book(patient, private, local(WED, 9), now=NOW)
    week = client.get(f"/book/{private.slug}/times/").content.decode()
    assert 'data-rule="at-limit"' in week and "You already have your upcoming visit booked" in week
    response = client.get(confirm_url(private, local(WED, 13)))
    assert "As a new patient you can hold one upcoming visit" in messages_of(response)
    page = response.content.decode()
    assert "Confirm booking" not in page and "See my bookings" in page
    # Nothing follows to choose from, so the details promise no choice "below".
    private.price_rule, private.price_minor = PriceRule.SLIDING, 2500
    private.price_min_minor, private.price_max_minor = 1500, 3500
    private.save()
    page = client.get(confirm_url(private, local(WED, 13))).content.decode()
    assert "See my bookings" in page and "you choose below" not in page


def test_a_returning_patient_at_the_online_limit_is_told_on_the_week_and_refused(
    private: Service, patient: User, policies: Clinic
) -> None:
    """A treated patient could book every free time for weeks ahead and keep others out; the
    clinic's online limit is said on the week page, on the confirm page and on Confirm."""
    policies.online_booking_limit = 2
    policies.save()
    last_week = WED - timedelta(days=7)
    book(patient, private, local(last_week, 9), now=NOW - timedelta(days=8))  # treated
    book(patient, private, local(WED, 9), now=NOW)
    client = client_for(patient)
    week = client.get(f"/book/{private.slug}/times/").content.decode()
    assert 'data-rule="at-limit"' not in week
    book(patient, private, local(WED, 11), now=NOW)
    week = client.get(f"/book/{private.slug}/times/").content.decode()
    assert 'data-rule="at-limit"' in week
    assert "You already have 2 upcoming visits booked" in week and "0117 496 0000" in week
    assert "As a new patient" not in week
    response = client.get(confirm_url(private, local(WED, 15)))
    assert "as many as can be held online at once" in messages_of(response)
    assert "Confirm booking" not in response.content.decode()
    response = post_confirm(client, private, local(WED, 15))
    assert "as many as can be held online at once" in messages_of(response)
    assert Booking.objects.filter(patient=patient).count() == 3
    dashboard = client.get("/me/", follow=True)
    assert dashboard.redirect_chain == [], dashboard.redirect_chain
    assert "as many upcoming visits as can be held online" in dashboard.content.decode()


def test_a_second_free_assessment_is_refused_on_the_confirm_page_itself(
    assessment: Service, patient: User
) -> None:
    client = client_for(patient)
    post_confirm(client, assessment, local(WED, 9))
    response = client.get(confirm_url(assessment, local(WED, 10)))
    assert "already booked your free assessment" in messages_of(response)
    assert "Confirm booking" not in response.content.decode()


def test_unknown_service_is_not_found(patient: User, private: Service) -> None:
    client = client_for(patient)
    for url in ("/book/nope/", "/book/nope/times/", "/book/nope/confirm/"):
        assert client.get(url).status_code == 404
    response = client.post(
        "/book/nope/confirm/", {"start": local(WED, 9).isoformat(), "request_key": uuid.uuid4()}
    )
    assert response.status_code == 404
    assert not Booking.objects.exists()


def test_the_week_page_ignores_a_practitioner_who_does_not_offer_the_service(
    private: Service, patient: User
) -> None:
    far = PractitionerFactory.create(display_name="Far Away")
    weekly_hours(far, (time(9), time(12)))
    # The week page just shows everyone's times (nothing is written from it).
    week = client_for(patient).get(f"/book/{private.slug}/times/?with={far.pk}")
    assert week.status_code == 200
    assert week.context["practitioner"] is None
    assert "Far Away" not in week.content.decode()


def test_a_practitioner_who_does_not_offer_the_service_is_not_found(
    private: Service, patient: User
) -> None:
    sol = PractitionerFactory.create(display_name="Sol")
    weekly_hours(sol, (time(9), time(12)))
    response = post_confirm(
        client_for(patient), private, local(WED, 9), data={"practitioner": str(sol.pk)}
    )
    assert response.status_code == 404
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "start",
    [
        "",
        "tomorrow",
        "2027-03-03T09:00:00",  # no zone
        "2027-13-03T09:00:00+00:00",
        "9999-12-31T23:59:00+00:00",
        "0001-01-01T00:00:00+01:00",
    ],
)
def test_garbage_start_is_a_friendly_redirect_or_page(
    private: Service, patient: User, start: str
) -> None:
    client = client_for(patient)
    for response in (
        client.get(confirm_url(private, start)),
        post_confirm(client, private, start),
    ):
        assert response.status_code in (200, 302)
        if response.status_code == 302:
            assert response["Location"].startswith(f"/book/{private.slug}/times/")
    assert not Booking.objects.exists()


@pytest.mark.parametrize(
    "query",
    [
        {"week": "garbage"},
        {"week": "2027-02-30"},
        {"week": "9999-12-31"},
        {"week": "0001-01-01"},
        {"with": "garbage"},
        {"with": "-1"},
        {"with": "99999999999999999999"},
        {"reschedule": "garbage"},
        {"reschedule": "99999999999999999999"},
        {"for": "garbage"},
    ],
)
def test_garbage_week_and_with_values_give_a_page(
    private: Service, patient: User, query: dict[str, str]
) -> None:
    response = client_for(patient).get(f"/book/{private.slug}/times/?" + urlencode(query))
    assert response.status_code in (200, 404)
    if "with" in query or "week" in query:
        assert response.status_code == 200


def test_week_page_shows_open_times(private: Service, patient: User) -> None:
    response = client_for(patient).get(f"/book/{private.slug}/times/")
    assert response.status_code == 200
    content = response.content.decode()
    assert f'data-start="{local(WED, 9).isoformat()}"' in content
    assert "Mei Chen" in content


def test_a_practitioner_who_does_not_offer_the_service_gets_everyones_times_and_a_word(
    private: Service, patient: User
) -> None:
    stranger = PractitionerFactory.create(display_name="Ola Brandt")  # offers nothing
    response = client_for(patient).get(f"/book/{private.slug}/times/?with={stranger.pk}")
    content = response.content.decode()
    assert "does not take Treatment bookings online" in content
    assert "Mei Chen" in content  # every practitioner's times, labelled
    # The links onward no longer carry the refused choice.
    assert f"with={stranger.pk}" not in content and "with=any" in content


def test_week_page_shows_recliners_left_and_never_other_patients(
    multibed: Service, shift: MultibedShift, patient: User, other_patient: User
) -> None:
    other_patient.first_name, other_patient.last_name = "Zebedee", "Quarrington"
    other_patient.save()
    book(other_patient, multibed, local(TUE, 17, 30), now=NOW)
    response = client_for(patient).get(f"/book/{multibed.slug}/times/?week={TUE.isoformat()}")
    content = response.content.decode()
    assert "1 recliner left" in content
    for secret in ("Zebedee", "Quarrington", other_patient.email):
        assert secret not in content


# --- Staff booking for a caller -------------------------------------------------------


def test_staff_books_for_a_patient(private: Service, patient: User, front_desk: User) -> None:
    client = client_for(front_desk)
    assert client.get(f"/book/?for={patient.pk}").status_code == 200
    # No patient chosen: the public list, as a visitor sees it.
    assert client.get("/book/").status_code == 200
    response = post_confirm(client, private, local(WED, 9), data={"for": str(patient.pk)})
    booking = Booking.objects.get()
    assert response["Location"] == f"/bookings/{booking.pk}/"
    assert (booking.patient, booking.booked_by) == (patient, front_desk)


def test_a_patient_using_for_books_only_for_themselves(
    private: Service, patient: User, other_patient: User
) -> None:
    post_confirm(client_for(patient), private, local(WED, 9), query={"for": other_patient.pk})
    booking = Booking.objects.get()
    assert (booking.patient, booking.booked_by) == (patient, patient)


def test_staff_cannot_book_for_a_team_member_as_if_a_patient(
    private: Service, front_desk: User
) -> None:
    stranger = UserFactory.create(role=Role.PRACTITIONER)
    client = client_for(front_desk)
    assert client.get(f"/book/?for={stranger.pk}").status_code == 404
    response = post_confirm(client, private, local(WED, 9), query={"for": stranger.pk})
    assert response.status_code == 404
    assert not Booking.objects.exists()


# --- Cancelling and moving --------------------------------------------------------------


def test_patient_cancels(booking: Booking, patient: User) -> None:
    response = client_for(patient).post(f"/bookings/{booking.pk}/cancel/")
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == "cancelled"
    # The cancelled visit owes nothing and offers to book again.
    page = client_for(patient).get(f"/bookings/{booking.pk}/").content.decode()
    assert "paid at the clinic" not in page
    again = f"/book/{booking.service.slug}/times/?with={booking.practitioner_id}"
    assert f'href="{again}"' in page


def test_the_cancel_page_speaks_to_whoever_opens_it(
    booking: Booking, patient: User, front_desk: User
) -> None:
    url = f"/bookings/{booking.pk}/cancel/"
    own = client_for(patient).get(url).content.decode()
    assert "Cancel your visit?" in own and "we will email you to confirm" in own
    desk = client_for(front_desk).get(url).content.decode()
    assert "Cancel this visit?" in desk and "we will email to confirm" in desk
    assert f"for {patient.get_full_name() or patient.email}" in desk
    # Paid at the clinic: nothing about a refund (that part is payments' page).
    assert "What happens to the payment" not in own


def test_patient_cannot_cancel_after_the_cutoff_but_staff_can(
    private: Service, patient: User, front_desk: User
) -> None:
    soon = book(patient, private, local(TUE, 9), now=NOW)  # tomorrow, 25 hours away
    import time_machine

    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        response = client_for(patient).post(f"/bookings/{soon.pk}/cancel/")
        assert response.status_code == 200
        assert "until 24 hours before" in messages_of(response)
        soon.refresh_from_db()
        assert soon.status == "confirmed"
        page = client_for(patient).get(f"/bookings/{soon.pk}/").content.decode()
        assert "can no longer be changed online" in page
        staff = client_for(front_desk).post(f"/bookings/{soon.pk}/cancel/")
        assert staff.status_code == 302
    soon.refresh_from_db()
    assert soon.status == "cancelled"


def test_patient_moves_a_visit(private: Service, booking: Booking, patient: User) -> None:
    client = client_for(patient)
    week = client.get(f"/book/{private.slug}/times/?reschedule={booking.pk}")
    assert week.context["moving"] == booking
    response = post_confirm(client, private, local(WED, 13), query={"reschedule": booking.pk})
    new = Booking.objects.get(status="confirmed")
    assert response["Location"] == f"/bookings/{new.pk}/"
    assert (new.starts_at, new.rescheduled_from) == (local(WED, 13), booking)


def test_moving_speaks_to_whoever_moves_it(
    private: Service, booking: Booking, patient: User, front_desk: User
) -> None:
    """The desk moving a caller's visit read "Move your visit" and pressed "Move my visit"."""
    name = patient.get_full_name()
    week = f"/book/{private.slug}/times/?reschedule={booking.pk}&for={patient.pk}"
    confirm = confirm_url(private, local(WED, 13), reschedule=booking.pk, **{"for": patient.pk})
    desk = client_for(front_desk)
    assert f"You are moving {name}\u2019s visit on" in desk.get(week).content.decode()
    page = desk.get(confirm).content.decode()
    assert f"Move {name}\u2019s visit" in page and "Move their visit" in page
    assert "Move my visit" not in page and "when you booked" not in page
    own = client_for(patient)
    assert "You are moving your visit on" in own.get(week).content.decode()
    mine = own.get(confirm_url(private, local(WED, 13), reschedule=booking.pk)).content.decode()
    assert "Move your visit" in mine and "Move my visit" in mine


def test_a_stale_move_leads_to_where_the_visit_went(
    private: Service, booking: Booking, patient: User
) -> None:
    """Moved in another tab (or the back button after moving): the old move's week and confirm
    pages offered times to move it that then ended in "already cancelled or moved"."""
    client = client_for(patient)
    post_confirm(client, private, local(WED, 13), query={"reschedule": booking.pk})
    new = Booking.objects.get(status="confirmed")
    week = client.get(f"/book/{private.slug}/times/?reschedule={booking.pk}", follow=True)
    assert week.redirect_chain == [(f"/bookings/{booking.pk}/", 302)]
    assert "already been moved or cancelled" in messages_of(week)
    assert f'href="/bookings/{new.pk}/"' in week.content.decode()
    stale = confirm_url(private, local(WED, 14), reschedule=booking.pk)
    assert client.get(stale)["Location"] == f"/bookings/{booking.pk}/"


def test_moving_offers_other_times_but_not_the_visits_own(
    private: Service, booking: Booking, patient: User
) -> None:
    """The week of a move showed the visit's own time as free (its place is freed for
    overlapping times); picking it "moved" the visit onto itself and emailed the patient."""
    client = client_for(patient)
    week = client.get(f"/book/{private.slug}/times/?reschedule={booking.pk}&week={WED}")
    content = week.content.decode()
    assert f'data-start="{local(WED, 9).isoformat()}"' not in content
    assert f'data-start="{local(WED, 9, 30).isoformat()}"' in content  # overlaps it: offered
    response = post_confirm(client, private, local(WED, 9), query={"reschedule": booking.pk})
    assert "already at that time" in messages_of(response)
    assert list(Booking.objects.values_list("pk", "status")) == [(booking.pk, "confirmed")]


def test_moving_to_a_taken_time_keeps_the_old_visit(
    private: Service, booking: Booking, patient: User, other_patient: User
) -> None:
    book(other_patient, private, local(WED, 13), now=NOW)
    response = post_confirm(
        client_for(patient), private, local(WED, 13), query={"reschedule": booking.pk}
    )
    assert response.status_code == 200
    assert response.context["alternatives"]
    booking.refresh_from_db()
    assert (booking.status, booking.starts_at) == ("confirmed", local(WED, 9))
    assert Booking.objects.count() == 2


def test_my_bookings_queries_do_not_grow_with_bookings(
    private: Service, patient: User, django_assert_max_num_queries
) -> None:
    client = client_for(patient)
    book(patient, private, local(WED, 9), now=NOW)
    with django_assert_max_num_queries(20) as one:
        client.get("/bookings/")
    for week in range(1, 8):
        book(patient, private, local(WED + timedelta(weeks=week), 9), now=NOW)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get("/bookings/")
    assert response.content.decode().count("/bookings/") >= 8


def test_week_page_queries_do_not_grow_with_bookings(
    private: Service, patient: User, django_assert_max_num_queries
) -> None:
    client = client_for(patient)
    with django_assert_max_num_queries(25) as empty:
        client.get(f"/book/{private.slug}/times/")
    for hour in (9, 13, 15):
        book(PatientFactory.create(), private, local(WED, hour), now=NOW)
    with django_assert_max_num_queries(len(empty.captured_queries)):
        client.get(f"/book/{private.slug}/times/")


@pytest.mark.parametrize("setup", ["nobody bookable", "multibed without a shift"])
def test_a_service_with_nothing_to_offer_shows_an_empty_week_not_an_error(
    request, setup: str, patient: User, mei: Practitioner
) -> None:
    if setup == "nobody bookable":
        service = request.getfixturevalue("private")
        mei.is_bookable = False
        mei.save()
    else:
        service = request.getfixturevalue("multibed")  # no shift runs it yet
    page = client_for(patient).get(f"/book/{service.slug}/times/?week={WED.isoformat()}")
    assert page.status_code == 200
    assert 'class="slot"' not in page.content.decode()
    assert page.content.decode().count("No open times") == 7
