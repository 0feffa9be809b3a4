"""`python -m bench` (`make bench`): exit 0 when every target is met, 1 when one is missed,
2 when the benchmark could not run (services down, server not starting, a call not approved,
a script that no longer fits the line). It prints the table; `python -m bench --readme`
(`make bench-readme`) also writes it into README.md between the bench markers.

CPU per request is the gunicorn master's and workers' user + system time during a load, divided
by every request served in it (webhooks and status callbacks alike, since both cost CPU); the
bare app gets exactly as many requests. Latency figures leave the status callback out: Twilio
does not wait on it. PostgreSQL's and Redis's own CPU is not counted.

Caller time is one card payment by a returning member (calling from the phone on file, verified
by date of birth, paying one plan in full by Visa), as the terminal phone times a real call:
speech at 150 words a minute plus waiting (pauses, Gather timeouts), on the voice number and on
the relay number; see `bench.caller` for what counts. Above its target, the costliest prompts
are printed after the table.

Settings: BENCH_CALLS (default 40), BENCH_POSTGRES_URL (an admin database on the server where
a throwaway one is created), BENCH_REDIS_URL (a dedicated database number; flushed first).
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

from bench import AUTH_TOKEN, RELAY_NUMBER, BenchError, accounts, report, servers
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


@dataclass(frozen=True)
class Config:
    calls: int
    postgres_url: str
    redis_url: str

    @classmethod
    def from_env(cls) -> Config:
        raw = os.environ.get("BENCH_CALLS") or "40"
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_CALLS:
            raise BenchError(f"BENCH_CALLS must be a number from 1 to {MAX_CALLS}, not {raw!r}")
        return cls(
            calls=int(raw),
            postgres_url=os.environ.get("BENCH_POSTGRES_URL") or DEFAULT_ADMIN_URL,
            redis_url=os.environ.get("BENCH_REDIS_URL") or DEFAULT_REDIS_URL,
        )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="The real server under load beside a bare Flask app, and the caller's time "
        "for one card payment. Settings: BENCH_CALLS, BENCH_POSTGRES_URL, BENCH_REDIS_URL.",
    )
    parser.add_argument(
        "--readme",
        action="store_true",
        help="also write the table into README.md between the bench markers",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        config = Config.from_env()
        figures = run(config)
    except BenchError as error:
        print(f"\nbench: aborted: {error}", file=sys.stderr)
        return 2
    table = report.rows(figures)
    print("\n" + report.text_table(table))
    if report.voice_over_target(figures):
        print("\n" + report.prompt_costs(figures.voice))
    if args.readme:
        today = eastern_date(system_clock())
        if report.update_readme(report.markdown_block(table, today)):
            print("\nbench: README.md bench block updated")
        else:
            print("\nbench: README.md has no bench markers; figures printed only")
    return 0 if report.all_passed(table) else 1


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
