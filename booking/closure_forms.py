"""The form the desk and the owner close the clinic with: the rules are checked by
``booking.closures.check_closure``, which names the field each refusal belongs to."""

from __future__ import annotations

from django import forms

from portal.forms import DATE_INPUT, FriendlyForm


class ClosureForm(FriendlyForm):
    first_day = forms.DateField(
        label="First closed day",
        widget=DATE_INPUT,
        error_messages={"required": "Please enter the first day the clinic is closed."},
    )
    last_day = forms.DateField(
        label="Last closed day",
        widget=DATE_INPUT,
        help_text="The same as the first day for a single day. The clinic opens again the day "
        "after.",
        error_messages={"required": "Please enter the last day the clinic is closed."},
    )
    reason = forms.CharField(
        label="What patients are told",
        required=False,
        max_length=120,
        help_text="Shown on the booking pages on each closed day, e.g. Closed for the holidays.",
    )
