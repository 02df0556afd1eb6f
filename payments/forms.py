"""Forms for fee reductions (the checkout amount is read by ``payments.pricing``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from payments.pricing import PriceError, parse_amount


class FeeReductionRequestForm(forms.Form):
    reason = forms.CharField(
        label="Anything you would like us to know",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional. You do not need to explain or prove anything.",
    )


class FeeReductionDecisionForm(forms.Form):
    """Approve with a floor (maybe until a date) or decline; a note to the patient either way."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve a reduced fee"), ("decline", "Decline")],
        widget=forms.RadioSelect,
        label="Your answer",
    )
    floor = forms.CharField(
        label="Their lowest fee (£)",
        required=False,
        help_text="The least this patient pays per visit from now on, e.g. 15.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    ends_on = forms.DateField(
        label="Until",
        required=False,
        help_text="Optional. Leave blank to keep it until you change it.",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    reply = forms.CharField(
        label="A note to the patient",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Optional. It goes into the email they receive.",
    )

    def __init__(self, *args: Any, currency: str = "GBP", today: date | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.today = today

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") != "approve":
            return data
        try:
            data["floor_minor"] = parse_amount(data.get("floor"), currency=self.currency)
        except PriceError as exc:
            self.add_error("floor", exc.message)
        ends_on = data.get("ends_on")
        if ends_on and self.today and ends_on < self.today:
            self.add_error("ends_on", "That date has passed. Please choose a later date.")
        return data
