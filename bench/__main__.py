"""`python -m bench` (`make bench`): exit 0 when every target is met, 1 when one is missed,
2 when the benchmark could not run or its result is wrong (services down, server not starting,
a call not approved, a script that no longer fits the line, an ACH file not valid). It prints
the table; `python -m bench --readme` (`make bench-readme`) also writes it into README.md
between the bench markers.

CPU per request is the gunicorn master's and workers' user + system time during a load, divided
by every request served in it (webhooks and status callbacks alike, since both cost CPU); the
bare app gets exactly as many requests. Latency figures leave the status callback out: Twilio
does not wait on it. PostgreSQL's and Redis's own CPU is not counted.

Caller time is one card payment by a returning member (calling from the phone on file, verified
by date of birth, paying one plan in full by Visa), as the terminal phone times a real call:
speech at 150 words a minute plus waiting (pauses, Gather timeouts), on the voice number and on
the relay number; see `bench.caller` for what counts. Above its target, the costliest prompts
are printed after the table.

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

Settings: BENCH_CALLS (default 40), BENCH_AUTOPAY_ENROLMENTS (default 100000),
BENCH_POSTGRES_URL (an admin database on the server where a throwaway one is created),
BENCH_REDIS_URL (a dedicated database number; flushed first).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet

from bench import AUTH_TOKEN, RELAY_NUMBER, BenchError, accounts, autopay_report, report, servers
from bench.autopay import measure_autopay
from bench.database import (
    DEFAULT_ADMIN_URL,
    DEFAULT_REDIS_URL,
    flush_redis,
    load_members,
    throwaway_database,
)
from bench.measure import Figures, measure, members_needed
from bench.servers import Server
from payments.domain.clock import eastern_date, system_clock

MAX_CALLS = 5000
MAX_ENROLMENTS = 1_000_000
PARTS = ("webhooks", "autopay")


@dataclass(frozen=True)
class Config:
    calls: int
    autopay_enrolments: int
    postgres_url: str
    redis_url: str

    @classmethod
    def from_env(cls) -> Config:
        return cls(
            calls=_number("BENCH_CALLS", "40", MAX_CALLS),
            autopay_enrolments=_number("BENCH_AUTOPAY_ENROLMENTS", "100000", MAX_ENROLMENTS),
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
        description="The real server under load beside a bare Flask app, the caller's time "
        "for one card payment, then the AutoPay run and ACH export at scale. Settings: "
        "BENCH_CALLS, BENCH_AUTOPAY_ENROLMENTS, BENCH_POSTGRES_URL, BENCH_REDIS_URL.",
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
        figures = run(config) if args.only != "autopay" else None
        table += report.rows(figures) if figures else []
        if args.only != "webhooks":
            autopay = measure_autopay(config.postgres_url, config.redis_url,
                                      config.autopay_enrolments)  # fmt: skip
            table += autopay_report.rows(autopay)
    except BenchError as error:
        if table:
            print("\n" + report.text_table(table))
        print(f"\nbench: aborted: {error}", file=sys.stderr)
        return 2
    _print(table, figures, args.readme)
    return 0 if report.all_passed(table) else 1


def _print(table: list[report.Row], figures: Figures | None, readme: bool) -> None:
    print("\n" + report.text_table(table))
    if figures and report.voice_over_target(figures):
        print("\n" + report.prompt_costs(figures.voice))
    if readme:
        today = eastern_date(system_clock())
        if report.update_readme(report.markdown_block(table, today)):
            print("\nbench: README.md bench block updated")
        else:
            print("\nbench: README.md has no bench markers; figures printed only")


def run(config: Config) -> Figures:
    today = eastern_date(system_clock())
    people = accounts.members(members_needed(config.calls))
    flush_redis(config.redis_url)
    with throwaway_database(config.postgres_url) as database_url:
        _say(f"importing {len(people)} members into a throwaway database")
        load_members(database_url, accounts.import_data(people, today))
        with running_servers(_server_env(database_url, config.redis_url)) as (real, bare):
            _say(f"placing {config.calls} card-payment calls, then as many bare requests")
            return measure(real, bare, people, today)


def _server_env(database_url: str, redis_url: str) -> dict[str, str]:
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "RELAY_NUMBERS": RELAY_NUMBER,
        "LOG_LEVEL": "WARNING",
        "BANK_DATA_KEY": Fernet.generate_key().decode(),  # required on PostgreSQL
    }


@contextmanager
def running_servers(env: dict[str, str]) -> Iterator[tuple[Server, Server]]:
    """The real server and the bare one, both answering; both stopped on the way out."""
    with tempfile.TemporaryDirectory(prefix="bench-") as logs, ExitStack() as stack:
        real_port, bare_port = servers.free_port(), servers.free_port()
        real = servers.start("real", servers.real_command(real_port), real_port, env, Path(logs))
        stack.callback(servers.stop, real)
        bare = servers.start("bare", servers.bare_command(bare_port), bare_port, env, Path(logs))
        stack.callback(servers.stop, bare)
        servers.wait_until_answering(real, "/healthz", need_ok=True)
        servers.wait_until_answering(bare, "/", need_ok=False)
        _say(f"servers up: real pid {real.pid}, bare pid {bare.pid}")
        yield real, bare


def _say(message: str) -> None:
    print(f"bench: {message}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
