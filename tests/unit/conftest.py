"""Fixtures shared by the payments core's unit tests: the demo accounts on a migrated SQLite
database as of November 10, 2026, and a clock stopped at that moment (10:00 in Boston)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from payments.operations.demo import demo_accounts
from payments.operations.importer import import_accounts
from tests.doubles import FakeClock, migrated_sqlite

NOV_10 = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)  # 10:00 in Boston; M = December 2026


@pytest.fixture()
def database(tmp_path):
    """(engine, unit-of-work factory) of a database holding the demo accounts."""
    engine, uow_factory = migrated_sqlite(tmp_path)
    import_accounts(uow_factory, demo_accounts(NOV_10.date()))
    yield engine, uow_factory
    engine.dispose()


@pytest.fixture()
def db(database):
    return database[1]


@pytest.fixture()
def clock():
    return FakeClock(NOV_10)
