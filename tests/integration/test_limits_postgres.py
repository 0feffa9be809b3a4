"""SPEC "Limits that protect members", exactly, with guesses arriving at once on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeVar

import pytest
from sqlalchemy import func, select

from payments.domain.errors import TooManyDeclines
from payments.domain.instruments import CardDetails
from payments.domain.values import Caller, Channel, PaymentRequest, PaymentStatus, VerifyResult
from payments.gateways.sandbox import SandboxGateway
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.services.service import PaymentService
from payments.storage.db import make_engine, make_uow_factory, upgrade_database
from payments.storage.tables import AUDIT_EVENTS, FAILURES, SANDBOX_CHARGES, UNKNOWN_IDS
from tests.doubles import FakeClock
from tests.integration.concurrency import all_at_once

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
ANA = "100000000001"
T = TypeVar("T")


@pytest.fixture()
def core(fresh_postgres_url: str) -> Iterator[tuple[PaymentService, object]]:
    upgrade_database(fresh_postgres_url)
    engine = make_engine(fresh_postgres_url, pool_size=12)
    uow = make_uow_factory(engine)
    import_accounts(uow, demo_accounts(date(2026, 11, 10)))
    service = PaymentService(uow, SandboxGateway(engine), FakeClock(NOW))
    yield service, engine
    service.close()
    engine.dispose()


def count(engine, query) -> int:
    with engine.connect() as conn:
        return conn.execute(query).scalar_one()


PHONE = Caller("+16175550142")


def test_ten_wrong_birth_dates_at_once_from_one_number_record_exactly_five(core) -> None:
    service, engine = core
    results = all_at_once(10, lambda _: service.verify(ANA, date(1999, 1, 1), PHONE).result)
    assert results.count(VerifyResult.MISMATCH) == 4  # the fifth failure locks: LOCKED
    assert results.count(VerifyResult.LOCKED) == 6
    assert count(engine, select(func.count()).select_from(FAILURES)) == 5
    assert service.verify(ANA, date(1980, 4, 17), PHONE).result is VerifyResult.LOCKED


def test_wrong_dates_at_once_from_many_numbers_slow_the_account_after_exactly_five(core) -> None:
    """Ten strangers at once: five failures are judged, then the account waits; the owner on
    their attested phone is let in at once."""
    service, engine = core
    results = all_at_once(
        10, lambda i: service.verify(ANA, date(1999, 1, 1), Caller(f"+1617555{i:04d}")).result
    )
    assert results.count(VerifyResult.MISMATCH) == 5
    assert results.count(VerifyResult.SLOWED) == 5
    assert count(engine, select(func.count()).select_from(FAILURES)) == 5
    owner = Caller("+16175550100", attested=True)
    assert service.verify(ANA, date(1980, 4, 17), owner).result is VerifyResult.OK


def test_a_right_date_racing_wrong_ones_is_judged_in_order(core) -> None:
    """Whatever order the guesses take, the right one passes only if fewer than five wrong
    ones were recorded before it (the audit trail keeps the order)."""
    service, engine = core
    guesses = [date(1980, 4, 17)] + [date(1999, 1, d) for d in range(1, 9)]
    results = all_at_once(len(guesses), lambda i: service.verify(ANA, guesses[i], PHONE).result)
    with engine.connect() as conn:
        actions = conn.scalars(
            select(AUDIT_EVENTS.c.action)
            .where(AUDIT_EVENTS.c.action.like("verify.%"))
            .order_by(AUDIT_EVENTS.c.id)
        ).all()
    failures_before_right = actions[: actions.index(_right_guess_action(results[0]))].count(
        "verify.failed"
    )
    assert (results[0] is VerifyResult.OK) == (failures_before_right < 5)
    assert count(engine, select(func.count()).select_from(FAILURES)) == 5


def _right_guess_action(result: VerifyResult) -> str:
    return "verify.ok" if result is VerifyResult.OK else "verify.refused_locked"


def test_unknown_ids_from_one_number_at_once_block_it_after_exactly_ten(core) -> None:
    service, engine = core
    caller = Caller("+16175550199")
    wrong = date(1999, 1, 1)
    found = all_at_once(15, lambda i: service.verify(f"9999999999{i:02d}", wrong, caller).result)
    assert count(engine, select(func.count()).select_from(UNKNOWN_IDS)) == 10
    assert found.count(VerifyResult.MISMATCH) == 10 and found.count(VerifyResult.BLOCKED) == 5
    assert service.caller_blocked(caller)  # even for a real member's ID, today
    assert not service.caller_blocked(Caller("+16175550198"))  # other numbers are free


def test_withheld_callers_at_once_spend_one_budget_of_exactly_ten(core) -> None:
    service, engine = core
    wrong = date(1999, 1, 1)
    found = all_at_once(15, lambda i: service.verify(f"9999999999{i:02d}", wrong, Caller()).result)
    assert count(engine, select(func.count()).select_from(UNKNOWN_IDS)) == 10
    assert found.count(VerifyResult.MISMATCH) == 10 and found.count(VerifyResult.BLOCKED) == 5


def test_declines_for_one_subscriber_at_once_reach_the_processor_six_times(core) -> None:
    service, engine = core
    declined = CardDetails("4000000000000002", 12, 2030, "123", "02110")

    def attempt(i: int) -> str:
        plan = "H-100000000001" if i % 2 else "D-100000000001"
        request = PaymentRequest(
            ANA, plan, Decimal("1.00"), declined, Channel.VOICE, f"k{i}", call_sid=f"CA{i}"
        )
        try:
            return service.submit_payment(request).status.value
        except TooManyDeclines as refused:
            return refused.scope

    results = all_at_once(9, attempt)
    assert results.count(PaymentStatus.DECLINED.value) == 6
    assert results.count("subscriber") == 3
    assert count(engine, select(func.count()).select_from(SANDBOX_CHARGES)) == 6
