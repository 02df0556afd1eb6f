"""Forms for fee reductions and payments taken at the clinic (the checkout amount is read by
``payments.pricing``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms

from booking.models import Booking
from payments.at_clinic import check_amount
from payments.models import TakenBy
from payments.pricing import PriceError, format_money, parse_amount
from portal.forms import DATE_INPUT, FriendlyForm


class FeeReductionRequestForm(FriendlyForm):
    reason = forms.CharField(
        label="Anything you would like us to know",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Optional. You do not need to explain or prove anything.",
    )


class FeeReductionDecisionForm(FriendlyForm):
    """Approve with a floor (maybe until a date) or decline; a note to the patient either way."""

    decision = forms.ChoiceField(
        choices=[("approve", "Approve a reduced fee"), ("decline", "Decline")],
        widget=forms.RadioSelect,
        label="Decision",
        error_messages={"required": "Choose whether to approve or decline the request."},
    )
    floor = forms.CharField(
        label="Their lowest fee (£)",
        required=False,
        help_text="The least this patient will pay per visit from now on, e.g. 15. It cannot be "
        "more than the full price.",
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    ends_on = forms.DateField(
        label="Until",
        required=False,
        help_text="Leave blank to keep the reduced fee until someone on the team changes it.",
        widget=DATE_INPUT,
    )
    reply = forms.CharField(
        label="A note to the patient",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="It goes into the email the patient receives.",
    )

    def __init__(
        self,
        *args: Any,
        currency: str = "GBP",
        today: date | None = None,
        highest_price_minor: int | None = None,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.today = today
        self.highest_price_minor = highest_price_minor

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("decision") != "approve":
            return data
        floor = (data.get("floor") or "").strip()
        try:
            if not floor:
                raise PriceError("Enter the reduced fee in pounds, for example 15.")
            if floor.startswith("-"):
                raise PriceError("A reduced fee cannot be below £0. Enter 0 for free visits.")
            data["floor_minor"] = parse_amount(floor, currency=self.currency)
        except PriceError as exc:
            self.add_error("floor", exc.message)
        else:
            top = self.highest_price_minor
            if top is not None and data["floor_minor"] > top:
                self.add_error(
                    "floor",
                    f"That is more than the full price of any visit here "
                    f"({format_money(top, self.currency)}). Enter the reduced fee: "
                    f"{format_money(top, self.currency)} or less.",
                )
        ends_on = data.get("ends_on")
        if ends_on and self.today and ends_on < self.today:
            self.add_error("ends_on", "That date has passed. Please choose a later date.")
        return data


class ClinicPaymentForm(FriendlyForm):
    """What was taken at the clinic for one visit: the amount (the visit's fee to start with)
    and how it was paid."""

    amount = forms.CharField(
        label="Amount taken (£)",
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        error_messages={"required": "Enter the amount taken, for example 45."},
    )
    method = forms.ChoiceField(
        choices=TakenBy.choices,
        initial=TakenBy.CARD,
        widget=forms.RadioSelect,
        label="Paid by",
        error_messages={
            "required": "Choose how it was paid.",
            "invalid_choice": "Choose how it was paid.",
        },
    )

    def __init__(self, *args: Any, booking: Booking, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"amount": f"{booking.price_minor / 100:g}"})
        super().__init__(*args, **kwargs)
        self.booking = booking

    def clean_amount(self) -> int:
        raw = self.cleaned_data.get("amount", "")
        try:
            if raw.strip().startswith("-"):
                raise PriceError("Enter the amount taken, for example 45.")
            amount = parse_amount(raw, currency=self.booking.currency)
            check_amount(self.booking, amount)
        except PriceError as exc:
            raise forms.ValidationError(exc.message) from None
        return amount
