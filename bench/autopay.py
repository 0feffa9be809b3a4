"""The AutoPay scale benchmark: enrolments bulk-inserted into a throwaway database (set-up, not
timed), then, timed, the run for one banking day on RQ with `ivr worker` processes and the ACH
export of its debits in a process of its own; the file checked by the production validator and
by the tests' independent one, against the debits the database recorded.

It is done twice, each time in a database of its own: at a tenth of the size, then at full
size, so the export's peak memory at both sizes can be compared."""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import redis
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bench import BenchError
from bench.autopay_export import ExportFigures, export_apart
from bench.database import flush_redis, throwaway_database
from bench.workers import PeakMemory, running_workers
from devtools.autopay_population import populate
from ivr.jobs import RqJobs
from payments.bank.nacha import validate_file
from payments.bootstrap import PaymentsCore, build_core
from payments.operations.autopay_run import RunReport, plan_run, totals
from payments.storage.db import upgrade_database
from payments.storage.tables import ACH_ENTRIES
from tests.nacha_check import InvalidAchFile, check_ach_file

WORKERS = 2
DEBIT_DAY = date(2026, 12, 23)  # a Wednesday, a banking day
FILE_DATE = date(2026, 12, 22)
ENROLLED = datetime(2026, 12, 22, 20, 0, tzinfo=UTC)  # 3 p.m. in Boston, the day before


@dataclass(frozen=True)
class Round:
    enrolments: int
    setup_seconds: float  # enrolling them, not timed
    run_seconds: float
    export: ExportFigures
    worker_peak_kb: int  # the largest `ivr worker` process
    horse_peak_kb: int  # the largest work horse (one chunk each)
    load_before: float  # the machine's 1-minute load average as the run started (others' too)


@dataclass(frozen=True)
class AutopayFigures:
    small: Round  # a tenth of the enrolments: the export's memory at the smaller size
    full: Round
    seconds: float  # the whole of it, both sizes, set-up included


def measure_autopay(admin_url: str, redis_url: str, enrolments: int) -> AutopayFigures:
    started = time.perf_counter()
    small = measure_round(admin_url, redis_url, max(enrolments // 10, 1))
    full = measure_round(admin_url, redis_url, enrolments)
    return AutopayFigures(small, full, time.perf_counter() - started)


def measure_round(admin_url: str, redis_url: str, enrolments: int) -> Round:
    key = Fernet.generate_key().decode()  # the same for this process, the workers and export
    flush_redis(redis_url)
    with throwaway_database(admin_url) as url, tempfile.TemporaryDirectory() as files:
        started = time.perf_counter()
        core = _populated(url, key, enrolments)
        setup = time.perf_counter() - started
        env = {"DATABASE_URL": url, "REDIS_URL": redis_url, "BANK_DATA_KEY": key,
               "LOG_LEVEL": "WARNING"}  # fmt: skip
        try:
            return _timed(core, env, Path(files) / "debits.ach", enrolments, setup)
        finally:
            core.close()


def _timed(
    core: PaymentsCore, env: dict[str, str], out: Path, enrolments: int, setup: float
) -> Round:
    """The run on workers started for it, then the export apart; both checked."""
    connection = redis.Redis.from_url(env["REDIS_URL"])
    try:
        with running_workers(WORKERS, env, connection) as pids, PeakMemory(pids) as peak:
            load = os.getloadavg()[0]
            _say(f"AutoPay run of {enrolments} enrolments on {WORKERS} workers "
                 f"(load average {load:.2f})")  # fmt: skip
            run_seconds, report = _timed_run(core, connection)
    finally:
        connection.close()
    exported = export_apart(env["DATABASE_URL"], env["BANK_DATA_KEY"], FILE_DATE, out)
    _check(core, report, exported, out, enrolments)
    return Round(enrolments, setup, run_seconds, exported, peak.worker_kb, peak.horse_kb, load)


def _populated(url: str, key: str, enrolments: int) -> PaymentsCore:
    _say(f"enrolling {enrolments} members on AutoPay in a throwaway database (not timed)")
    upgrade_database(url)
    core = build_core(url, bank_key=key)
    populate(core.engine, core.sealer, enrolments, DEBIT_DAY, ENROLLED)
    with core.engine.begin() as conn:
        # The statistics a live database has (autovacuum's analyze; it may be off, as on the
        # bench server): planned without them, each chunk's read of its enrolments costs
        # PostgreSQL about a second of JIT compilation.
        conn.exec_driver_sql("ANALYZE")
    return core


def _timed_run(core: PaymentsCore, connection: redis.Redis) -> tuple[float, RunReport]:
    """`ivr autopay run --date DEBIT_DAY` as it runs: planned here, the chunks on the workers."""
    started = time.perf_counter()
    chunks = plan_run(core.uow, DEBIT_DAY)
    arguments = [(DEBIT_DAY.isoformat(), chunk) for chunk in chunks]
    results = RqJobs(connection).run_all("autopay_chunk", arguments)
    seconds = time.perf_counter() - started
    return seconds, totals([RunReport.from_json(result) for result in results])


def _check(
    core: PaymentsCore, report: RunReport, exported: ExportFigures, out: Path, enrolments: int
) -> None:
    """Every enrolment debited once, the file valid to both validators and its totals those
    the database recorded; BenchError otherwise (a wrong result is no benchmark)."""
    with core.engine.connect() as conn:
        count, cents = conn.execute(
            select(func.count(), func.coalesce(func.sum(ACH_ENTRIES.c.amount_cents), 0))
        ).one()
    if not report.debited == count == exported.entries == enrolments:
        raise BenchError(
            f"{enrolments} enrolments: the run debited {report.debited}, the database holds "
            f"{count} entries, the file {exported.entries}"
        )
    if not int(report.total * 100) == cents == exported.total_cents:
        raise BenchError(
            f"the run debited {report.total}, the database recorded {Decimal(cents) / 100}, "
            f"the file totals {Decimal(exported.total_cents) / 100}"
        )
    _check_file(out, enrolments, cents)


def _check_file(out: Path, enrolments: int, cents: int) -> None:
    with out.open(encoding="ascii", newline="") as lines:
        problems = validate_file(lines)
    if problems:
        raise BenchError("the file does not validate: " + "; ".join(problems[:5]))
    try:
        checked = check_ach_file(out.read_text("ascii"))
    except InvalidAchFile as error:
        raise BenchError(f"the independent check rejects the file:\n{str(error)[:2000]}") from error
    if len(checked.entries) != enrolments or checked.total_debit_cents != cents:
        raise BenchError(
            f"the independent check reads {len(checked.entries)} entries of "
            f"{checked.total_debit_cents} cents, not {enrolments} of {cents}"
        )


def _say(message: str) -> None:
    print(f"bench: {message}", flush=True)
