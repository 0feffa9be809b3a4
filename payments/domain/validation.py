"""Checks on a payment request that need no database: refused before anything is charged."""

from __future__ import annotations

from datetime import date

from payments.domain.errors import AmountNotAllowed, AuthorizationRequired, InvalidInstrument
from payments.domain.instruments import (
    BankDetails,
    CardDetails,
    aba_routing_valid,
    bank_account_valid,
    card_brand,
    expiry_valid,
    luhn_valid,
    security_code_length,
)
from payments.domain.money import MAX_AMOUNT, is_whole_cents
from payments.domain.values import PaymentRequest, TelAuthorization

MAX_KEY_LENGTH = 100


def check_request(request: PaymentRequest, today: date) -> None:
    """Raise a PaymentError for a request that must not reach the gateway."""
    key = request.idempotency_key
    if not isinstance(key, str) or not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(f"idempotency_key must be 1 to {MAX_KEY_LENGTH} characters")
    amount = request.amount
    if not is_whole_cents(amount) or not 0 < amount <= MAX_AMOUNT:
        raise AmountNotAllowed("the amount must be a positive number of whole cents")
    if isinstance(request.instrument, CardDetails):
        check_card(request.instrument, today)
    else:
        check_bank(request.instrument, request.authorization)


def check_card(card: CardDetails, today: date) -> None:
    """Messages name the failed check, never the number."""
    brand = card_brand(card.number)
    if brand is None or not luhn_valid(card.number):
        raise InvalidInstrument("the card number is not a valid accepted card")
    if not expiry_valid(card.exp_month, card.exp_year, today):
        raise InvalidInstrument("the card has expired")
    code = card.security_code
    if not code.isdigit() or len(code) != security_code_length(brand):
        raise InvalidInstrument("the security code has the wrong length")


def check_bank(bank: BankDetails, authorization: TelAuthorization | None) -> None:
    if not aba_routing_valid(bank.routing_number):
        raise InvalidInstrument("the routing number fails the ABA check")
    if not bank_account_valid(bank.account_number):
        raise InvalidInstrument("the account number must be 4 to 17 digits")
    if authorization is None:
        raise AuthorizationRequired("a bank debit needs the caller's TEL authorization")
    if bank.account_number in authorization.text:
        raise InvalidInstrument("the authorization text may show only the last 4 digits")
    if authorization.accepted_at.tzinfo is None:
        raise ValueError("authorization.accepted_at must be timezone-aware")
