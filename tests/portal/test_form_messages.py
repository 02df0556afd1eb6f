"""Every form a person can submit answers bad input in the portal's words: which field, and what
to do. The walk finds the project's form classes itself (and allauth's and the admin's forms as
the portal configures them), so a new form with Django's bare "This field is required." fails
here."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from allauth.account.forms import SignupForm
from allauth.core import context
from allauth.utils import get_form_class
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.sessions.backends.cache import SessionStore
from django.forms import modelform_factory
from django.test import RequestFactory
from django.utils import timezone

from booking.models import Booking, Service
from intake.questionnaire import QUESTIONNAIRES
from portal.forms import FriendlyErrors
from portal.models import Clinic, User

PROJECT_APPS = ("booking", "intake", "payments", "followup", "practice", "portal")
# Django's own wording, whatever the field's class or the limit in the message.
STOCK = (
    "This field is required.",
    "Enter a valid",
    "Enter a whole number.",
    "Enter a number.",
    "Enter a list of values.",
    "Select a valid choice",
    "Ensure this value",
    "Null characters are not allowed.",
)
# A value that is wrong for every kind of field: a NUL byte (text), not a date, a number or a
# choice; and one far too long for any box.
JUNK = "\x00 not-a-value"
TOO_LONG = "9" * 30_000


def _project_form_classes() -> set[type[forms.BaseForm]]:
    for app in PROJECT_APPS:
        package = importlib.import_module(app)
        for info in pkgutil.walk_packages(package.__path__, f"{app}."):
            if ".migrations" in info.name or info.name.endswith(("wsgi", "asgi")):
                continue
            importlib.import_module(info.name)
    found: set[type[forms.BaseForm]] = set()
    todo = [forms.BaseForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.split(".")[0] in PROJECT_APPS and sub is not FriendlyErrors:
                found.add(sub)
    return found


def _allauth_form_classes() -> set[type[forms.BaseForm]]:
    named = {*settings.ACCOUNT_FORMS.values(), *settings.MFA_FORMS.values()}
    classes = {get_form_class({"x": path}, "x", None) for path in named}
    return {*classes, SignupForm}


@contextmanager
def _request(user: Any) -> Iterator[Any]:
    request = RequestFactory().post("/")
    request.user = user
    request.session = SessionStore()
    with context.request_context(request):
        yield request


def _factories(user: User, clinic: Clinic, service: Service) -> dict[str, Callable[..., Any]]:
    """How to build the forms whose constructor needs more than the posted data, by name."""
    london = ZoneInfo("Europe/London")
    now = timezone.now()
    return {
        "WaitlistJoinForm": lambda data: [("", lambda c: c(data, service=service))],
        "OfferByHandForm": lambda data: [("", lambda c: c(data, times=[("a", "10:00")]))],
        "TimeOffForm": lambda data: [("", lambda c: c(data, tz=london, now=now))],
        "TimeOffDecisionForm": lambda data: [("", lambda c: c(data, tz=london, now=now))],
        "ExceptionForm": lambda data: [("", lambda c: c(data, today=date(2027, 3, 1)))],
        "RectifyForm": lambda data: [("", lambda c: c(data, patient=user))],
        "DeskExportForm": lambda data: [("", lambda c: c(data, clinic=clinic))],
        "InviteForm": lambda data: [("", lambda c: c(data, clinic=clinic))],
        "DiaryForm": lambda data: [("", lambda c: c(data, patient=user))],
        "BookingQueryForm": lambda data: [("", lambda c: c(data))],
        "ClinicPaymentForm": lambda data: [
            ("", lambda c: c(data, booking=Booking(service=service, price_minor=5000)))
        ],
        # The admin supplies its model (``ModelAdmin.get_form``).
        "ServiceAdminForm": lambda data: [
            ("", lambda c: modelform_factory(Service, form=c, exclude=("clinic",))(data))
        ],
        "SectionForm": lambda data: [
            (f"{q.kind} v{q.version} {s.slug}", lambda c, s=s: c(data, section=s))
            for q in QUESTIONNAIRES.values()
            for s in q.sections
        ],
        # allauth's, as ACCOUNT_FORMS and MFA_FORMS name them.
        "LoginForm": lambda data: [("", lambda c: c(data, request=context.request))],
        "ResetPasswordKeyForm": lambda data: [("", lambda c: c(data, user=user, temp_key="k"))],
        "ChangePasswordForm": lambda data: [("", lambda c: c(user=user, data=data))],
        "SetPasswordForm": lambda data: [("", lambda c: c(user=user, data=data))],
        "AddEmailForm": lambda data: [("", lambda c: c(user=user, data=data))],
        "ReauthenticateForm": lambda data: [("", lambda c: c(data, user=user))],
        "AuthenticateForm": lambda data: [("", lambda c: c(data, user=user))],
        "ReauthenticateCodeForm": lambda data: [("", lambda c: c(data, user=user))],
        "ActivateTOTPForm": lambda data: [("", lambda c: c(data, user=user))],
        "DeactivateTOTPForm": lambda data: [("", lambda c: c(data, authenticator=None))],
        "GenerateRecoveryCodesForm": lambda data: [("", lambda c: c(data, user=user))],
    }


def _stock(message: str) -> bool:
    return any(message.startswith(text) for text in STOCK)


def _problems(label: str, form: forms.BaseForm) -> list[str]:
    """Each field message (or error shown) still in Django's words."""
    problems = []
    for name, field in form.fields.items():
        for key in ("required", "invalid", "invalid_choice"):
            message = field.error_messages.get(key)
            if message is not None and _stock(str(message)):
                problems.append(f"{label}: {name} {key}: {message}")
    for name, errors in form.errors.items():
        problems += [f"{label}: {name} says {e!r}" for e in errors if _stock(str(e))]
    return problems


def _posted(form: forms.BaseForm, value: str) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name, field in form.fields.items():
        if isinstance(field, forms.ModelChoiceField) and "\x00" in value:
            # Django checks a chosen row's id for NUL bytes before the choice, in its own words
            # (not a field message); a list of names offers no way to type one.
            continue
        if isinstance(field, forms.MultiValueField):
            data.update({f"{name}_{i}": value for i in range(len(field.fields))})
        else:
            data[name] = [value] if isinstance(field, forms.MultipleChoiceField) else value
    return data


@pytest.fixture
def form_context(clinic: Clinic) -> tuple[User, Clinic, Service]:
    from tests.booking.factories import ServiceFactory
    from tests.factories import UserFactory

    user = UserFactory.create(email="walker@example.com")
    return user, clinic, ServiceFactory.create(clinic=clinic)


@pytest.mark.django_db
def test_every_form_a_person_submits_names_the_field_and_what_to_do(
    form_context: tuple[User, Clinic, Service],
) -> None:
    user, clinic, service = form_context
    factories = _factories(user, clinic, service)
    classes = _project_form_classes() | _allauth_form_classes()
    problems: list[str] = []
    unbuildable: list[str] = []
    with _request(user):
        for cls in sorted(classes, key=lambda c: f"{c.__module__}.{c.__qualname__}"):
            if not issubclass(cls, FriendlyErrors):
                problems.append(f"{cls.__module__}.{cls.__name__} is not a FriendlyErrors form")
                continue
            make = factories.get(cls.__name__, lambda data: [("", lambda c: c(data))])
            try:
                variants = make({})
                empties = [(label, build(cls)) for label, build in variants]
            except Exception as exc:  # pragma: no cover - the message says what to do
                unbuildable.append(f"{cls.__name__} ({exc!r}): add it to _factories")
                continue
            for label, form in empties:
                name = f"{cls.__name__} {label}".strip()
                form.is_valid()
                problems += _problems(f"{name} (empty)", form)
                for value in (JUNK, TOO_LONG):
                    for _, build in make(_posted(form, value)):
                        bad = build(cls)
                        bad.is_valid()
                        problems += _problems(f"{name} ({value[:6]!r}...)", bad)
    assert not unbuildable, unbuildable
    assert not problems, "\n".join(problems)
    # The walk found the forms this test was written against (and so is not walking nothing).
    names = {c.__name__ for c in classes}
    assert {"TimeOffForm", "TreatmentRecordForm", "DeskPatientForm", "SectionForm"} <= names
    assert {"LoginForm", "SignupForm", "CheckInForm", "FeeReductionDecisionForm"} <= names


@pytest.mark.django_db
def test_every_admin_form_names_the_field_and_what_to_do(owner: User) -> None:
    request = RequestFactory().get("/admin/")
    request.user = owner
    problems: list[str] = []
    for model, model_admin in admin.site._registry.items():
        forms_of = [model_admin.get_form(request)]
        forms_of += [
            inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)
        ]
        for form_class in forms_of:
            if not issubclass(form_class, FriendlyErrors):
                problems.append(f"{model.__name__}: {form_class.__name__} is not FriendlyErrors")
                continue
            for value in ("", JUNK, TOO_LONG):
                empty = form_class({})
                form = form_class(_posted(empty, value) if value else {})
                form.is_valid()
                problems += _problems(f"admin {model.__name__} {value[:6]!r}", form)
    assert not problems, "\n".join(problems)


def test_the_time_off_form_says_what_to_enter() -> None:
    from practice.forms import TimeOffForm

    form = TimeOffForm({}, tz=ZoneInfo("Europe/London"), now=timezone.now())
    assert not form.is_valid()
    assert form.errors["start_date"] == ["Please enter the date the time off starts."]
    assert form.errors["end_date"] == ["Please enter the date the time off ends."]


def test_a_label_names_the_field_when_the_form_chose_no_words() -> None:
    from practice.privacy_forms import DecisionForm

    form = DecisionForm({"decision": ""})
    assert not form.is_valid()
    assert form.errors["decision"] == [
        "Please fill in “Your decision, as you will explain it to the patient”."
    ]


def test_a_message_the_form_chose_is_kept() -> None:
    from practice.forms import TreatmentRecordForm

    form = TreatmentRecordForm({"needle_count": "lots"})
    form.is_valid()
    assert form.errors["needle_count"] == ["Enter a whole number of needles, such as 8."]
    assert form.errors["depth"] == ["Choose how deep you needled."]


def test_a_person_never_sees_a_hidden_fields_label() -> None:
    from booking.forms import ConfirmBookingForm

    form = ConfirmBookingForm({"request_key": "not-a-uuid"})
    form.is_valid()
    assert form.errors["start"] == ["This page was out of date. Please go back and try again."]
    assert form.errors["request_key"] == [
        "This page was out of date. Please go back and try again."
    ]


@pytest.mark.django_db
def test_the_login_page_says_what_is_missing(client: Any) -> None:
    response = client.post("/accounts/login/", {"login": "", "password": ""})
    assert "Please enter your email address" in response.content.decode()
    assert "This field is required." not in response.content.decode()
