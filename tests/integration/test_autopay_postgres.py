"""The AutoPay run and the ACH export on real PostgreSQL and Redis, under faults: two runs at
once, a worker killed in the middle of a chunk, the database lost in the middle of an export.
The oracle: each enrolment debited once, for its bill; every debit in exactly one valid file;
the files' totals are the debits recorded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select, text

from devtools.autopay_population import populate, premium
from ivr.jobs import RqJobs
from payments.bank import export as export_module
from payments.bank.export import export
from payments.bootstrap import build_core
from payments.operations.autopay_run import RunReport, plan_run, run_chunk, totals
from payments.storage.db import upgrade_database
from payments.storage.tables import ACH_ENTRIES, ACH_FILES, PAYMENTS, PLANS
from tests.conftest import TEST_REDIS_URL
from tests.doubles import FakeClock
from tests.integration.concurrency import all_at_once
from tests.nacha_check import check_ach_file

pytestmark = pytest.mark.integration

DEBIT_DAY = date(2026, 12, 23)
NOW = datetime(2026, 12, 22, 20, 0, tzinfo=UTC)  # 3 p.m. in Boston, the banking day before
MEMBERS = 60
KEY = Fernet.generate_key().decode()


@pytest.fixture()
def core(fresh_postgres_url: str):
    upgrade_database(fresh_postgres_url)
    built = build_core(fresh_postgres_url, clock=FakeClock(NOW), bank_key=KEY)
    populate(built.engine, built.sealer, MEMBERS, DEBIT_DAY, NOW)
    yield built
    built.close()


def debits_by_plan(core) -> dict[str, list[Decimal]]:
    query = (
        select(PLANS.c.plan_id, PAYMENTS.c.amount)
        .join(PLANS, PLANS.c.id == PAYMENTS.c.plan_id)
        .where(PAYMENTS.c.channel == "autopay")
    )
    found: dict[str, list[Decimal]] = {}
    with core.engine.connect() as conn:
        for plan_id, amount in conn.execute(query):
            found.setdefault(plan_id, []).append(amount)
    return found


def assert_each_debited_once(core) -> None:
    debited = debits_by_plan(core)
    expected = {f"H-9{n:011d}": [premium(n)] for n in range(MEMBERS)}
    assert debited == expected
    with core.engine.connect() as conn:
        entries = conn.scalar(select(func.count()).select_from(ACH_ENTRIES))
    assert entries == MEMBERS


def test_two_runs_at_once_debit_each_enrolment_once(core) -> None:
    chunks = plan_run(core.uow, DEBIT_DAY, size=7)
    assert sum(len(chunk) for chunk in chunks) == MEMBERS

    def run(order: int) -> RunReport:
        return totals([run_chunk(core.uow, DEBIT_DAY, chunk, core.clock) for chunk in
                       (chunks if order == 0 else chunks[::-1])])  # fmt: skip

    first, second = all_at_once(2, run)
    assert first.debited + second.debited == MEMBERS
    assert first.already + second.already == MEMBERS
    assert_each_debited_once(core)


def test_every_debit_goes_into_exactly_one_valid_file(core, tmp_path: Path) -> None:
    for chunk in plan_run(core.uow, DEBIT_DAY, size=25):
        run_chunk(core.uow, DEBIT_DAY, chunk, core.clock)
    report = export(core.uow, core.sealer, _originator(), NOW.date(), tmp_path / "a.ach")
    checked = check_ach_file((tmp_path / "a.ach").read_text("ascii"))
    assert len(checked.entries) == report.entries == MEMBERS
    assert checked.total_debit_cents == sum(int(premium(n) * 100) for n in range(MEMBERS))
    with pytest.raises(export_module.NothingToExport):
        export(core.uow, core.sealer, _originator(), NOW.date(), tmp_path / "b.ach")


def test_the_database_lost_mid_export_loses_and_repeats_nothing(
    core, tmp_path: Path, monkeypatch
) -> None:
    for chunk in plan_run(core.uow, DEBIT_DAY):
        run_chunk(core.uow, DEBIT_DAY, chunk, core.clock)
    monkeypatch.setattr(export_module, "STREAM_ROWS", 5)
    real_entries = export_module._entries

    def cut_off(conn, sealer, file_id):
        for number, entry in enumerate(real_entries(conn, sealer, file_id)):
            if number == 12:  # the server drops every connection to this database
                _terminate_others(core.engine)
            yield entry

    monkeypatch.setattr(export_module, "_entries", cut_off)
    out = tmp_path / "debits.ach"
    with pytest.raises(Exception):  # noqa: B017 - whichever error the driver raises
        export(core.uow, core.sealer, _originator(), NOW.date(), out)
    assert not out.exists() and not list(tmp_path.iterdir())  # no partial file left

    monkeypatch.setattr(export_module, "_entries", real_entries)
    report = export(core.uow, core.sealer, _originator(), NOW.date(), out)
    assert report.resumed and report.entries == MEMBERS
    assert len(check_ach_file(out.read_text("ascii")).entries) == MEMBERS
    with core.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(ACH_FILES)) == 1


def test_a_worker_killed_mid_chunk_leaves_nothing_out_and_nothing_twice(
    core, redis_client, fresh_postgres_url: str
) -> None:
    chunks = plan_run(core.uow, DEBIT_DAY, size=20)
    env = {**os.environ, "DATABASE_URL": fresh_postgres_url, "REDIS_URL": TEST_REDIS_URL,
           "BANK_DATA_KEY": KEY}  # fmt: skip
    # The first chunk's plans are held locked here, so the first worker is stuck inside it.
    blocker = core.engine.connect()
    blocker.execute(
        text("SELECT id FROM plans WHERE id IN (SELECT plan_id FROM autopay_enrolments "
             "WHERE id = ANY(:ids)) FOR UPDATE"), {"ids": chunks[0]},
    )  # fmt: skip
    first = _worker(env)
    results: list[object] = []
    runner = threading.Thread(
        target=lambda: results.append(
            RqJobs(redis_client).run_all(
                "autopay_chunk", [(DEBIT_DAY.isoformat(), chunk) for chunk in chunks]
            )
        )
    )
    runner.start()
    assert _until(lambda: _busy(redis_client)), "the worker never started the first chunk"
    os.killpg(first.pid, signal.SIGKILL)  # the worker and its work horse, mid-transaction
    first.wait()
    blocker.rollback()
    blocker.close()
    second = _worker(env)
    try:
        runner.join(timeout=120)
        assert not runner.is_alive(), "the run never finished"
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(timeout=30)
    report = totals([RunReport.from_json(result) for result in results[0]])  # type: ignore[arg-type]
    assert report.debited == MEMBERS
    assert_each_debited_once(core)


def _originator():
    from ivr.config import Settings

    return Settings(twilio_auth_token="x").ach_originator


def _terminate_others(engine) -> None:
    with engine.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        )
        conn.commit()


def _worker(env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("ivr")), "worker"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _busy(redis_client) -> bool:
    from rq import Queue
    from rq.registry import StartedJobRegistry

    return StartedJobRegistry(queue=Queue("ivr", connection=redis_client)).count > 0


def _until(condition, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_the_banking_day_job_enqueues_tomorrows_run_for_the_workers(
    core, redis_client, fresh_postgres_url: str
) -> None:
    from ivr.config import Settings
    from ivr.jobs import banking_day

    settings = Settings(twilio_auth_token="x", database_url=fresh_postgres_url,
                        redis_url=TEST_REDIS_URL, bank_data_key=KEY)  # fmt: skip
    report = banking_day(core, settings)  # on December 22, for the debits of the 23rd
    assert (report["debit_day"], report["chunks"]) == ("2026-12-23", 1)
    assert debits_by_plan(core) == {}  # enqueued, not run here: the job holds no worker
    env = {**os.environ, "DATABASE_URL": fresh_postgres_url, "REDIS_URL": TEST_REDIS_URL,
           "BANK_DATA_KEY": KEY}  # fmt: skip
    subprocess.run(
        [str(Path(sys.executable).with_name("ivr")), "worker", "--burst"],
        env=env, check=True, timeout=120, capture_output=True,
    )  # fmt: skip
    assert_each_debited_once(core)
    core.clock.now = datetime(2026, 12, 26, 20, 0, tzinfo=UTC)  # a Saturday
    assert banking_day(core, settings) == {"today": "2026-12-26", "banking_day": False}


def test_the_schedule_is_the_banking_day_at_3_pm_eastern_and_the_outbox_every_minute(
    redis_client, monkeypatch
) -> None:
    from rq.cron import CronScheduler

    import ivr.jobs

    monkeypatch.setattr(CronScheduler, "start", lambda self: None)
    registered: list[dict] = []
    real_register = CronScheduler.register

    def register(self, func, queue_name, **options):
        registered.append({"queue": queue_name, **options})
        return real_register(self, func, queue_name, **options)

    monkeypatch.setattr(CronScheduler, "register", register)
    monkeypatch.setenv("TZ", "UTC")
    ivr.jobs.run_scheduler(redis_client)
    assert os.environ["TZ"] == "America/New_York"
    by_name = {entry["name"]: entry for entry in registered}
    assert by_name["banking_day"]["cron"] == "0 15 * * 1-5"
    assert by_name["banking_day"]["args"] == ("banking_day",)
    assert by_name["send_messages"]["interval"] == 60
    assert {entry["queue"] for entry in registered} == {"ivr"}
    monkeypatch.undo()  # this process's own time zone back
    time.tzset()
