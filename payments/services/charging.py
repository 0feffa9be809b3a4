"""Asking the gateway for a charge so that the caller can always be told the truth.

A timeout leaves the caller's money in an unknown state; "unknown" is never an answer here:

1. Charge. An answer is the truth.
2. The gateway is unreachable (or the adapter failed): ask it what it saw for this idempotency
   key. An answer is the truth. "Never received" means nothing was charged: FAILED.
3. The lookup fails too: charge again with the same key. Idempotency makes this safe: a gateway
   that did take the first request returns that same answer instead of charging twice.
4. Still nothing: FAILED, "not charged".

In cases 2 ("never received", since the first request might still land late) and 4 the payment
is marked `unresolved`, and `payments.operations.reconcile` later looks the key up and reverses
any charge found, so that "not charged" stays true. The caller is never asked to wait on
"unknown", and a charge we could not see is given back rather than kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from payments.domain.values import DeclineReason
from payments.gateways.base import ChargeRequest, Gateway, GatewayResponse, GatewayUnavailable

log = logging.getLogger(__name__)

NOT_RECEIVED = GatewayResponse(False, None, DeclineReason.PROCESSING_ERROR, "never received")
NO_ANSWER = GatewayResponse(False, None, DeclineReason.PROCESSING_ERROR, "gateway unreachable")


@dataclass(frozen=True)
class ChargeResult:
    response: GatewayResponse
    unresolved: bool = False  # told "not charged"; reconciliation must confirm or reverse


def charge_truthfully(gateway: Gateway, request: ChargeRequest) -> ChargeResult:
    key = request.idempotency_key
    try:
        return ChargeResult(gateway.charge(request))
    except Exception as error:  # noqa: BLE001 - any failure leaves the outcome unknown
        # The class name only: an adapter's message could quote the request.
        log.warning("charge %s: %s; looking the key up", key, type(error).__name__)
    try:
        seen = gateway.lookup(key)
    except GatewayUnavailable:
        log.warning("charge %s: lookup unavailable; retrying the charge with the same key", key)
    else:
        if seen is not None:
            return ChargeResult(seen)
        log.warning("charge %s: the gateway never received it; not charged", key)
        return ChargeResult(NOT_RECEIVED, unresolved=True)
    try:
        return ChargeResult(gateway.charge(request))
    except GatewayUnavailable:
        log.error("charge %s: gateway still unavailable; recorded as not charged", key)
        return ChargeResult(NO_ANSWER, unresolved=True)
