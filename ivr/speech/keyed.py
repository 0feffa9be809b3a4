"""Parsers for keyed (DTMF) input.

Each parser takes the raw keys (Twilio `Digits`, without the finishing '#'; stray spaces are
ignored) and returns a value or raises `InputError` whose `code` selects the spoken error prompt.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from payments.domain.instruments import (
    CardBrand,
    aba_routing_valid,
    bank_account_valid,
    card_brand,
    expiry_valid,
    luhn_valid,
    security_code_length,
)

_AMOUNT = re.compile(r"(?P<dollars>[0-9]*)(?:\*(?P<cents>[0-9]{2})?)?")
# Far beyond any premium; also keeps Decimal arithmetic exact.
_MAX_DOLLAR_DIGITS = 9
_OLDEST_BIRTH_YEAR = 1900


class InputError(ValueError):
    """Keyed input that cannot be used. The message is only the code: keys never reach logs."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _clean(keys: str) -> str:
    return "".join(keys.split())


def _digits(keys: str, lengths: range | tuple[int, ...], code: str) -> str:
    """The keys as a digit string whose length is in `lengths`, else InputError(code)."""
    cleaned = _clean(keys)
    if not (cleaned.isascii() and cleaned.isdigit() and len(cleaned) in lengths):
        raise InputError(code)
    return cleaned


def parse_subscriber_id(keys: str) -> str:
    return _digits(keys, (12,), "length")


def parse_birth_date(keys: str, today: date) -> date:
    """MMDDYYYY. Codes: "format" (not a real date, or before 1900), "future"."""
    digits = _digits(keys, (8,), "format")
    try:
        born = date(int(digits[4:]), int(digits[:2]), int(digits[2:4]))
    except ValueError:
        raise InputError("format") from None
    if born.year < _OLDEST_BIRTH_YEAR:
        raise InputError("format")
    if born > today:
        raise InputError("future")
    return born


def parse_amount(keys: str) -> Decimal:
    """Dollars, then optionally '*' and exactly two cent digits. Codes: "format", "zero".

    "45" and "45*" are 45.00, "45*50" is 45.50, "*50" is 0.50; "45*5" is "format".
    """
    match = _AMOUNT.fullmatch(_clean(keys))
    if match is None or match["dollars"] + (match["cents"] or "") == "":
        raise InputError("format")
    dollars = match["dollars"].lstrip("0")
    if len(dollars) > _MAX_DOLLAR_DIGITS:
        raise InputError("format")
    amount = Decimal(int(dollars or "0")) + Decimal(int(match["cents"] or "0")) / 100
    if amount == 0:
        raise InputError("zero")
    return amount.quantize(Decimal("0.01"))


def parse_card_number(keys: str) -> str:
    """Codes: "length" (not 13–19 digits), "checksum" (Luhn), "brand" (not accepted here)."""
    number = _digits(keys, range(13, 20), "length")
    if not luhn_valid(number):
        raise InputError("checksum")
    if card_brand(number) is None:
        raise InputError("brand")
    return number


def parse_expiry(keys: str, today: date) -> tuple[int, int]:
    """MMYY → (month, 20YY). Codes: "format", "month", "expired" (the current month is valid)."""
    digits = _digits(keys, (4,), "format")
    month, year = int(digits[:2]), 2000 + int(digits[2:])
    if not 1 <= month <= 12:
        raise InputError("month")
    if not expiry_valid(month, year, today):
        raise InputError("expired")
    return month, year


def parse_security_code(keys: str, brand: CardBrand) -> str:
    return _digits(keys, (security_code_length(brand),), "length")


def parse_zip(keys: str) -> str:
    """A 5-digit ZIP (the prompt asks for 5 and the keypad stops there)."""
    return _digits(keys, (5,), "length")


def parse_routing_number(keys: str) -> str:
    routing = _digits(keys, (9,), "length")
    if not aba_routing_valid(routing):
        raise InputError("checksum")
    return routing


def parse_account_number(keys: str) -> str:
    account = _clean(keys)
    if not (account.isascii() and bank_account_valid(account)):
        raise InputError("length")
    return account


def parse_menu_choice(keys: str, allowed: str) -> str:
    choice = _clean(keys)
    if len(choice) != 1 or choice not in allowed:
        raise InputError("choice")
    return choice
