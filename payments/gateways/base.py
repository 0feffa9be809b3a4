"""The payment gateway interface. Adapters (the sandbox, a real processor) implement `Gateway`.

`ChargeRequest` is the only place a full card or account number travels, and only in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from payments.domain.instruments import Instrument
from payments.domain.values import DeclineReason


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
