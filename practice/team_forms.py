"""The owner's invitation form: who they are, their email, their role."""

from __future__ import annotations

from typing import Any

from django import forms

from booking.models import Service
from portal.forms import FriendlyForm
from portal.models import Clinic, Role
from portal.names import one_line_name


class InviteForm(FriendlyForm):
    first_name = forms.CharField(
        max_length=80,
        label="First name",
        error_messages={"required": "Enter their first name."},
        validators=[one_line_name],
    )
    last_name = forms.CharField(
        max_length=80,
        label="Last name",
        error_messages={"required": "Enter their last name."},
        validators=[one_line_name],
    )
    email = forms.EmailField(
        label="Email",
        help_text="Their sign-in. The invitation goes here, with a link to choose a password.",
        error_messages={
            "required": "Enter their email address.",
            "invalid": "Enter an email address like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    role = forms.TypedChoiceField(
        label="Their role",
        choices=[
            (Role.PRACTITIONER.value, "Practitioner: treats patients, reads their records"),
            (Role.STAFF.value, "Front desk: books, takes calls, reads no health records"),
        ],
        coerce=Role,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose their role."},
    )
    services = forms.ModelMultipleChoiceField(
        queryset=Service.objects.none(),
        required=False,
        label="Services they offer",
        help_text="Practitioners only. Patients can choose them once their hours are set.",
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        services = self.fields["services"]
        assert isinstance(services, forms.ModelMultipleChoiceField)
        services.queryset = Service.objects.filter(clinic=clinic, is_active=True)
