"""What a patient may pay for a service: pure functions, no database.

A service's price rule (free, fixed or sliding scale) and the patient's own approved
floor (a private fee reduction, if any) give the allowed range; a chosen amount is
checked against it. Amounts are integers in minor units (pence) of the clinic's currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from booking.models import PaymentMode, PriceRule, Service
from portal.templatetags.money import SYMBOLS, money

# Far above any visit's price (100,000 in major units): anything higher is a typing slip.
MAX_MINOR = 10_000_000


class PriceError(ValueError):
    """An amount that cannot be accepted, with a message fit to show the patient."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PriceRange:
    """The amounts one patient may pay for one service."""

    rule: str
    currency: str
    low: int
    high: int
    suggested: int
    step: int = 0
    # The published lowest amount, kept so a reduced floor can be told apart from it.
    published_low: int = 0

    @property
    def is_free(self) -> bool:
        return self.high == 0

    @property
    def is_choice(self) -> bool:
        """The patient picks the amount (a sliding scale, or a fixed price with a floor)."""
        return self.low < self.high

    @property
    def is_reduced(self) -> bool:
        return self.low < self.published_low

    def steps(self) -> list[int]:
        """Amounts to offer as quick choices (at most seven), always including both ends."""
        if not self.is_choice:
            return [self.high]
        step = self.step or max((self.high - self.low) // 4, 1)
        amounts = {self.low, self.high, self.suggested}
        amount = self.published_low if self.published_low > self.low else self.low
        while amount < self.high and len(amounts) < 7:
            amounts.add(amount)
            amount += step
        return sorted(amounts)


def price_range(
    *,
    rule: str,
    price_minor: int,
    min_minor: int,
    max_minor: int,
    step_minor: int,
    currency: str,
    floor_minor: int | None = None,
) -> PriceRange:
    """The allowed range for a price rule, lowered to the patient's approved floor if given.

    A floor only ever lowers the lowest amount: a fixed price becomes a choice between the
    floor and the full price; a sliding scale starts at the floor instead of its minimum.
    """
    if rule == PriceRule.FREE or (rule == PriceRule.FIXED and price_minor == 0):
        return PriceRange(rule=PriceRule.FREE, currency=currency, low=0, high=0, suggested=0)
    if rule == PriceRule.SLIDING:
        low, high = min(min_minor, max_minor), max(min_minor, max_minor)
        suggested = min(max(price_minor, low), high)
        step = step_minor
    else:
        low = high = suggested = price_minor
        step = 0
    published_low = low
    if floor_minor is not None and floor_minor < low:
        low = max(floor_minor, 0)
        if rule != PriceRule.SLIDING:
            suggested = low
    return PriceRange(
        rule=rule,
        currency=currency,
        low=low,
        high=high,
        suggested=suggested,
        step=step,
        published_low=published_low,
    )


def service_price_range(service: Service, *, floor_minor: int | None = None) -> PriceRange:
    """``price_range`` for a service in its clinic's currency."""
    return price_range(
        rule=service.price_rule,
        price_minor=service.price_minor,
        min_minor=service.price_min_minor,
        max_minor=service.price_max_minor,
        step_minor=service.price_step_minor,
        currency=service.clinic.currency,
        floor_minor=floor_minor,
    )


def format_money(minor: int, currency: str) -> str:
    """2500 GBP -> "£25", 2550 -> "£25.50" (the same wording as the ``money`` filter)."""
    return money(minor, currency)


def parse_amount(raw: str | None, *, currency: str) -> int:
    """Read what the patient typed ("25", "25.50", "£25") as minor units, or raise PriceError."""
    text = (raw or "").strip().replace(",", "")
    symbol = SYMBOLS.get(currency.upper(), "")
    if symbol and text.startswith(symbol):
        text = text[len(symbol) :].strip()
    if text.upper().startswith(currency.upper()):
        text = text[len(currency) :].strip()
    if not text:
        raise PriceError("Please enter the amount you would like to pay.")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise PriceError(
            "That amount could not be read. Please enter a number, for example 25."
        ) from None
    if not value.is_finite():
        raise PriceError("That amount could not be read. Please enter a number, for example 25.")
    if value < 0:
        raise PriceError("The amount cannot be negative.")
    # Compared before any arithmetic: "1E+1000000000" is a finite Decimal whose product
    # overflows the decimal context.
    if value > MAX_MINOR / 100:
        raise PriceError("That amount is far above the price of this visit.")
    minor = value * 100
    if minor != minor.to_integral_value():
        raise PriceError("Please give the amount in pounds and pence, for example 22.50.")
    if minor > MAX_MINOR:
        raise PriceError("That amount is far above the price of this visit.")
    return int(minor)


def validate_amount(prices: PriceRange, raw: str | None, *, currency: str | None = None) -> int:
    """The chosen amount in minor units if ``prices`` allows it; else PriceError saying why."""
    if currency and currency.upper() != prices.currency.upper():
        raise PriceError(
            f"Prices here are in {prices.currency}. Please choose an amount in {prices.currency}."
        )
    if prices.is_free:
        return 0
    if not prices.is_choice:
        # A fixed price is not the patient's to change: whatever was sent, it is the price.
        return prices.high
    amount = parse_amount(raw, currency=prices.currency)
    low, high = (
        format_money(prices.low, prices.currency),
        format_money(prices.high, prices.currency),
    )
    if amount < prices.low:
        raise PriceError(f"The lowest amount for this visit is {low}. Please choose {low} or more.")
    if amount > prices.high:
        raise PriceError(
            f"The highest amount for this visit is {high}. Please choose {high} or less."
        )
    on_step = (
        not prices.step
        or amount in (prices.low, prices.high)
        or (amount - prices.published_low) % prices.step == 0
    )
    if not on_step:
        raise PriceError(
            f"Amounts go up in steps of {format_money(prices.step, prices.currency)} from "
            f"{format_money(prices.published_low, prices.currency)}. Please pick one of those."
        )
    return amount


def payment_mode_for(service: Service, amount_minor: int) -> str:
    """How this booking is paid: nothing to pay is free; else the service's or clinic's mode."""
    if amount_minor == 0:
        return PaymentMode.FREE
    return service.paid_by


def refund_due(
    *, paid_minor: int, refunded_minor: int, late: bool, rule: str, fee_minor: int
) -> int:
    """What goes back on cancellation: all of it before the cutoff, else the clinic's rule."""
    remaining = max(paid_minor - refunded_minor, 0)
    if not late:
        return remaining
    if rule == "no_refund":
        return 0
    # keep_fee: the clinic keeps its late-cancellation fee (never more than was paid).
    return max(remaining - fee_minor, 0)
