from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils import timezone

from portal.phones import phone_field


class SignupDetailsForm(forms.Form):
    """The fields a clinic needs beyond email and password, added to allauth's sign-up."""

    first_name = forms.CharField(
        max_length=80,
        label="First name",
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        max_length=80,
        label="Last name",
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


class AuditFilterForm(forms.Form):
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

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The 'From' date is after the 'To' date.")
        return data


class DeskPatientForm(forms.Form):
    """The front desk adds a caller: who they are and how to reach them (email optional)."""

    first_name = forms.CharField(
        max_length=80,
        label="First name",
        error_messages={"required": "Enter the caller's first name."},
    )
    last_name = forms.CharField(
        max_length=80,
        label="Last name",
        error_messages={"required": "Enter the caller's last name."},
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
        widget=forms.DateInput(attrs={"type": "date"}),
        input_formats=["%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"],
        error_messages={
            "required": "Enter the caller's date of birth.",
            "invalid": "Enter a real date, for example 21/03/1978.",
        },
    )

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError("The date of birth cannot be in the future.")
        if born.year < today.year - 120:
            raise forms.ValidationError("Check the year: that would make them over 120.")
        return born


class PatientDetailsForm(forms.Form):
    """A patient changes their own name and phone (email and password have allauth's pages)."""

    first_name = forms.CharField(
        max_length=80,
        label="First name",
        error_messages={"required": "Enter your first name."},
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        max_length=80,
        label="Last name",
        error_messages={"required": "Enter your last name."},
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    phone = phone_field(
        label="Phone",
        help_text="So the clinic can reach you if a visit has to move.",
    )
