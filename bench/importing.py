"""The billing feed at the Connector's size (issue 17), as an operator runs it.

On a throwaway PostgreSQL database, `ivr import-accounts FILE` is run as its own process three
times on the feed of `bench.import_feed`: a first load of BENCH_IMPORT_MEMBERS members, the same
file again, and a file with 1% of premiums changed. Each is timed from outside (the process's
start-up included: what an operator waits) and its peak RSS read from the kernel (wait4).

The floor, from the same run: the rows the import writes (members, phones, plans, invoices),
built beforehand, sent by a bare `COPY` into unlogged tables of the same columns: what the
data costs to move into PostgreSQL at all. Memory is then measured apart, on a first load of
BENCH_IMPORT_MEMORY_MEMBERS members into another throwaway database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from cryptography.fernet import Fernet
from sqlalchemy.engine import make_url

from bench import BenchError
from bench.database import throwaway_database
from bench.import_feed import subscribers, write_feed
from bench.servers import REPO
from payments.domain.clock import eastern_date, system_clock
from payments.storage.db import upgrade_database

CHANGED_EVERY = 100  # 1% of members: their health premium and open invoice
TIMEOUT = 1800.0
IVR = str(Path(sys.executable).with_name("ivr"))


@dataclass(frozen=True)
class Load:
    seconds: float
    peak_rss_kb: int
    output: str  # what the command printed (its counts)


@dataclass(frozen=True)
class ImportFigures:
    members: int
    first: Load
    again: Load
    changed: Load
    floor_seconds: float
    memory_members: int
    memory: Load


def measure_import(admin_url: str, members: int, memory_members: int) -> ImportFigures:
    today = eastern_date(system_clock())
    with tempfile.TemporaryDirectory(prefix="bench-import-") as folder:
        base = write_feed(Path(folder) / "feed.json", members, today)
        changed = write_feed(Path(folder) / "changed.json", members, today, CHANGED_EVERY)
        with throwaway_database(admin_url) as url:
            upgrade_database(url)
            first, again = _import(url, base), _import(url, base)
            once_more = _import(url, changed)
            floor = _floor(url, members, today)
        base.unlink()
        big = write_feed(Path(folder) / "big.jsonl", memory_members, today, lines=True)
        with throwaway_database(admin_url) as url:
            upgrade_database(url)
            memory = _import(url, big)
    return ImportFigures(members, first, again, once_more, floor, memory_members, memory)


def _import(database_url: str, feed: Path) -> Load:
    env = {**os.environ, "DATABASE_URL": database_url, "BANK_DATA_KEY": _KEY}
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(
            [IVR, "import-accounts", str(feed)], cwd=REPO, env=env, text=True,
            stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
        peak_kb = _peak_while_running(process)
        seconds = time.perf_counter() - started
        out.seek(0)
        output = out.read()
    if process.returncode != 0:
        raise BenchError(f"ivr import-accounts {feed.name} failed:\n{output[-2000:]}")
    return Load(seconds, peak_kb, output.strip())


def _peak_while_running(process: subprocess.Popen[str], every: float = 0.05) -> int:
    """The process's peak RSS (VmHWM, kB) as last read before it ended. Not wait4's
    ru_maxrss: that counts the pages of the bench's own process the child was forked from."""
    status, peak = Path(f"/proc/{process.pid}/status"), 0
    deadline = time.monotonic() + TIMEOUT
    while process.poll() is None:
        if time.monotonic() > deadline:
            process.kill()
            raise BenchError(f"ivr import-accounts took more than {TIMEOUT:g} s")
        try:
            lines = status.read_text().splitlines()
        except OSError:  # it ended between poll() and the read
            break
        peak = max([peak, *(int(line.split()[1]) for line in lines if line.startswith("VmHWM:"))])
        time.sleep(every)
    process.wait()
    return peak


_KEY = Fernet.generate_key().decode()  # portal enrolments are sealed under it

# The floor's tables: the columns the import writes, unlogged (as little as PostgreSQL can do).
_FLOOR = {
    "members": "subscriber_id text, first_name text, last_name text, date_of_birth date, "
    "zip text, language text, mailing_address json",
    "phones": "subscriber_id text, e164 text",
    "plans": "plan_id text, subscriber_id text, kind text, name text, carrier text, "
    "monthly_premium numeric(12,2), subsidized boolean, status text, coverage_start date",
    "invoices": "plan_id text, period date, amount numeric(12,2), due_date date, "
    "paid numeric(12,2)",
}


def _floor(database_url: str, members: int, today: Any) -> float:
    """Seconds for a bare COPY of the feed's rows (built first, not timed) into unlogged
    tables."""
    rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in _FLOOR}
    for member in subscribers(members, today):
        _rows(member, rows)
    url = make_url(database_url).set(drivername="postgresql")
    with psycopg.connect(url.render_as_string(hide_password=False)) as conn:
        for name, columns in _FLOOR.items():
            conn.execute(f"CREATE UNLOGGED TABLE floor_{name} ({columns})")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cursor:
            for name, table_rows in rows.items():
                with cursor.copy(f"COPY floor_{name} FROM STDIN") as copy:
                    for row in table_rows:
                        copy.write_row(row)
        conn.commit()
        return time.perf_counter() - started


def _rows(member: dict[str, Any], rows: dict[str, list[tuple[Any, ...]]]) -> None:
    sid = member["subscriber_id"]
    address = member.get("mailing_address")
    rows["members"].append((
        sid, member["first_name"], member["last_name"], member["date_of_birth"], member["zip"],
        member["language"], None if address is None else json.dumps(address),
    ))  # fmt: skip
    rows["phones"].extend((sid, phone) for phone in member["phones"])
    for plan in member["plans"]:
        rows["plans"].append((
            plan["plan_id"], sid, plan["kind"], plan["name"], plan["carrier"],
            plan["monthly_premium"], plan["subsidized"], plan["status"], plan["coverage_start"],
        ))  # fmt: skip
        rows["invoices"].extend(
            (plan["plan_id"], f"{i['period']}-01", i["amount"], i["due_date"], i["paid"])
            for i in plan["invoices"]
        )


def counts(load: Load) -> Iterator[str]:
    """The command's own lines about members and plans."""
    return (line for line in load.output.splitlines() if line.startswith(("members", "plans")))
