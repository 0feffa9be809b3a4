"""Sandbox gateway: deterministic, no network, the SPEC's test card and bank numbers.

It stands in for an external processor, so its ledger of charges lives outside any one process:
the `sandbox_charges` table. Every worker, `ivr reconcile` and a restarted server see the same
charges, and the same idempotency key never charges twice (a unique key in that table).

Cards only: bank accounts are debited by the line itself, through NACHA files to its bank
(payments.bank); the sandbox bank (payments.bank.sandbox_bank) stands in for that bank.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy import Connection, Engine, Row, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from payments.domain.instruments import (
    CardDetails,
    card_brand,
    luhn_valid,
    security_code_length,
)
from payments.domain.values import DeclineReason
from payments.gateways.base import (
    ChargeRequest,
    GatewayResponse,
    GatewayUnavailable,
    on_ledger,
)
from payments.storage.tables import SANDBOX_CHARGES

DECLINED_CARDS = {
    "4000000000000002": DeclineReason.GENERIC,
    "4000000000009995": DeclineReason.INSUFFICIENT_FUNDS,
    "4000000000000069": DeclineReason.EXPIRED_CARD,
    "4000000000000127": DeclineReason.INCORRECT_SECURITY_CODE,
    "4000000000000119": DeclineReason.PROCESSING_ERROR,
}
SLOW_CARD = "4000000000001018"  # approved, but the answer takes SLOW_SECONDS
SLOW_SECONDS = 20.0

_BY_KEY = select(SANDBOX_CHARGES).where(SANDBOX_CHARGES.c.idempotency_key == bindparam("key"))
_REVERSE = (
    update(SANDBOX_CHARGES)
    .where(SANDBOX_CHARGES.c.idempotency_key == bindparam("key"), SANDBOX_CHARGES.c.approved)
    .values(reversed=True)
)
_KEPT = SANDBOX_CHARGES.c.approved & ~SANDBOX_CHARGES.c.reversed
T = TypeVar("T")


class SandboxGateway:
    """The processor's answers, kept by idempotency key in the sandbox ledger table."""

    def __init__(
        self,
        engine: Engine,
        slow_seconds: float = SLOW_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._engine = engine
        self._slow_seconds = slow_seconds
        self._sleep = sleep

    def charge(self, request: ChargeRequest) -> GatewayResponse:
        answer = _decide(request)
        kept = self._keep(request, answer)
        if kept is not answer:
            return kept  # the same key again: the first answer, nothing charged twice
        if isinstance(request.instrument, CardDetails) and request.instrument.number == SLOW_CARD:
            self._sleep(self._slow_seconds)  # the charge is made; the answer is slow to come
        return answer

    def lookup(self, idempotency_key: str) -> GatewayResponse | None:
        row = self._run(lambda conn: conn.execute(_BY_KEY, {"key": idempotency_key}).first())
        return None if row is None else _response(row)

    def reverse(self, idempotency_key: str) -> None:
        self._run(lambda conn: conn.execute(_REVERSE, {"key": idempotency_key}), write=True)

    def charged_cents(self) -> int:
        """Money taken and kept, in cents, across all keys (for tests and operators)."""
        total = select(func.coalesce(func.sum(SANDBOX_CHARGES.c.amount_cents), 0)).where(_KEPT)
        return int(self._run(lambda conn: conn.scalar(total)) or 0)

    def charges(self) -> int:
        """How many charges took money (a repeated key counts once)."""
        count = select(func.count()).where(SANDBOX_CHARGES.c.approved)
        return int(self._run(lambda conn: conn.scalar(count)) or 0)

    def kept_charges(self) -> dict[str, int]:
        """Amount in cents by idempotency key, of charges taken and not reversed."""
        query = select(SANDBOX_CHARGES.c.idempotency_key, SANDBOX_CHARGES.c.amount_cents)
        rows = self._run(lambda conn: conn.execute(query.where(_KEPT)).all())
        return {row.idempotency_key: row.amount_cents for row in rows}

    def _keep(self, request: ChargeRequest, answer: GatewayResponse) -> GatewayResponse:
        """Record `answer` under the request's key; if the key is taken, the answer kept there."""
        values = _ledger_row(request, answer)
        try:
            self._run(lambda conn: conn.execute(insert(SANDBOX_CHARGES), values), write=True)
        except IntegrityError:
            kept = self.lookup(request.idempotency_key)
            if kept is None:
                raise GatewayUnavailable("sandbox ledger: key taken but not found") from None
            return kept
        return answer

    def _run(self, work: Callable[[Connection], T], write: bool = False) -> T:
        """Run `work` on a connection; a database problem is the processor being unreachable."""
        return on_ledger(self._engine, work, write, "sandbox ledger")


def _ledger_row(request: ChargeRequest, answer: GatewayResponse) -> dict[str, object]:
    """What the ledger keeps of a charge: never the card or account number."""
    return {
        "idempotency_key": request.idempotency_key,
        "amount_cents": request.amount_cents,
        "method": request.instrument.method,
        "last4": request.instrument.last4,
        "approved": answer.approved,
        "transaction_id": answer.transaction_id,
        "decline_reason": answer.decline_reason.value if answer.decline_reason else None,
        "message": answer.message,
        "reversed": False,
        "created_at": datetime.now(UTC),
    }


def _response(row: Row[tuple[object, ...]]) -> GatewayResponse:
    reason = DeclineReason(row.decline_reason) if row.decline_reason else None
    return GatewayResponse(row.approved, row.transaction_id, reason, row.message)


def _decide(request: ChargeRequest) -> GatewayResponse:
    reference = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:16]
    if request.amount_cents <= 0:
        return _declined(DeclineReason.GENERIC, "amount must be positive")
    if not isinstance(request.instrument, CardDetails):
        raise TypeError("the sandbox card processor takes cards only")
    return _card(request.instrument, reference)


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


def _declined(reason: DeclineReason, message: str) -> GatewayResponse:
    return GatewayResponse(False, None, reason, message)
