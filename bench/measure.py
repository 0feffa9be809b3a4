"""The measurements and what they found.

On PostgreSQL + Redis, in order: warm-up calls, the two calls timed as the caller lives them (a
returning member paying one plan by card, on the voice and on the relay number), the CPU load
beside the floor, the paced load, the slow-processor crowd. On SQLite + Redis: warm-up calls and
the CPU load beside the floor.

The CPU load is CONCURRENCY callers placing card calls back to back, no pauses: the server is
kept busy, so its CPU time is the requests' and little else (idle threads waking, the charge
lease renewals); the floor then gets exactly as many requests, the same CONCURRENCY at a time,
right after it. The paced load (`bench.paced`) measures latency; its CPU per request is
reported beside, with no target: it holds 50 calls open on a mostly idle server, so a
comparison with the floor would be of different loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bench import CONCURRENCY, RELAY_NUMBER, WORKERS
from bench.accounts import Member
from bench.caller import CallerTime, caller_time
from bench.cpu import Busy, busy_during
from bench.crowd import CROWD, Crowd, slow_crowd
from bench.load import Timings, pay_by_card, run_all, run_bare, run_calls
from bench.paced import Paced, paced_load
from bench.servers import Server
from devtools.phone.device import DEFAULT_TO

WARM_UP_CALLS = 4  # one per caller thread, so both workers have served a whole call
TIMED_CALLS = 2  # voice and relay, each by a member of its own
BARE_WARM_UP = 40


@dataclass(frozen=True)
class Floor:
    """The bare app, sent as many requests as the load it stands beside."""

    requests: int
    cpu: Busy  # server: the gunicorn master and workers
    latency: list[float]  # seconds per request

    @property
    def ms_per_request(self) -> float:
        return self.cpu.server * 1000 / self.requests


@dataclass(frozen=True)
class CpuLoad:
    """Card calls CONCURRENCY at a time on one database, and the floor measured beside them."""

    database: str  # "PostgreSQL" or "SQLite"
    workers: int
    calls: int
    webhooks: list[float]  # seconds per webhook request, status callbacks apart
    status_callbacks: int
    cpu: Busy  # server: the gunicorn master and workers
    floor: Floor

    @property
    def requests(self) -> int:
        return len(self.webhooks) + self.status_callbacks

    @property
    def ms_per_request(self) -> float:
        return self.cpu.server * 1000 / self.requests

    @property
    def ratio(self) -> float:
        floor = self.floor.ms_per_request
        return self.ms_per_request / floor if floor else float("inf")


@dataclass(frozen=True)
class Figures:
    loads: tuple[CpuLoad, ...]  # PostgreSQL first
    paced: Paced
    voice: CallerTime
    relay: CallerTime
    crowd: Crowd | None = None
    load_average: float | None = None  # the machine's 1-minute load as the part started


@dataclass(frozen=True)
class OnPostgres:
    load: CpuLoad
    paced: Paced
    voice: CallerTime
    relay: CallerTime
    crowd: Crowd


def members_needed(calls: int, paced: int) -> int:
    return WARM_UP_CALLS + TIMED_CALLS + calls + paced + CROWD


def split(people: list[Member], calls: int) -> dict[str, list[Member]]:
    """Who calls in which part: each member pays once on each database."""
    parts = {"warm-up": WARM_UP_CALLS, "timed": TIMED_CALLS, "cpu": calls, "crowd": CROWD}
    found, start = {}, 0
    for part, count in parts.items():
        found[part], start = people[start : start + count], start + count
    found["paced"] = people[start:]
    return found


def measure_postgres(
    real: Server, bare: Server, people: list[Member], today: date, calls: int
) -> OnPostgres:
    part = split(people, calls)
    _warm_up(real, bare, part["warm-up"], today)
    voice_member, relay_member = part["timed"]
    voice = _timed_call(real, voice_member, today, DEFAULT_TO)
    relay = _timed_call(real, relay_member, today, RELAY_NUMBER)
    load = cpu_load("PostgreSQL", real, bare, part["cpu"], today)
    paced = paced_load(real, part["paced"], today)
    crowd = slow_crowd(real.base_url, part["crowd"], today)  # after the other figures
    return OnPostgres(load, paced, voice, relay, crowd)


def measure_sqlite(
    real: Server, bare: Server, people: list[Member], today: date, calls: int
) -> CpuLoad:
    part = split(people, calls)
    _warm_up(real, bare, part["warm-up"], today)
    return cpu_load("SQLite", real, bare, part["cpu"], today)


def _warm_up(real: Server, bare: Server, people: list[Member], today: date) -> None:
    run_all(lambda m: pay_by_card(real.base_url, m, today, Timings()), people, CONCURRENCY)
    run_bare(bare.base_url, BARE_WARM_UP, CONCURRENCY)


def cpu_load(
    database: str, real: Server, bare: Server, people: list[Member], today: date
) -> CpuLoad:
    real_cpu, timings = busy_during(
        real.pid, lambda: run_calls(real.base_url, people, today, CONCURRENCY)
    )
    bare_cpu, bare_timings = busy_during(
        bare.pid, lambda: run_bare(bare.base_url, timings.requests, CONCURRENCY)
    )
    return CpuLoad(
        database=database,
        workers=WORKERS,
        calls=len(people),
        webhooks=timings.webhooks,
        status_callbacks=len(timings.status_callbacks),
        cpu=real_cpu,
        floor=Floor(bare_timings.requests, bare_cpu, bare_timings.webhooks),
    )


def _timed_call(real: Server, member: Member, today: date, to: str) -> CallerTime:
    """A returning member's card payment, alone on the warmed-up server (so a hold heard in it
    is the line's, not the warm-up's): the caller's time from its log."""
    return caller_time(pay_by_card(real.base_url, member, today, Timings(), to, returning=True))
