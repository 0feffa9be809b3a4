"""The payments core on real PostgreSQL: migrations, row locks and idempotency under threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from psycopg.pq import TransactionStatus
from sqlalchemy import delete, select, text

from payments.domain.errors import AmountNotAllowed
from payments.domain.instruments import CardDetails
from payments.domain.values import Channel, DeclineReason, PaymentRequest, PaymentStatus
from payments.gateways.base import GatewayResponse
from payments.gateways.sandbox import SandboxGateway
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.services.charging import ChargeResult
from payments.services.recording import answer_changes, write_changes
from payments.services.service import PaymentService
from payments.services.submission import Reserver
from payments.storage import audit, new_payment
from payments.storage import db as db_module
from payments.storage.db import make_engine, make_uow_factory, upgrade_database
from payments.storage.ledger import plan_ledger
from payments.storage.models import (
    AuditEvent,
    BankAuthorization,
    Base,
    Payment,
    PaymentAllocation,
    SandboxCharge,
    UnknownIdAttempt,
    VerificationFailure,
)
from payments.storage.repository import lock_plan_of_payment
from tests.doubles import FakeClock, FlakyGateway
from tests.integration.concurrency import all_at_once

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)
LUIS_PLAN = ("100000000002", "H-100000000002")


class SlowGateway(FlakyGateway):
    """Holds each charge a moment so that concurrent requests overlap; counts them."""

    def charge(self, request):
        threading.Event().wait(0.05)
        return super().charge(request)


@pytest.fixture(scope="module")
def engine(postgres_url: str):
    upgrade_database(postgres_url)
    upgrade_database(postgres_url)  # a second run is a no-op
    engine = make_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture()
def db(engine) -> Iterator:
    uow_factory = make_uow_factory(engine)
    import_accounts(uow_factory, demo_accounts(date(2026, 11, 10)))
    yield uow_factory
    with uow_factory() as uow:
        for model in (
            PaymentAllocation,
            BankAuthorization,
            Payment,
            AuditEvent,
            VerificationFailure,
            SandboxCharge,
            UnknownIdAttempt,
        ):
            uow.session.execute(delete(model))
        uow.commit()


def request(key: str, amount: str = "412.50") -> PaymentRequest:
    subscriber_id, plan_id = LUIS_PLAN
    return PaymentRequest(
        subscriber_id=subscriber_id,
        plan_id=plan_id,
        amount=Decimal(amount),
        instrument=CardDetails("4242424242424242", 12, 2030, "123", "01841"),
        channel=Channel.VOICE,
        idempotency_key=key,
    )


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_eight_callers_paying_the_full_balance_at_once_approve_exactly_one(engine, db):
    gateway = SlowGateway(SandboxGateway(engine))
    service = PaymentService(db, gateway, FakeClock(NOW))

    def attempt(i: int) -> str:
        try:
            return service.submit_payment(request(f"full-{i}")).status.value
        except AmountNotAllowed:
            return "refused"

    results = all_at_once(8, attempt)
    assert results.count("approved") == 1 and results.count("refused") == 7
    with db() as uow:
        approved = uow.session.scalars(
            select(Payment.amount).where(Payment.status == PaymentStatus.APPROVED.value)
        ).all()
    assert sum(approved) == Decimal("412.50")
    assert gateway.charged_cents() == 41250
    assert service.account_summary(LUIS_PLAN[0]).plans[0].balance == 0


def test_partial_payments_racing_never_exceed_the_balance(engine, db):
    gateway = SlowGateway(SandboxGateway(engine))
    service = PaymentService(db, gateway, FakeClock(NOW))

    def attempt(i: int) -> Decimal:
        try:
            return service.submit_payment(request(f"part-{i}", "100.00")).remaining_balance
        except AmountNotAllowed:
            return Decimal("-1")

    results = all_at_once(8, attempt)
    assert results.count(Decimal("-1")) == 4  # 412.50 holds four payments of 100.00
    assert gateway.charged_cents() == 40000


def test_one_key_from_four_threads_is_one_payment_and_one_charge(engine, db):
    gateway = SlowGateway(SandboxGateway(engine))
    service = PaymentService(db, gateway, FakeClock(NOW))
    outcomes = all_at_once(4, lambda _: service.submit_payment(request("same")))
    assert all(o.charged for o in outcomes)
    assert len({o.confirmation for o in outcomes}) == 1
    assert gateway.charges() == 1 and gateway.charge_calls == 1
    with db() as uow:
        assert len(uow.session.scalars(select(Payment.id)).all()) == 1


def test_timestamps_come_back_aware_utc(engine, db):
    service = PaymentService(db, SandboxGateway(engine), FakeClock(NOW))
    service.submit_payment(request("k", "1.00"))
    with db() as uow:
        created = uow.session.scalars(select(Payment.created_at)).one()
    assert created == NOW and created.utcoffset().total_seconds() == 0


# --- pooled connections: pinged only after sitting idle -----------------------------------


def _backend_pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def test_a_connection_dropped_while_idle_is_replaced(postgres_url, monkeypatch):
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
    engine, admin = make_engine(postgres_url, pool_size=1), make_engine(postgres_url)
    try:
        dropped = _backend_pid(engine)
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": dropped})
        assert _backend_pid(engine) != dropped  # the ping failed: a new connection served
    finally:
        engine.dispose()
        admin.dispose()


def test_a_connection_used_moments_ago_is_not_pinged(postgres_url, monkeypatch):
    engine = make_engine(postgres_url, pool_size=1)
    pings = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    try:
        assert _backend_pid(engine) == _backend_pid(engine) and pings == []
    finally:
        engine.dispose()


def test_readers_and_autocommit_units_run_outside_a_transaction_writers_inside_one(engine):
    uow_factory = make_uow_factory(engine)

    def transaction_status(uow) -> TransactionStatus:
        uow.session.execute(select(1))
        return uow.session.connection().connection.dbapi_connection.info.transaction_status

    for _ in range(2):  # the pooled connection goes back to transactions after a reader
        with uow_factory.reader() as reader:
            assert transaction_status(reader) is TransactionStatus.IDLE
        with uow_factory.autocommit() as single_write:
            assert transaction_status(single_write) is TransactionStatus.IDLE
        with uow_factory() as writer:
            assert transaction_status(writer) is TransactionStatus.INTRANS


def test_a_writer_left_without_commit_rolls_back(db):
    written = select(AuditEvent.action).where(AuditEvent.actor == "t")
    with db() as uow:
        audit.record(uow.connection, NOW, "t", "left", "s")
        assert uow.session.scalars(written).all() == ["left"]
    with db.reader() as uow:
        assert uow.session.scalars(written).all() == []


def _wait_until_blocked_on_a_lock(engine) -> None:
    query = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    for _ in range(200):
        with engine.connect() as conn:
            if conn.execute(query).scalar_one():
                return
        time.sleep(0.01)
    raise AssertionError("nothing ever waited on a lock")


def test_an_answer_recorded_while_another_waited_for_the_plan_is_not_recorded_twice(engine, db):
    clock = FakeClock(NOW)
    reserver = Reserver(db, clock)
    payment_id = reserver.reserve(request("k", "100.00")).payment["id"]
    declined = ChargeResult(GatewayResponse(False, None, DeclineReason.GENERIC))
    with db() as uow, ThreadPoolExecutor(1) as pool:
        subject, payment = lock_plan_of_payment(uow.connection, payment_id)
        late = pool.submit(reserver.record, payment_id, declined)  # waits for the plan's lock
        _wait_until_blocked_on_a_lock(engine)
        ledger = plan_ledger(uow.connection, payment["plan_id"])
        approved = ChargeResult(GatewayResponse(True, "txn_1"))
        changes = answer_changes(payment, subject, ledger, approved, NOW, "caller")
        assert write_changes(uow.connection, payment_id, changes)
        uow.commit()
    outcome = late.result()
    assert (outcome.status, outcome.charged) == (PaymentStatus.APPROVED, True)
    assert outcome.remaining_balance == Decimal("312.50")
    with db() as uow:
        answers = uow.session.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("payment.%"))
        ).all()
        allocated = uow.session.scalars(select(PaymentAllocation.amount)).all()
    assert sorted(answers) == ["payment.approved", "payment.submitted"]
    assert allocated == [Decimal("100.00")]


def test_a_taken_confirmation_number_is_drawn_again_on_postgres(engine, db, monkeypatch):
    service = PaymentService(db, SandboxGateway(engine), FakeClock(NOW))
    first = service.submit_payment(request("a", "1.00"))
    drawn = iter([first.confirmation, "WXYWXYWX"])
    monkeypatch.setattr(new_payment, "new_confirmation", lambda: next(drawn))
    second = service.submit_payment(request("b", "1.00"))  # the first insert fails: retried
    assert second.charged and second.confirmation == "WXYWXYWX"
