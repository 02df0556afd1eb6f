from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any, ClassVar

from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.forms.utils import pretty_name
from django.http import HttpRequest
from django.utils import timezone

from portal.names import one_line_name as one_line_name  # the forms' validator, re-exported
from portal.params import EARLIEST, LATEST
from portal.phones import phone_field

# Shown for a hidden field the page itself fills in: the person did nothing wrong.
OUT_OF_DATE = "This page was out of date. Please go back and try again."
# The error keys a person can meet, each filled in below when a field still has Django's text.
# The browser's own date and time pickers; they read and send ISO values whatever the locale.
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")

FRIENDLY_KEYS = (
    "required",
    "invalid",
    "invalid_choice",
    "invalid_list",
    "max_length",
    "min_length",
    "min_value",
    "max_value",
    "step_size",
    "null_characters_not_allowed",
    "incomplete",
)


def django_default_messages(field: forms.Field) -> dict[str, str]:
    """The messages Django gives ``field``'s class when the form sets none."""
    messages: dict[str, str] = {}
    for cls in reversed(type(field).__mro__):
        messages.update(
            {key: str(text) for key, text in getattr(cls, "default_error_messages", {}).items()}
        )
    return messages


def _range(low: Any, high: Any) -> str:
    if low is not None and high is not None:
        return f"a number from {low} to {high}"
    return f"{low} or more" if low is not None else f"{high} or less"


def _required(field: forms.Field, name: str) -> str:
    if isinstance(field, forms.BooleanField):
        return f"Please tick “{name}” to go on."
    if isinstance(field, forms.MultipleChoiceField):
        return f"Please tick at least one answer for “{name}”."
    if isinstance(field, forms.ChoiceField):
        return f"Please choose an answer for “{name}”."
    if isinstance(field, forms.DateTimeField):
        return f"Please enter a date and time for “{name}”."
    if isinstance(field, forms.DateField):
        return f"Please enter a date for “{name}”, for example 21/03/2027."
    if isinstance(field, forms.TimeField):
        return f"Please enter a time for “{name}”, for example 09:30."
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return f"Please enter a number for “{name}”."
    if isinstance(field, forms.EmailField):
        return f"Please enter an email address for “{name}”."
    return f"Please fill in “{name}”."


def _invalid(field: forms.Field, name: str) -> str | None:
    if isinstance(field, forms.DateTimeField):
        return f"Please enter a real date and time for “{name}”, for example 21/03/2027 09:30."
    if isinstance(field, forms.DateField):
        return f"Please enter a real date for “{name}”, for example 21/03/2027."
    if isinstance(field, forms.TimeField):
        return f"Please enter a time for “{name}”, for example 09:30."
    # Before IntegerField: Django derives both from it.
    if isinstance(field, forms.DecimalField | forms.FloatField):
        return f"Please enter a number for “{name}”, for example 12.50."
    if isinstance(field, forms.IntegerField):
        low, high = field.min_value, field.max_value
        if low is None and high is None:
            return f"Please enter a whole number for “{name}”, for example 12."
        return f"Please enter a whole number for “{name}”: {_range(low, high)}."
    if isinstance(field, forms.EmailField):
        return f"Please enter an email address like name@example.com for “{name}”."
    if isinstance(field, forms.UUIDField | forms.URLField | forms.SlugField):
        return f"Please check “{name}”: it could not be read."
    return None


def _bounds(field: forms.Field, bounds: Sequence[Any]) -> tuple[Any, Any]:
    """The lowest and highest values ``field`` takes, its model field's validators included
    (a ModelForm's field does not carry them, yet their refusals take its messages)."""
    lows = [v.limit_value for v in bounds if isinstance(v, MinValueValidator)]
    highs = [v.limit_value for v in bounds if isinstance(v, MaxValueValidator)]
    low, high = getattr(field, "min_value", None), getattr(field, "max_value", None)
    lows += [low] if low is not None else []
    highs += [high] if high is not None else []
    return (max(lows) if lows else None, min(highs) if highs else None)


def _own_words(bounds: Sequence[Any], key: str) -> str | None:
    """A bound's own refusal ("At most 240 minutes (4 hours): urgent means today."), kept."""
    for validator in bounds:
        if validator.code == key and str(validator.message) != str(type(validator).message):
            return str(validator.message)
    return None


def _friendly(field: forms.Field, name: str, key: str, bounds: Sequence[Any] = ()) -> str | None:
    """The message for ``key`` on ``field`` (labelled ``name``); None when it cannot occur."""
    if isinstance(field, forms.SplitDateTimeField) and key in ("required", "invalid"):
        return f"Please enter a date and a time for “{name}”."
    if key == "incomplete" and isinstance(field, forms.MultiValueField):
        return f"Please fill in every part of “{name}”."
    if key == "required":
        return _required(field, name)
    if key == "invalid":
        return _invalid(field, name)
    if key in ("invalid_choice", "invalid_list") and isinstance(field, forms.ChoiceField):
        return f"Please choose one of the answers offered for “{name}”."
    length = getattr(field, "max_length", None)
    if key == "max_length" and length is not None:
        return f"Please shorten “{name}” to %(limit_value)d characters (it has %(show_value)d)."
    if key == "min_length" and getattr(field, "min_length", None) is not None:
        return f"Please write at least %(limit_value)d characters for “{name}”."
    if key in ("min_value", "max_value") and isinstance(field, forms.IntegerField):
        low, high = _bounds(field, bounds)
        if low is None and high is None:
            return None
        return f"Please enter {_range(low, high)} for “{name}”."
    if key == "step_size" and getattr(field, "step_size", None) is not None:
        return f"Please enter a multiple of %(limit_value)s for “{name}”."
    if key == "null_characters_not_allowed" and isinstance(field, forms.CharField):
        return f"“{name}” holds a character we cannot save. Please type it again."
    return None


def friendly_messages(fields: Iterable[tuple[str, forms.Field]], *, model: Any = None) -> None:
    """Replace Django's stock error messages ("This field is required.") by ones that name the
    field and say what to do; a message a form already chose is kept, and so are the words a
    ``model``'s bound gives its refusal."""
    for field_name, field in fields:
        label = str(field.label or pretty_name(field_name)).strip().rstrip(":")
        _fill(field, label, _model_bounds(model, field_name))


def _model_bounds(model: Any, name: str) -> list[Any]:
    # A ModelForm maps the model's refusals to its field's message for their code.
    if model is None:
        return []
    try:
        validators = model._meta.get_field(name).validators
    except FieldDoesNotExist:
        return []
    return [v for v in validators if isinstance(v, MinValueValidator | MaxValueValidator)]


def _fill(field: forms.Field, name: str, bounds: Sequence[Any] = ()) -> None:
    stock = django_default_messages(field)
    bounds = [
        *bounds,
        *(v for v in field.validators if isinstance(v, MinValueValidator | MaxValueValidator)),
    ]
    for key in FRIENDLY_KEYS:
        current = field.error_messages.get(key)
        if current is not None and str(current) != stock.get(key):
            continue
        message = (
            OUT_OF_DATE
            if field.widget.is_hidden
            else _own_words(bounds, key) or _friendly(field, name, key, bounds)
        )
        if message is not None:
            field.error_messages[key] = message
    if isinstance(field, forms.MultiValueField):
        # Its parts (a date and a time) answer in the whole field's name.
        for part in field.fields:
            _fill(part, name)


class FriendlyErrors(forms.BaseForm):
    """Every form a person submits derives from this (``forms.Form`` under it): bad input is
    answered with a message naming the field and what to do, never "This field is required."."""

    # "Required" messages for fields the form inherits and cannot declare (allauth's).
    required_messages: ClassVar[dict[str, str]] = {}

    def full_clean(self) -> None:
        # Here rather than in __init__: some forms add their fields after it (the
        # questionnaire's sections, the booking query, allauth's sign-up).
        for name, message in self.required_messages.items():
            if name in self.fields:
                self.fields[name].error_messages["required"] = message
        meta = getattr(self, "_meta", None)
        friendly_messages(self.fields.items(), model=getattr(meta, "model", None))
        super().full_clean()


class FriendlyForm(FriendlyErrors, forms.Form):
    """A plain form with the portal's messages (see ``FriendlyErrors``)."""


class SignupDetailsForm(FriendlyForm):
    """The fields a clinic needs beyond email and password, added to allauth's sign-up."""

    required_messages: ClassVar[dict[str, str]] = {
        "email": "Please enter your email address, for example name@example.com.",
        "password1": "Please choose a password.",
        "password2": "Please type the password again.",
    }

    first_name = forms.CharField(
        max_length=80,
        label="First name",
        error_messages={"required": "Please enter your first name."},
        validators=[one_line_name],
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        max_length=80,
        label="Last name",
        error_messages={"required": "Please enter your last name."},
        validators=[one_line_name],
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    phone = phone_field(
        label="Phone (optional)",
        help_text="So the clinic can reach you if a visit has to move.",
    )

    field_order = ["first_name", "last_name", "email", "phone", "password1", "password2"]

    def signup(self, request: HttpRequest, user: Any) -> None:
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.phone = self.cleaned_data.get("phone") or ""
        user.save()


class AuditFilterForm(FriendlyForm):
    """The owner's filters on the audit trail (all optional; read from the query string)."""

    action = forms.ChoiceField(required=False, label="Action")
    person = forms.CharField(
        required=False,
        max_length=100,
        label="Person",
        help_text="Who acted or whom it concerns: part of an email or a name.",
    )
    since = forms.DateField(required=False, label="From", widget=forms.DateInput({"type": "date"}))
    until = forms.DateField(required=False, label="To", widget=forms.DateInput({"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from portal.audit import AuditAction

        super().__init__(*args, **kwargs)
        action = self.fields["action"]
        assert isinstance(action, forms.ChoiceField)
        action.choices = [("", "Any action"), *AuditAction.choices]

    def clean_since(self) -> date | None:
        return _within_calendar(self.cleaned_data.get("since"))

    def clean_until(self) -> date | None:
        return _within_calendar(self.cleaned_data.get("until"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The 'From' date is after the 'To' date.")
        return data


def _within_calendar(day: date | None) -> date | None:
    # 31/12/9999 is a date, but the day after it (the end of the range) is not.
    if day is not None and not EARLIEST <= day <= LATEST:
        raise forms.ValidationError(
            f"Please enter a date between {EARLIEST.year} and {LATEST.year}, for example "
            f"{timezone.localdate():%d/%m/%Y}."
        )
    return day


def date_of_birth_problem(born: date) -> str | None:
    """What is wrong with a date of birth the team typed, if anything."""
    today = timezone.localdate()
    if born > today:
        return "The date of birth cannot be in the future."
    if born.year < today.year - 120:
        return "Check the year: that would make them over 120."
    return None


class DeskPatientForm(FriendlyForm):
    """The front desk adds a caller: who they are and how to reach them (email optional)."""

    first_name = forms.CharField(
        max_length=80,
        label="First name",
        error_messages={"required": "Enter the caller's first name."},
        validators=[one_line_name],
    )
    last_name = forms.CharField(
        max_length=80,
        label="Last name",
        error_messages={"required": "Enter the caller's last name."},
        validators=[one_line_name],
    )
    phone = phone_field(required=True, label="Phone")
    email = forms.EmailField(
        required=False,
        label="Email",
        help_text="Leave empty if they have none: nothing will be emailed to them, so tell them "
        "their visit details on the phone.",
        error_messages={
            "invalid": "Enter an email address like name@example.com, or leave it empty."
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    date_of_birth = forms.DateField(
        label="Date of birth",
        widget=DATE_INPUT,
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"],
        error_messages={
            "required": "Enter the caller's date of birth.",
            "invalid": "Enter a real date, for example 21/03/1978.",
        },
    )

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        problem = date_of_birth_problem(born)
        if problem:
            raise forms.ValidationError(problem)
        return born


class PatientDetailsForm(FriendlyForm):
    """A patient changes their own name and phone (email and password have allauth's pages)."""

    first_name = forms.CharField(
        max_length=80,
        label="First name",
        error_messages={"required": "Enter your first name."},
        validators=[one_line_name],
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        max_length=80,
        label="Last name",
        error_messages={"required": "Enter your last name."},
        validators=[one_line_name],
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    phone = phone_field(
        label="Phone",
        help_text="So the clinic can reach you if a visit has to move.",
    )


def id_list(rows: Iterable[Any]) -> str:
    """The hidden field's value for ``rows`` ("12,15,31"), as ``IdListField`` reads it."""
    return ",".join(str(row.pk) for row in rows)


class IdListField(forms.CharField):
    """The rows a confirmation page showed (the visits it would cancel), carried in a hidden
    field as "12,15,31" (``id_list``); read back as a list of ids."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(required=False, **kwargs)

    def to_python(self, value: Any) -> list[int]:  # type: ignore[override]
        raw = super().to_python(value) or ""
        parts = [part.strip() for part in raw.split(",") if part.strip()]
        # ASCII digits only: int() would also take "١٢" or "+1", which no page ever wrote.
        readable = len(parts) <= 1000 and all(
            part.isascii() and part.isdigit() and len(part) <= 18 for part in parts
        )
        if not readable:
            raise forms.ValidationError("The list of visits could not be read.")
        return [int(part) for part in parts]
