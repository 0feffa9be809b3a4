"""The payment gateway interface. Adapters (the sandbox, a real processor) implement `Gateway`.

`ChargeRequest` is the only place a full card or account number travels, and only in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from payments.domain.instruments import Instrument
from payments.domain.values import DeclineReason

T = TypeVar("T")


@dataclass(frozen=True)
class ChargeRequest:
    idempotency_key: str
    amount_cents: int
    instrument: Instrument = field(repr=False)
    description: str


@dataclass(frozen=True)
class GatewayResponse:
    """The gateway's final answer to one charge."""

    approved: bool
    transaction_id: str | None
    decline_reason: DeclineReason | None = None  # PROCESSING_ERROR: failed, nothing charged
    message: str = ""


GATEWAY_TIMEOUT = 30.0  # seconds; the sandbox's slow card (20 s) stays inside it


class GatewayUnavailable(Exception):
    """Timeout or connection failure: the caller cannot know whether the charge happened."""


def on_ledger(engine: Engine, work: Callable[[Connection], T], write: bool, ledger: str) -> T:
    """`work` on a connection of a processor kept in a database (the sandbox's ledger, the ACH
    originator's entries), in a transaction when `write`: a database problem is the processor
    being unreachable (GatewayUnavailable naming `ledger`), except a unique key's refusal,
    which the caller reads as "already there"."""
    try:
        with engine.begin() if write else engine.connect() as conn:
            return work(conn)
    except IntegrityError:
        raise
    except SQLAlchemyError as error:
        raise GatewayUnavailable(f"{ledger}: {type(error).__name__}") from None


class Gateway(Protocol):
    """A payment processor. Every call ends within GATEWAY_TIMEOUT seconds, with an answer or
    GatewayUnavailable: reconciliation relies on no charge staying in flight longer than that."""

    def charge(self, request: ChargeRequest) -> GatewayResponse:
        """Charge once per idempotency key: a repeated key returns the first answer, never charging
        again. Raises GatewayUnavailable when the outcome is unknown."""
        ...

    def lookup(self, idempotency_key: str) -> GatewayResponse | None:
        """The answer given to `idempotency_key`, or None when the gateway never received it.
        Raises GatewayUnavailable."""
        ...

    def reverse(self, idempotency_key: str) -> None:
        """Give back the money of an approved charge (a timeout reversal / void or full refund).
        Raises GatewayUnavailable."""
        ...
