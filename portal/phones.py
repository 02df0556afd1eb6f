"""Phone numbers: one form field for every page that asks for one, and the parsing the desk's
search and the questionnaire's prefill share (UK by default: ``PHONENUMBER_DEFAULT_REGION``)."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from phonenumber_field.formfields import PhoneNumberField
from phonenumber_field.modelfields import PhoneNumberField as ModelPhoneNumberField
from phonenumber_field.phonenumber import PhoneNumber, to_python
from phonenumber_field.widgets import RegionalPhoneNumberWidget

INVALID_PHONE = (
    "Enter a real phone number, for example 07700 900123, or one from abroad starting with +."
)

# Ofcom keeps 07700 900000-900999 for drama and tests, so the demo and the tests never ring a
# real person; libphonenumber calls that range invalid, the portal accepts it.
_FICTIONAL_UK_MOBILES = "7700900"


def usable(number: object) -> bool:
    """Whether ``number`` (a parsed ``PhoneNumber``) is a real number, or Ofcom's fictional one."""
    if not isinstance(number, phonenumbers.PhoneNumber) or not number.national_number:
        return False
    if phonenumbers.is_valid_number(number):
        return True
    national = str(number.national_number)
    return (
        number.country_code == 44
        and national.startswith(_FICTIONAL_UK_MOBILES)
        and len(national) == 10
    )


def _check(value: object) -> None:
    if value and not usable(value):
        raise ValidationError(INVALID_PHONE, code="invalid")


class PortalPhoneField(PhoneNumberField):
    """Cleans to the stored form, E.164 ("+447700900123"), or "" when left empty."""

    default_validators = [_check]

    def clean(self, value: Any) -> str:
        number = super().clean(value)
        return str(number.as_e164) if number else ""


def phone_field(*, required: bool = False, label: str = "Phone", **kwargs: Any) -> PortalPhoneField:
    """A form field that accepts a number as people type it."""
    return PortalPhoneField(
        required=required,
        label=label,
        widget=RegionalPhoneNumberWidget(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        error_messages={
            "invalid": INVALID_PHONE,
            "required": "Enter a phone number so the clinic can call.",
        },
        **kwargs,
    )


def parse_phone(text: str) -> PhoneNumber | None:
    """``text`` as a usable phone number, or None when it is not one."""
    text = (str(text) if text else "").strip()
    if not text:
        return None
    number = to_python(text, region=settings.PHONENUMBER_DEFAULT_REGION)
    if not isinstance(number, PhoneNumber) or not usable(number):
        return None
    return number


def e164(text: str) -> str | None:
    """``text`` in the stored form ("+447700900123"), or None when it is not a phone number."""
    number = parse_phone(text)
    return str(number.as_e164) if number is not None else None


def as_typed(value: object) -> str:
    """A stored number as a UK caller would type it ("07700 900123"); others as international.
    An old value that never parsed is given back unchanged."""
    if not value:
        return ""
    number = parse_phone(str(value))
    if number is None:
        return str(value)
    if phonenumbers.region_code_for_number(number) == settings.PHONENUMBER_DEFAULT_REGION:
        return str(number.as_national)
    if number.country_code == 44:
        return str(number.as_national)
    return str(number.as_international)


class PhoneNumberModelField(ModelPhoneNumberField):
    """``phonenumber_field``'s model field with the portal's rule (and its form field)."""

    default_validators = [_check]

    def formfield(self, **kwargs: Any) -> Any:
        kwargs.setdefault("form_class", PortalPhoneField)
        kwargs.setdefault("error_messages", {"invalid": INVALID_PHONE})
        return super().formfield(**kwargs)
