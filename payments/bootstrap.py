"""The composition root of the payments core: the server, every worker and every `ivr` command
build it here from the same settings, so they share one database and one gateway."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from payments.domain.clock import Clock, system_clock
from payments.gateways.base import Gateway
from payments.gateways.registry import make_gateway
from payments.services.agents import AgentService
from payments.services.service import PaymentService
from payments.storage.db import make_engine, make_uow_factory
from payments.storage.unit_of_work import UnitOfWorkFactory


@dataclass
class PaymentsCore:
    engine: Engine
    uow: UnitOfWorkFactory
    gateway: Gateway
    service: PaymentService
    agents: AgentService  # agent console accounts, sessions and their audited actions

    def close(self) -> None:
        """Let charges in flight finish, then release the database connections."""
        self.service.close()
        self.engine.dispose()


def build_core(
    database_url: str,
    gateway_name: str = "sandbox",
    clock: Clock = system_clock,
    gateway: Gateway | None = None,
) -> PaymentsCore:
    """The core on `database_url`, charging through the adapter `gateway_name` (the `GATEWAY`
    setting) unless a `gateway` is handed in (tests inject faults that way)."""
    engine = make_engine(database_url)
    uow = make_uow_factory(engine)
    chosen = gateway if gateway is not None else make_gateway(gateway_name, engine)
    service = PaymentService(uow, chosen, clock)
    return PaymentsCore(engine, uow, chosen, service, AgentService(uow, clock, service))
