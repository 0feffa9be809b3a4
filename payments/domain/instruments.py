"""Payment instruments (card and bank details) and their checksums.

Instances live only for the duration of one submission: nothing here is ever persisted.
Only `last4`, `brand` and `account_type` may leave this module's objects for storage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum


class CardBrand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"


class AccountType(StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"


_BRAND_PATTERNS: tuple[tuple[CardBrand, re.Pattern[str], tuple[int, ...]], ...] = (
    (CardBrand.AMEX, re.compile(r"3[47]"), (15,)),
    (CardBrand.VISA, re.compile(r"4"), (13, 16, 19)),
    (CardBrand.MASTERCARD, re.compile(r"5[1-5]|2(2[2-9][1-9]|2[3-9]|[3-6]|7[01]|720)"), (16,)),
    (CardBrand.DISCOVER, re.compile(r"6011|65|64[4-9]|622"), (16, 19)),
)


def luhn_valid(number: str) -> bool:
    """True when `number` is all digits and passes the Luhn (mod 10) check."""
    if not number.isdigit() or len(number) < 2:
        return False
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def card_brand(number: str) -> CardBrand | None:
    """The accepted brand a card number belongs to (by prefix and length), else None."""
    for brand, prefix, lengths in _BRAND_PATTERNS:
        if prefix.match(number) and len(number) in lengths:
            return brand
    return None


def security_code_length(brand: CardBrand) -> int:
    return 4 if brand is CardBrand.AMEX else 3


def expiry_valid(month: int, year: int, today: date) -> bool:
    """A card is good through the last day of its expiry month."""
    if not 1 <= month <= 12:
        return False
    return (year, month) >= (today.year, today.month)


def aba_routing_valid(routing: str) -> bool:
    """ABA routing checksum: 3·(d1+d4+d7) + 7·(d2+d5+d8) + (d3+d6+d9) ≡ 0 (mod 10)."""
    if len(routing) != 9 or not routing.isdigit():
        return False
    d = [int(c) for c in routing]
    weighted = 3 * (d[0] + d[3] + d[6]) + 7 * (d[1] + d[4] + d[7]) + (d[2] + d[5] + d[8])
    return weighted % 10 == 0 and routing != "000000000"


def bank_account_valid(account: str) -> bool:
    return account.isdigit() and 4 <= len(account) <= 17


@dataclass(frozen=True)
class CardDetails:
    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    security_code: str = field(repr=False)
    postal_code: str

    @property
    def brand(self) -> CardBrand | None:
        return card_brand(self.number)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    method = "card"


@dataclass(frozen=True)
class BankDetails:
    account_type: AccountType
    routing_number: str
    account_number: str = field(repr=False)

    @property
    def last4(self) -> str:
        return self.account_number[-4:]

    method = "bank"


Instrument = CardDetails | BankDetails
