"""Agent login limits on PostgreSQL, with attempts arriving at once: counted exactly."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TypeVar

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from payments.gateways.sandbox import SandboxGateway
from payments.services.agents import AgentService, InvalidLogin, LoginLimited
from payments.services.service import PaymentService
from payments.storage.db import make_engine, make_uow_factory, upgrade_database
from payments.storage.models import AgentLoginFailure, AgentSession, AuditEvent
from tests.doubles import FakeClock
from tests.integration.concurrency import all_at_once

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
OFFICE = "10.0.0.7"
ATTEMPTS = 30
T = TypeVar("T")


@pytest.fixture()
def agents(fresh_postgres_url: str) -> Iterator[tuple[AgentService, object]]:
    upgrade_database(fresh_postgres_url)
    engine = make_engine(fresh_postgres_url, pool_size=ATTEMPTS + 2)
    uow, clock = make_uow_factory(engine), FakeClock(NOW)
    payments = PaymentService(uow, SandboxGateway(engine), clock)
    cheap = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # tests only
    service = AgentService(uow, clock, payments, cheap, sleep=lambda seconds: None)
    service.add_agent("dana", "Dana Reyes", PASSWORD)
    yield service, engine
    payments.close()
    engine.dispose()


def outcome(service: AgentService, username: str, password: str, client: str) -> str:
    try:
        service.log_in(username, password, client)
    except InvalidLogin:
        return "invalid"
    except LoginLimited:
        return "limited"
    return "ok"


def count(engine, model: type, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_wrong_passwords_for_a_username_from_an_address_at_once_are_checked_five_times(agents):
    service, engine = agents
    results = all_at_once(ATTEMPTS, lambda i: outcome(service, "dana", "wrong pw", OFFICE))
    assert results.count("invalid") == 5 and results.count("limited") == ATTEMPTS - 5
    assert count(engine, AgentLoginFailure) == 5
    assert count(engine, AuditEvent, AuditEvent.action == "agent.login_failed") == 5
    assert count(engine, AuditEvent, AuditEvent.action == "agent.login_limited") == ATTEMPTS - 5
    assert outcome(service, "dana", PASSWORD, OFFICE) == "limited"
    assert outcome(service, "dana", PASSWORD, "10.0.0.8") == "ok"  # never refused elsewhere


def test_strangers_at_once_from_many_addresses_never_refuse_the_agent(agents) -> None:
    service, engine = agents
    clients = [f"10.0.1.{i}" for i in range(ATTEMPTS)]
    results = all_at_once(ATTEMPTS, lambda i: outcome(service, "dana", "wrong pw", clients[i]))
    assert results == ["invalid"] * ATTEMPTS  # each checked (slowed), none refused
    assert outcome(service, "dana", PASSWORD, OFFICE) == "ok"


def test_guesses_from_one_address_at_once_are_checked_exactly_twenty_times(agents) -> None:
    service, engine = agents
    results = all_at_once(
        ATTEMPTS, lambda i: outcome(service, f"guess{i}", "wrong password", OFFICE)
    )
    assert results.count("invalid") == 20 and results.count("limited") == ATTEMPTS - 20
    assert count(engine, AgentLoginFailure, AgentLoginFailure.client == OFFICE) == 20
    assert outcome(service, "dana", PASSWORD, "10.0.0.8") == "ok"  # other addresses are free


def test_a_right_password_racing_wrong_ones_never_lets_a_sixth_failure_through(agents) -> None:
    """Whatever the order: five failures at most, and the right password either opens exactly
    one session (its place among the failures given back) or is refused unchecked."""
    service, engine = agents
    passwords = [PASSWORD] + ["wrong pw"] * 9
    results = all_at_once(len(passwords), lambda i: outcome(service, "dana", passwords[i], OFFICE))
    invalid = results.count("invalid")
    assert results[0] in {"ok", "limited"}
    assert count(engine, AgentLoginFailure) == invalid
    # Four only when the right one held the fifth place while the others were refused.
    assert invalid == 5 or (invalid == 4 and results[0] == "ok")
    assert count(engine, AgentSession) == (1 if results[0] == "ok" else 0)
