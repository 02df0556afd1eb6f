"""The front desk adds a caller (no admin, no password), refuses a second account, and the
portal sends nothing to a caller without an email address."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from followup import outbox
from followup.models import MessageKind, OutboxMessage, OutboxStatus
from portal import messaging
from portal.audit import AuditAction
from portal.forms import DeskPatientForm
from portal.models import NO_EMAIL_DOMAIN, AuditEvent, Clinic, Role, User
from portal.patients import AlreadyRegistered, NewCaller, desk_add_patient
from tests.conftest import client_for
from tests.factories import UserFactory

URL = "/desk/callers/new/"


def _form_data(**overrides: str) -> dict[str, str]:
    data = {
        "first_name": "Mair",
        "last_name": "Owen",
        "phone": "07700 900321",
        "email": "",
        "date_of_birth": "1948-02-14",
    }
    data.update(overrides)
    return data


def _caller(**overrides: object) -> NewCaller:
    values: dict[str, object] = {
        "first_name": "Mair",
        "last_name": "Owen",
        "phone": "+447700900321",
        "date_of_birth": date(1948, 2, 14),
        "email": "",
    }
    values.update(overrides)
    return NewCaller(**values)  # type: ignore[arg-type]


# --- The form -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_form_accepts_a_caller_without_email_and_normalises_the_phone() -> None:
    form = DeskPatientForm(_form_data())
    assert form.is_valid(), form.errors
    assert form.cleaned_data["phone"] == "+447700900321"
    assert form.cleaned_data["email"] == ""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("phone", "12345", "Enter a real phone number"),
        ("phone", "", "Enter a phone number"),
        ("first_name", "", "first name"),
        ("date_of_birth", "", "date of birth"),
        ("date_of_birth", "31/02/1980", "real date"),
        ("email", "not-an-email", "email address like"),
    ],
)
def test_form_refuses_bad_input_with_a_friendly_message(
    field: str, value: str, message: str
) -> None:
    form = DeskPatientForm(_form_data(**{field: value}))
    assert not form.is_valid()
    assert message in " ".join(str(e) for e in form.errors[field])


@pytest.mark.django_db
def test_form_refuses_a_birth_date_in_the_future() -> None:
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    form = DeskPatientForm(_form_data(date_of_birth=tomorrow))
    assert not form.is_valid()
    assert "future" in form.errors["date_of_birth"][0]


# --- The service ----------------------------------------------------------------------------


def test_adds_a_patient_without_email_or_password_and_audits_it(
    front_desk: User, clinic: Clinic
) -> None:
    patient = desk_add_patient(by=front_desk, caller=_caller())

    assert patient.role == Role.PATIENT and patient.clinic == clinic
    assert patient.email.endswith("@" + NO_EMAIL_DOMAIN)
    assert not patient.has_email and patient.contact_email == ""
    assert not patient.has_usable_password()
    assert patient.phone == "+447700900321"
    assert patient.date_of_birth == date(1948, 2, 14)
    assert not EmailAddress.objects.filter(user=patient).exists()
    event = AuditEvent.objects.get(action=AuditAction.PATIENT_ADDED_BY_DESK)
    assert (event.actor, event.subject, event.detail) == (front_desk, patient, {"has_email": False})


def test_with_an_email_they_can_set_a_password_through_forgot_password(
    front_desk: User, client
) -> None:
    patient = desk_add_patient(by=front_desk, caller=_caller(email="Mair.Owen@Example.com"))
    assert patient.email == "mair.owen@example.com" and patient.has_email
    assert EmailAddress.objects.get(user=patient).verified is False

    response = client.post(reverse("account_reset_password"), {"email": "mair.owen@example.com"})

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["mair.owen@example.com"]]


def test_two_callers_without_email_get_separate_accounts(front_desk: User) -> None:
    one = desk_add_patient(by=front_desk, caller=_caller())
    two = desk_add_patient(by=front_desk, caller=_caller(first_name="Gwen"))
    assert one.pk != two.pk and one.email != two.email


def test_refuses_the_same_email_and_offers_the_existing_patient(
    front_desk: User, patient: User
) -> None:
    with pytest.raises(AlreadyRegistered) as refused:
        desk_add_patient(by=front_desk, caller=_caller(email=patient.email.upper()))
    assert refused.value.patient == patient
    assert refused.value.why == "the same email address"
    assert User.objects.filter(role=Role.PATIENT).count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.PATIENT_ADDED_BY_DESK).exists()


def test_refuses_the_same_name_and_date_of_birth(front_desk: User) -> None:
    first = desk_add_patient(by=front_desk, caller=_caller())
    with pytest.raises(AlreadyRegistered) as refused:
        desk_add_patient(
            by=front_desk,
            caller=_caller(first_name=" mair ", last_name="OWEN", phone="01174960000"),
        )
    assert refused.value.patient == first
    assert refused.value.why == "the same name and date of birth"


def test_same_name_but_another_birthday_is_another_person(front_desk: User) -> None:
    desk_add_patient(by=front_desk, caller=_caller())
    other = desk_add_patient(by=front_desk, caller=_caller(date_of_birth=date(1950, 1, 1)))
    assert other.date_of_birth == date(1950, 1, 1)


# --- Nothing is emailed to a patient without an address ------------------------------------


def test_the_outbox_skips_a_patient_without_email_and_says_why(front_desk: User) -> None:
    patient = desk_add_patient(by=front_desk, caller=_caller())
    row, _ = messaging.outbox_put(
        kind=MessageKind.DATA_EXPORT,
        to_user=patient,
        due_at=timezone.now(),
        dedupe_key="x",
        send_now=False,
    )

    assert outbox.deliver(row.pk) == "skipped"

    row.refresh_from_db()
    assert row.status == OutboxStatus.SKIPPED
    assert "No email address" in row.last_error
    assert mail.outbox == []


def test_fee_reduction_email_is_not_sent_without_an_address(front_desk: User) -> None:
    from payments.models import FeeReduction
    from payments.tasks import send_fee_reduction_email

    patient = desk_add_patient(by=front_desk, caller=_caller())
    reduction = FeeReduction.objects.create(
        clinic=Clinic.objects.current(),
        patient=patient,
        reason="x",
        status="approved",
        floor_minor=1000,
    )
    send_fee_reduction_email.run(reduction.pk)
    assert mail.outbox == []
    # The row is put, then skipped when sent: nothing can reach someone without an address.
    assert not OutboxMessage.objects.filter(status="sent").exists()


# --- The page -------------------------------------------------------------------------------


def test_desk_adds_a_caller_and_goes_straight_on_to_book_for_them(front_desk: User) -> None:
    desk = client_for(front_desk)

    response = desk.post(URL, _form_data())

    patient = User.objects.get(first_name="Mair")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('booking:services')}?for={patient.pk}"
    shown = [str(m) for m in response.wsgi_request._messages]  # type: ignore[attr-defined]
    assert any("no email address" in m for m in shown)


def test_a_duplicate_shows_the_existing_patient_and_keeps_what_was_typed(
    front_desk: User, patient: User
) -> None:
    desk = client_for(front_desk)

    response = desk.post(URL, _form_data(email=patient.email, first_name="Typed"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Already registered" in body
    assert f"?for={patient.pk}" in body
    assert 'value="Typed"' in body
    assert User.objects.filter(role=Role.PATIENT).count() == 1


def test_bad_input_shows_the_error_summary_and_keeps_the_answers(front_desk: User) -> None:
    response = client_for(front_desk).post(URL, _form_data(phone="0123"))
    body = response.content.decode()
    assert response.status_code == 400
    assert "There is a problem" in body and "Enter a real phone number" in body
    assert 'value="Mair"' in body


def test_the_search_prefills_the_form(front_desk: User) -> None:
    body = client_for(front_desk).get(URL, {"q": "07700 900555"}).content.decode()
    assert 'value="07700 900555"' in body


def _prefilled(body: str) -> dict[str, str]:
    """The add-caller form's inputs that hold a value, by name."""
    values = {}
    for tag in re.findall(r"<input[^>]*>", body):
        name, value = re.search(r'name="(\w+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name and value and name[1] != "csrfmiddlewaretoken":
            values[name[1]] = html.unescape(value[1])
    return values


@pytest.mark.parametrize(
    ("searched", "prefilled"),
    [
        ("Mair Owen", {"first_name": "Mair", "last_name": "Owen"}),
        ("Owen, Mair", {"first_name": "Mair", "last_name": "Owen"}),
        ("Mary Ann  Jones", {"first_name": "Mary Ann", "last_name": "Jones"}),
        ("Mair", {"first_name": "Mair"}),
        ("mair.owen@example.com", {"email": "mair.owen@example.com"}),
        ("07700 900555", {"phone": "07700 900555"}),
        # A whole number shows as the UK dials it, as on every page.
        ("+44 7700 900555", {"phone": "07700 900555"}),
        # Part of a number is still a number: it goes where the desk will finish typing it.
        ("900555", {"phone": "900555"}),
        ("(01632) 960-001", {"phone": "01632 960001"}),
        ("14/02/1948", {"date_of_birth": "1948-02-14"}),
        ("1948-02-14", {"date_of_birth": "1948-02-14"}),
        ("31/02/1948", {"first_name": "31/02/1948"}),
        ("", {}),
    ],
)
def test_what_the_desk_searched_for_lands_in_its_own_field(
    front_desk: User, searched: str, prefilled: dict[str, str]
) -> None:
    body = client_for(front_desk).get(URL, {"q": searched}).content.decode()
    assert _prefilled(body) == prefilled


def test_no_match_offers_to_add_the_caller_with_what_was_searched(front_desk: User) -> None:
    desk = client_for(front_desk)
    search = desk.get(reverse("booking:book_for_patient"), {"q": "07700 900556"})
    body = search.content.decode()
    assert "No patient matches" in body
    links = set(re.findall(r'href="(/desk/callers/new/[^"]*)"', body))
    # Both ways in ("Someone new?" above the results, and the empty state's button) carry it.
    assert links == {"/desk/callers/new/?q=07700%20900556"}
    form = desk.get(html.unescape(links.pop())).content.decode()
    assert _prefilled(form) == {"phone": "07700 900556"}


def test_practitioners_and_patients_cannot_add_callers(practitioner: User, patient: User) -> None:
    assert client_for(practitioner).post(URL, _form_data()).status_code == 403
    assert client_for(patient).post(URL, _form_data()).status_code == 403
    assert not User.objects.filter(first_name="Mair").exists()


def test_the_caller_search_finds_a_number_typed_the_uk_way(front_desk: User) -> None:
    UserFactory.create(first_name="Nia", phone="+447700900999")
    body = (
        client_for(front_desk)
        .get(reverse("booking:book_for_patient"), {"q": "07700 900999"})
        .content.decode()
    )
    assert "Nia" in body
