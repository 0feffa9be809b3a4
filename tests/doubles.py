"""Test doubles for the payments core, shared by this package's tests and the IVR's.

Nothing here is used in production; it has no test-framework imports.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine

from payments.gateways.base import ChargeRequest, Gateway, GatewayResponse, GatewayUnavailable
from payments.gateways.sandbox import SandboxGateway
from payments.storage.db import make_engine, make_uow_factory, upgrade_database
from payments.storage.tables import SANDBOX_CHARGES
from payments.storage.unit_of_work import UnitOfWorkFactory


class FakeClock:
    """A settable clock returning aware datetimes."""

    def __init__(self, now: datetime) -> None:
        if now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class FlakyGateway:
    """Wraps a gateway and misbehaves on a script, one mode per call, then behaves.

    charge modes: "ok"; "drop" (lost before reaching the gateway); "lose_reply" (the gateway
    charges, the reply is lost); "crash" (the adapter raises an unexpected error).
    lookup modes: "ok"; "down".
    """

    def __init__(
        self, inner: Gateway, charges: Iterable[str] = (), lookups: Iterable[str] = ()
    ) -> None:
        self.inner = inner
        self._charges = list(charges)
        self._lookups = list(lookups)
        self._lock = threading.Lock()
        self.calls: list[str] = []

    def _next(self, script: list[str], call: str) -> str:
        with self._lock:
            self.calls.append(call)
            return script.pop(0) if script else "ok"

    def charge(self, request: ChargeRequest) -> GatewayResponse:
        mode = self._next(self._charges, "charge")
        if mode == "drop":
            raise GatewayUnavailable("timed out connecting")
        if mode == "crash":
            raise RuntimeError("adapter bug")
        response = self.inner.charge(request)
        if mode == "lose_reply":
            raise GatewayUnavailable("timed out reading the reply")
        return response

    def lookup(self, idempotency_key: str) -> GatewayResponse | None:
        if self._next(self._lookups, "lookup") == "down":
            raise GatewayUnavailable("lookup timed out")
        return self.inner.lookup(idempotency_key)

    def reverse(self, idempotency_key: str) -> None:
        self.calls.append("reverse")
        self.inner.reverse(idempotency_key)

    @property
    def charge_calls(self) -> int:
        """How many charges reached the gateway (repeated keys counted each time)."""
        return self.calls.count("charge")

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)  # the sandbox's ledger helpers


def migrated_sqlite(directory: Path) -> tuple[Engine, UnitOfWorkFactory]:
    """A fresh, migrated SQLite database file in `directory`."""
    url = f"sqlite:///{directory / 'payments.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    return engine, make_uow_factory(engine)


def standalone_sandbox(**options: object) -> SandboxGateway:
    """A sandbox gateway whose ledger is an in-memory database of its own."""
    engine = make_engine("sqlite:///:memory:")
    SANDBOX_CHARGES.create(engine)
    return SandboxGateway(engine, **options)  # type: ignore[arg-type]


class DeadCharger:
    """A server process that died right after reserving: its charges never finish here.

    Tests make the processor's side happen (or not) themselves, then reconcile, as an operator
    would after a restart.
    """

    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, key: str, job: object) -> None:
        self.started.append(key)

    def later(self, work: object) -> None:
        pass

    def in_flight(self) -> list[str]:
        return []  # dead: it renews no lease

    def wait(self, key: str, timeout: float) -> None:
        return None

    def shutdown(self, wait: bool = True) -> None:
        pass
