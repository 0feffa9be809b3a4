from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.domain.money import (
    MoneyFormatError,
    cents,
    format_amount,
    from_minor_units,
    parse_amount,
    to_minor_units,
)


def test_cents_rounds_half_up():
    assert cents(Decimal("0.005")) == Decimal("0.01")
    assert cents(Decimal("2.344")) == Decimal("2.34")


def test_cents_refuses_float_and_nan():
    with pytest.raises(TypeError):
        cents(0.1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        cents(Decimal("NaN"))


def test_minor_units_round_trip():
    assert to_minor_units(Decimal("412.50")) == 41250
    assert from_minor_units(41250) == Decimal("412.50")


def test_minor_units_refuse_fractions_of_a_cent():
    with pytest.raises(ValueError):
        to_minor_units(Decimal("1.005"))


@pytest.mark.parametrize(("text", "value"), [("45", "45.00"), ("45.5", "45.50"), ("0.01", "0.01")])
def test_parse_amount_accepts_plain_decimals(text, value):
    assert parse_amount(text) == Decimal(value)


@pytest.mark.parametrize(
    "text", ["", "4x.00", "-1.00", "+1", "1e3", "NaN", " 45", "45.001", "045", "1.", ".5", "1,000"]
)
def test_parse_amount_is_strict(text):
    with pytest.raises(MoneyFormatError):
        parse_amount(text)


def test_format_amount():
    assert format_amount(Decimal("45")) == "45.00"


@given(st.integers(min_value=0, max_value=999_999_999_999))
def test_formatted_amounts_parse_back(minor):
    amount = from_minor_units(minor)
    assert parse_amount(format_amount(amount)) == amount
    assert to_minor_units(amount) == minor


@given(st.text(max_size=20))
def test_parse_amount_returns_whole_cents_or_refuses(text):
    try:
        amount = parse_amount(text)
    except MoneyFormatError:
        return
    assert amount >= 0 and amount == cents(amount) and format_amount(amount) != ""


@pytest.mark.parametrize("text", ["1\u0665", "\uff14\uff15", "\u0664\u0665.00", "45.\u0660\u0660"])
def test_amounts_in_other_scripts_digits_are_refused(text):
    with pytest.raises(MoneyFormatError):
        parse_amount(text)
