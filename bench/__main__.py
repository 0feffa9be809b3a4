"""`python -m bench` (`make bench`): exit 0 when every target is met, 1 when one is missed,
2 when the benchmark could not run or its result is wrong (services down, server not starting,
a call of the warm-up, the CPU load, the timed calls or every call of the paced load not
approved, a script that no longer fits the line, an ACH file not valid). Calls of the paced
load that fail while others get through are its errors row (target 0, so exit 1), what went
wrong printed after the table. It prints the table; `python -m bench --readme`
(`make bench-readme`) also writes it into README.md between the bench markers.

The webhook part serves the real app twice, each time on a throwaway database loaded with the
same members (`bench.database.load_members`) and a flushed Redis db, with `ivr serve --workers
2` (gthread, `ivr.server.run`): first on PostgreSQL + Redis, then on an SQLite file in a
temporary directory + Redis. Beside both, for the whole part, the floor (`bench.bare`): the same
gunicorn options, one route returning a fixed `<Gather><Say>` built once at start-up.

CPU per request is the gunicorn master's and workers' user + system time during the CPU load
(CONCURRENCY card calls at a time, back to back, no pauses: `bench.measure`), divided by every
request served in it (webhooks and status callbacks alike, since both cost CPU); right after
each, the floor gets exactly as many requests, as many at a time, and the ratio real / floor of
that database is held to 2. PostgreSQL's and Redis's own CPU is not counted (SQLite's work
runs inside the workers, so is). Beside each, the cores the rest of the machine kept busy
meanwhile (PostgreSQL, Redis, anyone else's work): a process's CPU time per request grows when
others share the cores, so figures taken while others worked are noisier.

Latency is the paced load's (`bench.paced`), on PostgreSQL + Redis: CALLERS card calls at once,
each caller pausing about half a second before each answer; p99 per webhook request held to
20 ms, status callbacks left out (Twilio does not wait on them), and 0 errors. Beside it, the
same webhooks as the server's access log timed them, its CPU per request (no target) and how
busy the machine was (the server, the callers, the rest: PostgreSQL, Redis, anyone else's).

Caller time is one card payment by a returning member (calling from the phone on file, verified
by date of birth, paying one plan in full by Visa), as the terminal phone times a real call:
speech at 150 words a minute plus waiting (pauses, Gather timeouts), on the voice number (target
60 s) and on the relay number (target 80 s); see `bench.caller` for what counts. Above its
target, a call's costliest prompts are printed after the table. Then the slow-processor crowd
(`bench.crowd`).

Then AutoPay at scale (`bench.autopay`): BENCH_AUTOPAY_ENROLMENTS members, each with one bill
and an active enrolment, bulk-inserted into a throwaway database (set-up, reported, not timed);
then timed, the run for 2026-12-23 as `ivr autopay run` does it (planned here, its chunks on RQ
taken by 2 `ivr worker` processes, started and registered before the clock starts) and the ACH
export of its debits for 2026-12-22, in a process of its own (the `export` call timed, not the
interpreter's start-up). Target: run + export within 60 s on a 2-core machine. The export is
done at a tenth of the size too, in another database: memory is flat when its peak RSS at full
size is at most 1.25 x the smaller one's + 20 MB (`bench.autopay_report`). The workers' peak
RSS is sampled from /proc (a work horse living between two samples is missed). The file must
pass the production validator and the tests' independent one, and hold one entry per enrolment
totalling what the database recorded: otherwise the exit code is 2. `--only webhooks` or
`--only autopay` (`make bench-autopay`) runs one part.

Then the billing feed (`bench.importing`, `bench.import_report`): `ivr import-accounts` on
BENCH_IMPORT_MEMBERS members three ways (first load, the same again, 1% changed) beside a bare
COPY of the same rows, and a first load of BENCH_IMPORT_MEMORY_MEMBERS for its peak memory;
`--only import` (`make bench-import`).

Settings: BENCH_CALLS (the CPU load's calls on each database, default 40), BENCH_PACED_CALLS
(the paced load's, default 150), BENCH_AUTOPAY_ENROLMENTS (default 100000),
BENCH_IMPORT_MEMBERS (default 100000), BENCH_IMPORT_MEMORY_MEMBERS (default 500000),
BENCH_POSTGRES_URL (an admin database on the server where a throwaway one is created),
BENCH_REDIS_URL (a dedicated database number; flushed first).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet

from bench import (
    AUTH_TOKEN,
    CONCURRENCY,
    RELAY_NUMBER,
    BenchError,
    accounts,
    autopay_report,
    import_report,
    report,
    servers,
)
from bench.autopay import measure_autopay
from bench.database import (
    DEFAULT_ADMIN_URL,
    DEFAULT_REDIS_URL,
    flush_redis,
    load_members,
    throwaway_database,
    throwaway_sqlite,
)
from bench.importing import measure_import
from bench.measure import (
    CpuLoad,
    Figures,
    OnPostgres,
    measure_postgres,
    measure_sqlite,
    members_needed,
)
from bench.paced import CALLERS
from bench.servers import Server
from payments.domain.clock import eastern_date, system_clock

MAX_CALLS = 5000
MAX_ENROLMENTS = 1_000_000
PARTS = ("webhooks", "autopay", "import")
MAX_IMPORT_MEMBERS = 2_000_000


@dataclass(frozen=True)
class Config:
    calls: int
    paced_calls: int
    autopay_enrolments: int
    import_members: int
    import_memory_members: int
    postgres_url: str
    redis_url: str

    @classmethod
    def from_env(cls) -> Config:
        return cls(
            calls=_number("BENCH_CALLS", "40", MAX_CALLS),
            paced_calls=_number("BENCH_PACED_CALLS", "150", MAX_CALLS),
            autopay_enrolments=_number("BENCH_AUTOPAY_ENROLMENTS", "100000", MAX_ENROLMENTS),
            import_members=_number("BENCH_IMPORT_MEMBERS", "100000", MAX_IMPORT_MEMBERS),
            import_memory_members=_number(
                "BENCH_IMPORT_MEMORY_MEMBERS", "500000", MAX_IMPORT_MEMBERS
            ),
            postgres_url=os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_ADMIN_URL,
            redis_url=os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL,
        )


def _number(name: str, default: str, most: int) -> int:
    raw = os.environ.get(name) or default
    if not raw.isdigit() or not 1 <= int(raw) <= most:
        raise BenchError(f"{name} must be a number from 1 to {most}, not {raw!r}")
    return int(raw)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="The real server under load on PostgreSQL and on SQLite beside the bare "
        "floor, latency with 50 paced calls, the caller's time for one card payment, then the "
        "AutoPay run and ACH export at scale, then the billing feed. Settings: BENCH_CALLS, "
        "BENCH_PACED_CALLS, BENCH_AUTOPAY_ENROLMENTS, BENCH_IMPORT_MEMBERS, "
        "BENCH_IMPORT_MEMORY_MEMBERS, BENCH_POSTGRES_URL, BENCH_REDIS_URL.",
    )
    parser.add_argument(
        "--readme",
        action="store_true",
        help="also write the table into README.md between the bench markers",
    )
    parser.add_argument("--only", choices=PARTS, help="run one part of the benchmark")
    args = parser.parse_args(argv)
    if args.readme and args.only:
        parser.error("--readme writes the whole table: run every part")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    table: list[report.Row] = []
    try:
        config = Config.from_env()
        figures = run(config) if args.only in (None, "webhooks") else None
        table += report.rows(figures) if figures else []
        if args.only in (None, "autopay"):
            autopay = measure_autopay(config.postgres_url, config.redis_url,
                                      config.autopay_enrolments)  # fmt: skip
            table += autopay_report.rows(autopay)
        if args.only in (None, "import"):
            _say(f"the billing feed: {config.import_members:,} members three ways, then "
                 f"{config.import_memory_members:,} for memory")  # fmt: skip
            feed = measure_import(config.postgres_url, config.import_members,
                                  config.import_memory_members)  # fmt: skip
            table += import_report.rows(feed)
    except BenchError as error:
        if table:
            print("\n" + report.text_table(table))
        print(f"\nbench: aborted: {error}", file=sys.stderr)
        return 2
    _print(table, figures, args.readme)
    return 0 if report.all_passed(table) else 1


def _print(table: list[report.Row], figures: Figures | None, readme: bool) -> None:
    print("\n" + report.text_table(table))
    if figures:
        for name, time, target in report.over_target(figures):
            print("\n" + report.prompt_costs(time, name, target))
        failures = [*figures.paced.non_200, *figures.paced.failed_calls]
        if failures:
            print("\nThe paced load's errors (the first 10):")
            print("\n".join(f"  {failure}" for failure in failures[:10]))
    if readme:
        today = eastern_date(system_clock())
        if report.update_readme(report.markdown_block(table, today)):
            print("\nbench: README.md bench block updated")
        else:
            print("\nbench: README.md has no bench markers; figures printed only")


def run(config: Config) -> Figures:
    """The webhook part: the floor stays up throughout; the real server is served on
    PostgreSQL + Redis, then on SQLite + Redis, each on a throwaway database loaded alike."""
    today = eastern_date(system_clock())
    people = accounts.members(members_needed(config.calls, config.paced_calls))
    data = accounts.import_data(people, today)
    load_average = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-") as logs:
        port = servers.free_port()
        with servers.serving(
            "bare", servers.bare_command(port), port, {}, Path(logs), "/", need_ok=False
        ) as bare:
            pg = _on_postgres(config, people, data, today, bare, Path(logs))
            sqlite = _on_sqlite(config, people, data, today, bare, Path(logs))
    return Figures(
        loads=(pg.load, sqlite),
        paced=pg.paced,
        voice=pg.voice,
        relay=pg.relay,
        crowd=pg.crowd,
        load_average=load_average,
    )


def _on_postgres(
    config: Config,
    people: list[accounts.Member],
    data: dict[str, Any],
    today: date,
    bare: Server,
    logs: Path,
) -> OnPostgres:
    flush_redis(config.redis_url)
    with throwaway_database(config.postgres_url) as database_url:
        _say(f"importing {len(people)} members into a throwaway PostgreSQL database")
        load_members(database_url, data)
        with _real_server("real-postgres", database_url, config.redis_url, logs) as real:
            _say(
                f"PostgreSQL + Redis: real pid {real.pid}, bare pid {bare.pid}; "
                f"{config.calls} calls {CONCURRENCY} at a time and the floor, then "
                f"{config.paced_calls} calls {CALLERS} at once, paced, then the crowd"
            )
            return measure_postgres(real, bare, people, today, config.calls)


def _on_sqlite(
    config: Config,
    people: list[accounts.Member],
    data: dict[str, Any],
    today: date,
    bare: Server,
    logs: Path,
) -> CpuLoad:
    flush_redis(config.redis_url)  # nothing of the PostgreSQL server's calls is left
    with throwaway_sqlite() as database_url:
        _say(f"importing {len(people)} members into a throwaway SQLite database")
        load_members(database_url, data)
        with _real_server("real-sqlite", database_url, config.redis_url, logs) as real:
            _say(
                f"SQLite + Redis: real pid {real.pid}; {config.calls} calls "
                f"{CONCURRENCY} at a time and the floor"
            )
            return measure_sqlite(real, bare, people, today, config.calls)


def _real_server(
    name: str, database_url: str, redis_url: str, logs: Path
) -> AbstractContextManager[Server]:
    port = servers.free_port()
    env = _server_env(database_url, redis_url)
    return servers.serving(name, servers.real_command(port), port, env, logs, "/healthz")


def _server_env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "RELAY_NUMBERS": RELAY_NUMBER,
        "LOG_LEVEL": "WARNING",
        "BANK_DATA_KEY": Fernet.generate_key().decode(),  # required on PostgreSQL
    }


def _say(message: str) -> None:
    print(f"bench: {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
