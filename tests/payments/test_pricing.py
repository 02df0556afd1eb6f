"""payments.pricing: ranges, floors, amounts typed by patients, refunds on cancellation."""

from __future__ import annotations

import pytest

from booking.models import PriceRule
from payments.pricing import (
    PriceError,
    parse_amount,
    price_range,
    refund_due,
    validate_amount,
)


def sliding(floor: int | None = None, step: int = 500):
    return price_range(
        rule=PriceRule.SLIDING,
        price_minor=2500,
        min_minor=1500,
        max_minor=3500,
        step_minor=step,
        currency="GBP",
        floor_minor=floor,
    )


def fixed(price: int = 5000, floor: int | None = None):
    return price_range(
        rule=PriceRule.FIXED,
        price_minor=price,
        min_minor=0,
        max_minor=0,
        step_minor=0,
        currency="GBP",
        floor_minor=floor,
    )


def test_a_sliding_scale_is_its_published_range_with_the_suggestion() -> None:
    prices = sliding()
    assert (prices.low, prices.high, prices.suggested) == (1500, 3500, 2500)
    assert prices.is_choice and not prices.is_reduced
    assert prices.steps() == [1500, 2000, 2500, 3000, 3500]


def test_a_floor_lowers_the_sliding_scale_for_that_patient_only() -> None:
    prices = sliding(floor=800)
    assert (prices.low, prices.high, prices.suggested) == (800, 3500, 2500)
    assert prices.is_reduced
    assert validate_amount(prices, "8") == 800
    assert validate_amount(sliding(), "15") == 1500
    with pytest.raises(PriceError):
        validate_amount(sliding(), "8")


def test_a_floor_above_the_range_changes_nothing() -> None:
    assert sliding(floor=2000).low == 1500


def test_a_fixed_price_is_the_price_whatever_is_sent() -> None:
    assert validate_amount(fixed(), "1") == 5000
    assert validate_amount(fixed(), None) == 5000
    assert not fixed().is_choice


def test_a_floor_turns_a_fixed_price_into_a_choice_from_the_floor() -> None:
    prices = fixed(floor=3000)
    assert (prices.low, prices.high, prices.suggested) == (3000, 5000, 3000)
    assert validate_amount(prices, "30") == 3000
    assert validate_amount(prices, "42.50") == 4250
    with pytest.raises(PriceError, match="lowest amount for this visit is £30"):
        validate_amount(prices, "29.99")


def test_free_and_zero_priced_services_cost_nothing() -> None:
    assert fixed(price=0).is_free
    free = price_range(
        rule=PriceRule.FREE, price_minor=0, min_minor=0, max_minor=0, step_minor=0, currency="GBP"
    )
    assert validate_amount(free, "anything") == 0


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("25", 2500),
        ("25.50", 2550),
        ("£25", 2500),
        (" 30 ", 3000),
        ("GBP 20", 2000),
        ("1,000", 100000),
    ],
)
def test_amounts_are_read_the_way_people_type_them(typed: str, minor: int) -> None:
    assert parse_amount(typed, currency="GBP") == minor


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", "enter the amount"),
        ("twenty", "could not be read"),
        ("-5", "cannot be negative"),
        ("25.555", "pounds and pence"),
        ("NaN", "could not be read"),
        ("Infinity", "could not be read"),
        ("1e9", "far above"),
        ("1E+1000000000", "far above"),  # overflowed the decimal context: a 500 (issue 13)
        ("²", "could not be read"),
        ("2\x005", "could not be read"),
    ],
)
def test_what_is_not_an_amount_is_refused_clearly(typed: str, message: str) -> None:
    with pytest.raises(PriceError, match=message):
        parse_amount(typed, currency="GBP")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("10", "lowest amount for this visit is £15"),
        ("40", "highest amount for this visit is £35"),
        ("22", "steps of £5 from £15"),
        ("-20", "cannot be negative"),
    ],
)
def test_amounts_outside_the_range_or_off_the_steps_are_refused(typed: str, message: str) -> None:
    with pytest.raises(PriceError, match=message):
        validate_amount(sliding(), typed)


def test_without_steps_any_amount_in_the_range_is_fine() -> None:
    assert validate_amount(sliding(step=0), "22.37") == 2237


def test_an_amount_in_another_currency_is_refused() -> None:
    with pytest.raises(PriceError, match="Prices here are in GBP"):
        validate_amount(sliding(), "25", currency="EUR")
    assert validate_amount(sliding(), "25", currency="gbp") == 2500


@pytest.mark.parametrize(
    ("late", "rule", "fee", "due"),
    [
        (False, "keep_fee", 1000, 3000),
        (False, "no_refund", 1000, 3000),
        (True, "no_refund", 1000, 0),
        (True, "keep_fee", 1000, 2000),
        (True, "keep_fee", 5000, 0),
    ],
)
def test_refunds_follow_the_cutoff_and_the_late_rule(
    late: bool, rule: str, fee: int, due: int
) -> None:
    assert refund_due(paid_minor=3000, refunded_minor=0, late=late, rule=rule, fee_minor=fee) == due


def test_what_was_refunded_already_is_not_refunded_again() -> None:
    assert (
        refund_due(paid_minor=3000, refunded_minor=1000, late=False, rule="keep_fee", fee_minor=0)
        == 2000
    )
