"""Cards go to the card processor (`GATEWAY`); bank accounts to the line's own ACH originator
(payments.bank.originator). One gateway for the payments service and reconciliation alike."""

from __future__ import annotations

from payments.domain.instruments import BankDetails
from payments.gateways.base import ChargeRequest, Gateway, GatewayResponse


class ByMethod:
    def __init__(self, card: Gateway, bank: Gateway) -> None:
        self.card = card
        self.bank = bank

    def charge(self, request: ChargeRequest) -> GatewayResponse:
        chosen = self.bank if isinstance(request.instrument, BankDetails) else self.card
        return chosen.charge(request)

    def lookup(self, idempotency_key: str) -> GatewayResponse | None:
        """Asked of both: a key is a card's or a bank account's, and reconciliation does not
        know which. The originator is asked first: it is the line's own database."""
        found = self.bank.lookup(idempotency_key)
        return found if found is not None else self.card.lookup(idempotency_key)

    def reverse(self, idempotency_key: str) -> None:
        if self.bank.lookup(idempotency_key) is not None:
            self.bank.reverse(idempotency_key)
        else:
            self.card.reverse(idempotency_key)
