from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest


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
    phone = forms.CharField(
        max_length=40,
        required=False,
        label="Phone (optional)",
        help_text="So the clinic can reach you if a visit has to move.",
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )

    field_order = ["first_name", "last_name", "email", "phone", "password1", "password2"]

    def signup(self, request: HttpRequest, user: Any) -> None:
        user.first_name = self.cleaned_data["first_name"].strip()
        user.last_name = self.cleaned_data["last_name"].strip()
        user.phone = self.cleaned_data.get("phone", "").strip()
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
        self.fields["action"].choices = [("", "Any action"), *AuditAction.choices]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise forms.ValidationError("The 'From' date is after the 'To' date.")
        return data
