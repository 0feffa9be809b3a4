"""Migrations, column types, the unit of work, the verification lockout rule, admin output."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text

from payments.domain.instruments import CardDetails
from payments.domain.limits import locked_until
from payments.domain.values import Channel, PaymentRequest
from payments.operations.admin import account_as_json
from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from payments.services.service import PaymentService
from payments.storage import audit
from payments.storage.db import make_engine, upgrade_database
from payments.storage.models import AuditEvent, Base
from tests.doubles import FakeClock, migrated_sqlite, standalone_sandbox

NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


@pytest.fixture()
def database(tmp_path):
    engine, uow_factory = migrated_sqlite(tmp_path)
    yield engine, uow_factory
    engine.dispose()


def test_migrations_match_the_models_and_rerun_cleanly(tmp_path, database):
    engine, _ = database
    upgrade_database(str(engine.url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []


def test_sqlite_enforces_foreign_keys(database):
    engine, _ = database
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_in_memory_sqlite_works(tmp_path):
    engine = make_engine("sqlite://")
    Base.metadata.create_all(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM members")).scalar() == 0
    engine.dispose()


def test_unit_of_work_rolls_back_unless_committed(database):
    _, uow_factory = database
    with uow_factory() as uow:
        uow.session.add(AuditEvent(at=NOW, actor="t", action="a", subject="s", details={}))
    with uow_factory() as uow:
        uow.session.add(AuditEvent(at=NOW, actor="t", action="b", subject="s", details={}))
        uow.commit()
    with uow_factory() as uow:
        assert uow.session.scalars(select(AuditEvent.action)).all() == ["b"]


def test_unit_of_work_rolls_back_statements_already_executed(database):
    _, uow_factory = database
    with pytest.raises(KeyError), uow_factory() as uow:
        audit.record(uow.connection, NOW, "t", "written", "s")
        assert uow.session.scalars(select(AuditEvent.action)).all() == ["written"]
        raise KeyError("fails before commit")
    with uow_factory() as uow:
        audit.record(uow.connection, NOW, "t", "left", "s")
    with uow_factory.reader() as uow:
        assert uow.session.scalars(select(AuditEvent.action)).all() == []


def test_orm_and_core_writes_share_the_unit_of_work_transaction(database):
    _, uow_factory = database
    actions = select(AuditEvent.action).order_by(AuditEvent.action)
    with uow_factory() as uow:
        uow.session.add(AuditEvent(at=NOW, actor="t", action="orm", subject="s", details={}))
        audit.record(uow.connection, NOW, "t", "core", "s")
        assert uow.session.scalars(actions).all() == ["core", "orm"]
    with uow_factory() as uow:
        assert uow.session.scalars(actions).all() == []  # neither was committed
        uow.session.add(AuditEvent(at=NOW, actor="t", action="orm", subject="s", details={}))
        audit.record(uow.connection, NOW, "t", "core", "s")
        uow.commit()
    with uow_factory.reader() as uow:
        assert uow.session.scalars(actions).all() == ["core", "orm"]


def test_an_autocommit_unit_commits_its_write(database):
    _, uow_factory = database
    with uow_factory.autocommit() as uow:
        assert uow.session.scalars(select(AuditEvent.action)).all() == []
        audit.record(uow.connection, NOW, "t", "once", "s")
        uow.commit()
    with uow_factory.reader() as uow:
        assert uow.session.scalars(select(AuditEvent.action)).all() == ["once"]


def test_a_reader_reads_but_never_writes(database):
    _, uow_factory = database
    with uow_factory.reader() as uow:
        uow.session.add(AuditEvent(at=NOW, actor="t", action="a", subject="s", details={}))
        assert uow.session.scalars(select(AuditEvent.action)).all() == []  # no autoflush
        with pytest.raises(RuntimeError):
            uow.commit()
    with uow_factory.reader() as uow:
        assert uow.session.scalars(select(AuditEvent.action)).all() == []


def test_timestamps_are_stored_as_utc_and_read_back_aware(database):
    _, uow_factory = database
    boston = timezone(timedelta(hours=-5))
    with uow_factory() as uow:
        uow.session.add(AuditEvent(at=NOW.astimezone(boston), actor="t", action="a", subject="s"))
        uow.commit()
    with uow_factory() as uow:
        assert uow.session.scalars(select(AuditEvent.at)).one() == NOW
        assert uow.session.scalars(select(AuditEvent.at)).one().tzinfo is UTC


def test_naive_timestamps_are_refused(database):
    _, uow_factory = database
    with uow_factory() as uow, pytest.raises(Exception, match="naive"):
        uow.session.add(AuditEvent(at=datetime(2026, 1, 1), actor="t", action="a", subject="s"))
        uow.session.flush()


def test_locked_until_needs_five_failures_within_a_day():
    t = NOW
    spaced = [t + timedelta(hours=6 * i) for i in range(5)]  # 24 h from first to fifth
    assert locked_until(spaced, spaced[-1]) == spaced[-1] + timedelta(hours=24)
    too_spread = [t + timedelta(hours=6 * i, minutes=1) for i in range(5)]
    too_spread[0] = t
    assert locked_until(too_spread, too_spread[-1]) is None
    assert locked_until(spaced[:4], spaced[3]) is None


def test_account_as_json_shape(database):
    _, uow_factory = database
    import_accounts(uow_factory, demo_accounts(date(2026, 11, 10)))
    service = PaymentService(uow_factory, standalone_sandbox(), FakeClock(NOW))
    card = CardDetails("4242424242424242", 12, 2030, "123", "02110")
    declined = CardDetails("4000000000000002", 12, 2030, "123", "02110")
    for key, instrument in (("a", declined), ("b", card)):
        service.submit_payment(
            PaymentRequest(
                "100000000001", "D-100000000001", Decimal("32"), instrument, Channel.VOICE, key
            )
        )
    shown = account_as_json(uow_factory, "100000000001", NOW)
    health, dental = shown["plans"]
    assert health == {
        "plan_id": "H-100000000001",
        "kind": "health",
        "name": "ConnectorCare Plan Type 2A",
        "carrier": "Bay State Health",
        "status": "active",
        "balance": "45.00",
        "past_due": "0.00",
        "due_date": "2026-11-23",
        "coverage_start": "2026-06-01",
        "paid_through": "2026-11-30",
        "invoices": [
            {"period": "2026-11", "amount": "45.00", "due_date": "2026-10-23", "paid": "45.00"},
            {"period": "2026-12", "amount": "45.00", "due_date": "2026-11-23", "paid": "0.00"},
        ],
        "autopay": {
            "status": "none", "day": None, "account_type": None, "last4": None,
            "next_debit_date": None, "next_amount": None, "reason": None, "reference": None,
        },
    }  # fmt: skip
    assert (dental["balance"], dental["paid_through"]) == ("0.00", "2026-12-31")
    assert dental["invoices"][-1]["paid"] == "32.00"  # this line's payment, credited
    approved, refused = shown["payments"]  # newest first
    assert set(approved) == {
        "confirmation",
        "plan_id",
        "amount",
        "status",
        "method",
        "last4",
        "channel",
        "created_at",
        "ach_trace",
    }
    assert approved["ach_trace"] is None  # a card payment
    assert (approved["plan_id"], approved["amount"], approved["status"]) == (
        "D-100000000001",
        "32.00",
        "approved",
    )
    assert len(approved["confirmation"]) == 8
    assert (refused["status"], refused["confirmation"]) == ("declined", None)  # never heard one
    assert approved["created_at"] == "2026-11-10T10:00:00-05:00"
    assert (shown["first_name"], shown["date_of_birth"], shown["phones"]) == (
        "Ana",
        "1980-04-17",
        ["+16175550100"],
    )
    assert account_as_json(uow_factory, "999999999999", NOW) is None
