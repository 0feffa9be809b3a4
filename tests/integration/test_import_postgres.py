"""The set-based import on real PostgreSQL (COPY into staging, ON CONFLICT merge): a re-import
rewrites no row (each row's xmin, the transaction that last wrote it, is unchanged), a 1% change
rewrites only the changed plans and their invoices, and `ivr import-accounts` killed in the
middle of its merge leaves the previous data whole."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from bench.import_feed import write_feed
from payments.bank.sealing import Sealer
from payments.operations.import_merge import Counts
from payments.operations.importer import import_accounts
from payments.storage.db import make_engine, make_uow_factory, upgrade_database

pytestmark = pytest.mark.integration

TODAY = date(2026, 11, 10)
TABLES = ("members", "member_phones", "plans", "invoices", "autopay_enrolments")
IVR = str(Path(sys.executable).with_name("ivr"))


def versions(engine) -> dict[str, dict[int, str]]:
    """Each watched row's xmin: the transaction that wrote it last."""
    with engine.connect() as conn:
        return {
            table: dict(conn.execute(text(f"SELECT id, xmin::text FROM {table}")).all())
            for table in TABLES
        }


def snapshot(engine) -> dict[str, list]:
    with engine.connect() as conn:
        return {
            table: conn.execute(text(f"SELECT * FROM {table} ORDER BY id")).all()
            for table in TABLES
        }


def test_a_re_import_rewrites_nothing_and_a_one_percent_change_only_its_rows(
    fresh_postgres_url, tmp_path
):
    upgrade_database(fresh_postgres_url)
    engine = make_engine(fresh_postgres_url)
    db, sealer = make_uow_factory(engine), Sealer.ephemeral()
    base = write_feed(tmp_path / "feed.json", 3000, TODAY)
    first = import_accounts(db, base, sealer=sealer)
    assert (first.members, first.plans) == (Counts(3000, 0, 0), Counts(4000, 0, 0))
    before = versions(engine)
    again = import_accounts(db, base, sealer=sealer)
    assert (again.members, again.plans) == (Counts(0, 0, 3000), Counts(0, 0, 4000))
    assert versions(engine) == before  # not one row written
    changed = write_feed(tmp_path / "changed.json", 3000, TODAY, changed_every=100)
    report = import_accounts(db, changed, sealer=sealer)
    assert report.plans == Counts(0, 30, 3970) and len(report.premium_changes) == 30
    after = versions(engine)
    rewritten = {table: sum(after[table][i] != v for i, v in rows.items())
                 for table, rows in before.items()}  # fmt: skip
    # 30 health plans: the premium and both invoices (the feed bills the new premium for both)
    assert rewritten == {"members": 0, "member_phones": 0, "plans": 30, "invoices": 60,
                         "autopay_enrolments": 0}  # fmt: skip
    engine.dispose()


def test_an_import_killed_midway_leaves_the_previous_data_whole(fresh_postgres_url, tmp_path):
    upgrade_database(fresh_postgres_url)
    engine = make_engine(fresh_postgres_url)
    env = {**os.environ, "DATABASE_URL": fresh_postgres_url,
           "BANK_DATA_KEY": Fernet.generate_key().decode()}  # fmt: skip
    small = write_feed(tmp_path / "small.json", 500, TODAY)
    subprocess.run([IVR, "import-accounts", str(small)], env=env, check=True, capture_output=True)
    before = snapshot(engine)
    # 40,000 members, the first 500 with new premiums: killed once its merge has begun.
    big = write_feed(tmp_path / "big.jsonl", 40_000, TODAY, changed_every=1, lines=True)
    process = subprocess.Popen([IVR, "import-accounts", str(big)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    merging = _wait_for_merge(engine, process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    assert merging, "the import ended before its merge could be caught"
    _wait_for_no_import(engine)
    assert snapshot(engine) == before
    with engine.connect() as conn:
        staged = conn.scalar(text("SELECT count(*) FROM pg_class WHERE relname LIKE 'import_%'"))
    assert staged == 0  # the staging tables died with their session
    done = subprocess.run([IVR, "import-accounts", str(big)], env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip
    assert "members: 39500 created, 0 changed, 500 unchanged" in done.stdout
    assert "plans: 52667 created, 500 changed, 167 unchanged" in done.stdout  # health plans
    engine.dispose()


def _wait_for_merge(engine, process: subprocess.Popen, seconds: float = 120.0) -> str | None:
    """The merge statement the import is running (members are merged first, so one into
    phones, plans or invoices means the transaction has written already)."""
    merge = ("INSERT INTO member_phones%", "INSERT INTO plans%", "INSERT INTO invoices%")
    query = text(
        "SELECT query FROM pg_stat_activity WHERE datname = current_database() "
        "AND state = 'active' AND (query LIKE :a OR query LIKE :b OR query LIKE :c)"
    )
    deadline = time.monotonic() + seconds
    with engine.connect() as conn:
        while time.monotonic() < deadline and process.poll() is None:
            found = conn.execute(query, dict(zip("abc", merge, strict=True))).scalar()
            if found:
                return str(found)
            conn.rollback()
            time.sleep(0.005)
    return None


def _wait_for_no_import(engine, seconds: float = 30.0) -> None:
    """PostgreSQL notices the dead client and rolls its transaction back."""
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
    )
    deadline = time.monotonic() + seconds
    with engine.connect() as conn:
        while conn.scalar(query) and time.monotonic() < deadline:
            conn.rollback()
            time.sleep(0.05)
