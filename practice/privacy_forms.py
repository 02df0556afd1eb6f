"""Forms of the erasure and rectification workflow and of closing an account."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from portal.forms import DATE_INPUT, FriendlyForm, date_of_birth_problem
from portal.models import Role, User
from portal.names import one_line_name
from portal.phones import phone_field
from practice.models import PrivacyRequestKind, ReceivedVia


class RecordRequestForm(FriendlyForm):
    patient_email = forms.EmailField(
        label="Patient's email address", help_text="The email they sign in with."
    )
    kind = forms.ChoiceField(
        label="What they ask for", choices=PrivacyRequestKind.choices, widget=forms.RadioSelect
    )
    received_via = forms.ChoiceField(label="How it reached us", choices=ReceivedVia.choices)
    details = forms.CharField(
        label="What the patient asks, in their words",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_patient_email(self) -> User:
        email = self.cleaned_data["patient_email"]
        patient = User.objects.filter(
            email__iexact=email, role=Role.PATIENT, anonymised_at__isnull=True
        ).first()
        if patient is None:
            raise forms.ValidationError(
                "No patient account uses that email address. Check the spelling."
            )
        return patient


class DecisionForm(FriendlyForm):
    decision = forms.CharField(
        label="Your decision, as you will explain it to the patient",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RectifyForm(FriendlyForm):
    first_name = forms.CharField(
        label="First name", max_length=80, required=False, validators=[one_line_name]
    )
    last_name = forms.CharField(
        label="Last name", max_length=80, required=False, validators=[one_line_name]
    )
    email = forms.EmailField(label="Email address")
    phone = phone_field(label="Phone")
    date_of_birth = forms.DateField(
        label="Correct date of birth",
        required=False,
        widget=DATE_INPUT,
        help_text="Held in the questionnaire: added as a correction note, not rewritten.",
    )
    note = forms.CharField(
        label="Correction note for the clinical record",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown beside the record; the record itself is not changed.",
    )

    def clean_date_of_birth(self) -> date | None:
        born: date | None = self.cleaned_data.get("date_of_birth")
        problem = date_of_birth_problem(born) if born else None
        if problem:
            raise forms.ValidationError(problem)
        return born

    def __init__(
        self, *args: Any, patient: User, may_change_email: bool = True, **kwargs: Any
    ) -> None:
        kwargs.setdefault(
            "initial",
            {
                "first_name": patient.first_name,
                "last_name": patient.last_name,
                "email": patient.email,
                "phone": patient.phone,
            },
        )
        super().__init__(*args, **kwargs)
        if not may_change_email:
            # Disabled: the address shown is kept whatever is posted (the owner changes it).
            email = self.fields["email"]
            email.disabled = True
            email.help_text = "Only the clinic owner can change the address they sign in with."
