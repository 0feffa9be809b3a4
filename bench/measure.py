"""The measurements, in order: warm-up calls, the two calls timed as the caller lives them
(a returning member paying one plan by card, on the voice and on the relay number), then the
two loads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from bench import CONCURRENCY, RELAY_NUMBER
from bench.accounts import Member
from bench.caller import CallerTime, caller_time
from bench.cpu import tree_cpu_seconds
from bench.crowd import CROWD, Crowd, slow_crowd
from bench.load import Timings, pay_by_card, run_all, run_bare, run_calls
from bench.servers import Server
from devtools.phone.device import DEFAULT_TO

WARM_UP_CALLS = 4  # one per caller thread, so both workers have served a whole call
TIMED_CALLS = 2  # voice and relay, each by a member of its own
BARE_WARM_UP = 40
Outcome = TypeVar("Outcome")


@dataclass(frozen=True)
class Figures:
    calls: int
    webhooks: list[float]  # seconds per webhook request, status callbacks apart
    status_callbacks: int
    real_cpu: float  # seconds of CPU, gunicorn master and workers
    bare: Timings
    bare_cpu: float
    voice: CallerTime
    relay: CallerTime
    crowd: Crowd | None = None

    @property
    def real_requests(self) -> int:
        return len(self.webhooks) + self.status_callbacks


def members_needed(calls: int) -> int:
    return calls + WARM_UP_CALLS + TIMED_CALLS + CROWD


def measure(real: Server, bare: Server, people: list[Member], today: date) -> Figures:
    warm_up, (voice_member, relay_member), calls = _split(people[:-CROWD])
    run_all(lambda m: pay_by_card(real.base_url, m, today, Timings()), warm_up, CONCURRENCY)
    voice = _timed_call(real, voice_member, today, DEFAULT_TO)
    relay = _timed_call(real, relay_member, today, RELAY_NUMBER)
    run_bare(bare.base_url, BARE_WARM_UP, CONCURRENCY)
    real_cpu, timings = _cpu_during(
        real.pid, lambda: run_calls(real.base_url, calls, today, CONCURRENCY)
    )
    bare_cpu, bare_timings = _cpu_during(
        bare.pid, lambda: run_bare(bare.base_url, timings.requests, CONCURRENCY)
    )
    crowd = slow_crowd(real.base_url, people[-CROWD:], today)  # after the CPU figures
    return Figures(
        calls=len(calls),
        webhooks=timings.webhooks,
        status_callbacks=len(timings.status_callbacks),
        real_cpu=real_cpu,
        bare=bare_timings,
        bare_cpu=bare_cpu,
        voice=voice,
        relay=relay,
        crowd=crowd,
    )


def _split(people: list[Member]) -> tuple[list[Member], list[Member], list[Member]]:
    """Warm-up callers, the timed callers, and the load's callers: each member pays once."""
    timed_end = WARM_UP_CALLS + TIMED_CALLS
    return people[:WARM_UP_CALLS], people[WARM_UP_CALLS:timed_end], people[timed_end:]


def _timed_call(real: Server, member: Member, today: date, to: str) -> CallerTime:
    """A returning member's card payment, alone on the warmed-up server (so a hold heard in it
    is the line's, not the warm-up's): the caller's time from its log."""
    return caller_time(pay_by_card(real.base_url, member, today, Timings(), to, returning=True))


def _cpu_during(pid: int, load: Callable[[], Outcome]) -> tuple[float, Outcome]:
    before = tree_cpu_seconds(pid)
    outcome = load()
    return tree_cpu_seconds(pid) - before, outcome
