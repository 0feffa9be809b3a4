"""Money as `Decimal` quantized to cents; integer minor units only at the gateway boundary."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
MAX_AMOUNT = Decimal("9999999999.99")  # what Numeric(12, 2) holds

_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,9})(?:\.[0-9]{1,2})?")  # ASCII digits only


class MoneyFormatError(ValueError):
    """Text that is not a plain decimal amount such as "45.00"."""


def cents(amount: Decimal) -> Decimal:
    """`amount` rounded half-up to whole cents."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TypeError(f"money must be a finite Decimal, not {amount!r}")
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def is_whole_cents(amount: Decimal) -> bool:
    """True when `amount` is a finite Decimal with no fraction of a cent."""
    return isinstance(amount, Decimal) and amount.is_finite() and amount == cents(amount)


def to_minor_units(amount: Decimal) -> int:
    """Whole cents as an integer, for the gateway; refuses fractions of a cent."""
    if not is_whole_cents(amount):
        raise ValueError(f"{amount!r} is not a whole number of cents")
    return int(cents(amount) * 100)


def from_minor_units(minor: int) -> Decimal:
    return cents(Decimal(minor) / 100)


def parse_amount(text: str) -> Decimal:
    """Strictly parse a non-negative amount: "45", "45.5", "45.00"; no sign, exponent or space."""
    if not isinstance(text, str) or not _AMOUNT.fullmatch(text):
        raise MoneyFormatError(f"{text!r} is not a decimal amount")
    return cents(Decimal(text))


def format_amount(amount: Decimal) -> str:
    """Dollars as a plain string with two decimals, e.g. "45.00"."""
    return f"{cents(amount):.2f}"
