"""Forms of the waiting list: a patient's wishes, and the team's hand-made offer."""

from __future__ import annotations

from typing import Any

from django import forms

from booking.models import Practitioner, Service, Weekday
from booking.waitlist.entries import DEFAULT_WAITING_WEEKS, WAITING_WEEKS
from booking.waitlist_models import DayPart
from portal.forms import FriendlyForm


class WaitlistJoinForm(FriendlyForm):
    weekdays = forms.TypedMultipleChoiceField(
        label="Which days suit you?",
        choices=Weekday.choices,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one day."},
    )
    day_parts = forms.MultipleChoiceField(
        label="At what time of day?",
        choices=DayPart.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one time of day."},
    )
    practitioner = forms.ChoiceField(
        label="With whom?",
        required=False,
        error_messages={"invalid_choice": "Choose a practitioner from the list."},
    )
    weeks = forms.TypedChoiceField(
        label="For how long?",
        choices=[(w, f"{w} weeks") for w in WAITING_WEEKS],
        coerce=int,
        # Not sent (an older page, a script): the usual length rather than an error.
        required=False,
        initial=DEFAULT_WAITING_WEEKS,
        widget=forms.Select(attrs={"aria-describedby": "id_weeks-help"}),
        error_messages={"invalid_choice": "Choose how long to stay on the list."},
    )

    def __init__(self, *args: Any, service: Service, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.practitioners = {str(p.pk): p for p in service.practitioners.bookable()}
        field = self.fields["practitioner"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("any", "Whoever is free first"),
            *((pk, p.display_name) for pk, p in self.practitioners.items()),
        ]
        if service.is_multibed or len(self.practitioners) < 2:
            # The community clinic is whoever runs the shift; one practitioner needs no choice.
            del self.fields["practitioner"]

    def clean_weeks(self) -> int:
        return self.cleaned_data.get("weeks") or DEFAULT_WAITING_WEEKS

    def chosen_practitioner(self) -> Practitioner | None:
        return self.practitioners.get(self.cleaned_data.get("practitioner") or "")


class OfferByHandForm(FriendlyForm):
    start = forms.ChoiceField(
        label="Open time to offer",
        error_messages={
            "required": "Choose a time to offer.",
            "invalid_choice": "That time is no longer open. Please pick another.",
        },
    )

    def __init__(self, *args: Any, times: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["start"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", "Choose a time"), *times]
