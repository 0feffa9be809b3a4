"""The line originates its own bank debits (NACHA files to its bank, payments.bank.export):
behind the gateway interface, "charging" a bank account queues its ACH entry.

A bank debit taken on a call is reserved, charged and recorded like a card payment
(payments.services.submission). Its charge is the entry, written in a transaction of its own
with the account number sealed: an approved debit is one whose entry is durably queued, so
reconciliation can ask here, by idempotency key, as it asks a card processor. A queued entry
is sent in the next file once its payment is recorded as approved; one whose payment was told
"not charged" is never sent, and reconciliation's reversal cancels it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, bindparam, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from payments.bank.sealing import Sealer
from payments.domain.ach import transaction_code
from payments.domain.clock import Clock, eastern_date
from payments.domain.instruments import BankDetails, aba_routing_valid, bank_account_valid
from payments.domain.values import DeclineReason
from payments.gateways.base import (
    ChargeRequest,
    GatewayResponse,
    on_ledger,
)
from payments.storage.tables import ACH_ENTRIES, MEMBERS, PAYMENTS, PLANS

QUEUED, EXPORTED, SETTLED, RETURNED, CANCELLED = (
    "queued",
    "exported",
    "settled",
    "returned",
    "cancelled",
)
NAME_LENGTH = 22

_BY_KEY = select(ACH_ENTRIES.c.id).where(ACH_ENTRIES.c.idempotency_key == bindparam("key"))
_CANCEL = (
    update(ACH_ENTRIES)
    .where(ACH_ENTRIES.c.idempotency_key == bindparam("key"), ACH_ENTRIES.c.status == QUEUED)
    .values(status=CANCELLED, account_sealed=None, updated_at=bindparam("now"))
)


class AchOriginator:
    """Bank debits as ACH entries in the line's own database (see the module's docstring)."""

    def __init__(self, engine: Engine, sealer: Sealer, clock: Clock) -> None:
        self._engine = engine
        self._sealer = sealer
        self._clock = clock

    def charge(self, request: ChargeRequest) -> GatewayResponse:
        bank = request.instrument
        if not isinstance(bank, BankDetails):
            raise TypeError("the ACH originator takes bank accounts only")
        if not (aba_routing_valid(bank.routing_number) and bank_account_valid(bank.account_number)):
            return GatewayResponse(
                False, None, DeclineReason.INVALID_ACCOUNT, "routing or account number rejected"
            )
        try:
            entry_id = self._run(lambda conn: self._queue(conn, request, bank), write=True)
        except IntegrityError:
            entry_id = None  # the same key again: the entry already queued is the answer
        if entry_id is None:
            kept = self.lookup(request.idempotency_key)
            if kept is None:
                return GatewayResponse(
                    False, None, DeclineReason.PROCESSING_ERROR, "no payment under this key"
                )
            return kept
        return _approved(entry_id)

    def lookup(self, idempotency_key: str) -> GatewayResponse | None:
        found = self._run(lambda conn: conn.scalar(_BY_KEY, {"key": idempotency_key}))
        return None if found is None else _approved(found)

    def reverse(self, idempotency_key: str) -> None:
        """Cancel the entry before it is sent (an entry is sent only for a payment recorded as
        approved, so one told "not charged" is always still queued)."""
        params = {"key": idempotency_key, "now": self._clock()}
        self._run(lambda conn: conn.execute(_CANCEL, params), write=True)

    def _queue(self, conn: Any, request: ChargeRequest, bank: BankDetails) -> int | None:
        now = self._clock()
        values = {
            "payment_id": PAYMENTS.c.id,
            "idempotency_key": PAYMENTS.c.idempotency_key,
            "payment_type": literal("S"),
            "reinitiated": literal(False),
            "transaction_code": literal(transaction_code(bank.account_type.value)),
            "routing": literal(bank.routing_number),
            "account_sealed": literal(self._sealer.seal(bank.account_number)),
            "last4": literal(bank.last4),
            "amount_cents": literal(request.amount_cents),
            "individual_id": MEMBERS.c.subscriber_id,
            "individual_name": func.substr(
                MEMBERS.c.first_name + literal(" ") + MEMBERS.c.last_name, 1, NAME_LENGTH
            ),
            "effective_date": literal(eastern_date(now)),
            "status": literal(QUEUED),
            "created_at": literal(now, ACH_ENTRIES.c.created_at.type),
            "updated_at": literal(now, ACH_ENTRIES.c.updated_at.type),
        }
        source = (
            select(*values.values())
            .join(PLANS, PAYMENTS.c.plan_id == PLANS.c.id)
            .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
            .where(PAYMENTS.c.idempotency_key == request.idempotency_key)
        )
        statement = ACH_ENTRIES.insert().from_select(list(values), source)
        entry_id: int | None = conn.scalar(statement.returning(ACH_ENTRIES.c.id))
        return entry_id

    def _run(self, work: Callable[[Any], Any], write: bool = False) -> Any:
        """A database problem is the originator being unreachable, as for any processor."""
        return on_ledger(self._engine, work, write, "ACH entries")


def _approved(entry_id: int) -> GatewayResponse:
    return GatewayResponse(True, f"ach_{entry_id}", None, "debit accepted")
