"""The composition root of the payments core: the server, every worker and every `ivr` command
build it here from the same settings, so they share one database and one gateway."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from payments.bank.originator import AchOriginator
from payments.bank.sealing import Sealer
from payments.domain.clock import Clock, system_clock
from payments.gateways.base import Gateway
from payments.gateways.registry import make_gateway
from payments.gateways.routing import ByMethod
from payments.services.agents import AgentService
from payments.services.autopay import AutopayService
from payments.services.receipts import Receipts
from payments.services.service import PaymentService
from payments.storage.db import make_engine, make_uow_factory
from payments.storage.unit_of_work import UnitOfWorkFactory


@dataclass
class PaymentsCore:
    engine: Engine
    uow: UnitOfWorkFactory
    gateway: Gateway  # the card processor (`GATEWAY`)
    bank: AchOriginator  # bank debits: the line's own ACH entries
    processor: ByMethod  # cards to `gateway`, bank accounts to `bank`
    sealer: Sealer  # bank account numbers at rest
    service: PaymentService
    agents: AgentService  # agent console accounts, sessions and their audited actions
    autopay: AutopayService  # enrolments, changes and cancellations
    receipts: Receipts  # SMS receipts asked for during a call
    clock: Clock = system_clock

    def close(self) -> None:
        """Let charges in flight finish, then release the database connections."""
        self.service.close()
        self.engine.dispose()


def build_core(
    database_url: str,
    gateway_name: str = "sandbox",
    clock: Clock = system_clock,
    gateway: Gateway | None = None,
    bank_key: str | None = None,
    service_phone: str = "1-877-623-6765",
) -> PaymentsCore:
    """The core on `database_url`, charging cards through the adapter `gateway_name` (the
    `GATEWAY` setting) unless a `gateway` is handed in (tests inject faults that way), and
    sealing bank account numbers with `bank_key` (BANK_DATA_KEY; None: a key of this process
    only, for tests)."""
    engine = make_engine(database_url)
    uow = make_uow_factory(engine)
    card = gateway if gateway is not None else make_gateway(gateway_name, engine)
    sealer = Sealer(bank_key) if bank_key else Sealer.ephemeral()
    bank = AchOriginator(engine, sealer, clock)
    processor = ByMethod(card, bank)
    service = PaymentService(uow, processor, clock)
    agents = AgentService(uow, clock, service)
    autopay = AutopayService(uow, sealer, clock, service_phone)
    receipts = Receipts(uow, clock)
    return PaymentsCore(
        engine, uow, card, bank, processor, sealer, service, agents, autopay, receipts, clock
    )
