"""Sandbox gateway: deterministic, no network, the SPEC's test card and bank numbers.

Bank debits are approved at once; their settlement fate is encoded in the transaction id
(`sbx_ach_R01_...`), so settlement needs no stored account number.
"""

from __future__ import annotations

import hashlib
import threading

from payments.domain.instruments import (
    BankDetails,
    CardDetails,
    aba_routing_valid,
    bank_account_valid,
    card_brand,
    luhn_valid,
    security_code_length,
)
from payments.domain.values import DeclineReason
from payments.gateways.base import ChargeRequest, GatewayResponse

DECLINED_CARDS = {
    "4000000000000002": DeclineReason.GENERIC,
    "4000000000009995": DeclineReason.INSUFFICIENT_FUNDS,
    "4000000000000069": DeclineReason.EXPIRED_CARD,
    "4000000000000127": DeclineReason.INCORRECT_SECURITY_CODE,
    "4000000000000119": DeclineReason.PROCESSING_ERROR,
}
RETURNED_ACCOUNTS = {"000111111116": "R01", "000111111113": "R02"}
SETTLES = "settle"


class SandboxGateway:
    """Remembers every answer by idempotency key, so a repeated key never charges twice."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[str, GatewayResponse] = {}
        self._amounts: dict[str, int] = {}
        self._reversed: set[str] = set()
        self.charge_calls = 0

    def charge(self, request: ChargeRequest) -> GatewayResponse:
        with self._lock:
            self.charge_calls += 1
            known = self._answers.get(request.idempotency_key)
            if known is not None:
                return known
            answer = _decide(request)
            self._answers[request.idempotency_key] = answer
            if answer.approved:
                self._amounts[request.idempotency_key] = request.amount_cents
            return answer

    def lookup(self, idempotency_key: str) -> GatewayResponse | None:
        with self._lock:
            return self._answers.get(idempotency_key)

    def reverse(self, idempotency_key: str) -> None:
        with self._lock:
            if idempotency_key in self._amounts:
                self._reversed.add(idempotency_key)

    def charged_cents(self) -> int:
        """Money taken and kept, in cents, across all keys."""
        with self._lock:
            return sum(v for k, v in self._amounts.items() if k not in self._reversed)

    def charges(self) -> int:
        """How many charges took money (repeated keys count once)."""
        with self._lock:
            return len(self._amounts)


def settlement_fate(transaction_id: str) -> str | None:
    """The ACH return code a sandbox bank debit will get at settlement, or None if it settles."""
    parts = transaction_id.split("_")
    if len(parts) == 4 and parts[:2] == ["sbx", "ach"] and parts[2] != SETTLES:
        return parts[2]
    return None


def _decide(request: ChargeRequest) -> GatewayResponse:
    reference = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:16]
    if request.amount_cents <= 0:
        return _declined(DeclineReason.GENERIC, "amount must be positive")
    instrument = request.instrument
    if isinstance(instrument, CardDetails):
        return _card(instrument, reference)
    return _bank(instrument, reference)


def _card(card: CardDetails, reference: str) -> GatewayResponse:
    reason = DECLINED_CARDS.get(card.number)
    if reason is DeclineReason.PROCESSING_ERROR:
        return _declined(reason, "processing error; nothing charged")
    if reason is not None:
        return _declined(reason, f"card declined: {reason.value}")
    brand = card_brand(card.number)
    if brand is None or not luhn_valid(card.number):
        return _declined(DeclineReason.GENERIC, "card number not accepted")
    if len(card.security_code) != security_code_length(brand) or not card.security_code.isdigit():
        return _declined(DeclineReason.INCORRECT_SECURITY_CODE, "security code rejected")
    return GatewayResponse(True, f"sbx_ch_{reference}", None, "approved")


def _bank(bank: BankDetails, reference: str) -> GatewayResponse:
    if not aba_routing_valid(bank.routing_number) or not bank_account_valid(bank.account_number):
        return _declined(DeclineReason.INVALID_ACCOUNT, "routing or account number rejected")
    fate = RETURNED_ACCOUNTS.get(bank.account_number, SETTLES)
    return GatewayResponse(True, f"sbx_ach_{fate}_{reference}", None, "debit accepted")


def _declined(reason: DeclineReason, message: str) -> GatewayResponse:
    return GatewayResponse(False, None, reason, message)
