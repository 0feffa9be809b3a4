"""The measurements, in order: warm-up calls (two of them timed by ear), then the two loads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

from bench import CONCURRENCY, RELAY_NUMBER
from bench.accounts import Member
from bench.cpu import tree_cpu_seconds
from bench.load import Timings, pay_by_card, run_all, run_bare, run_calls
from bench.servers import Server
from devtools.phone import CallLog
from devtools.phone.device import DEFAULT_TO
from ivr.speech import word_count

WARM_UP_CALLS = 4  # one per caller thread, so both workers have served a whole call
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
    voice_words: int
    relay_words: int

    @property
    def real_requests(self) -> int:
        return len(self.webhooks) + self.status_callbacks


def members_needed(calls: int) -> int:
    return calls + WARM_UP_CALLS


def measure(real: Server, bare: Server, people: list[Member], today: date) -> Figures:
    voice, relay = _warm_up(real, people[:WARM_UP_CALLS], today)
    run_bare(bare.base_url, BARE_WARM_UP, CONCURRENCY)
    calls = people[WARM_UP_CALLS:]
    real_cpu, timings = _cpu_during(
        real.pid, lambda: run_calls(real.base_url, calls, today, CONCURRENCY)
    )
    bare_cpu, bare_timings = _cpu_during(
        bare.pid, lambda: run_bare(bare.base_url, timings.requests, CONCURRENCY)
    )
    return Figures(
        calls=len(calls),
        webhooks=timings.webhooks,
        status_callbacks=len(timings.status_callbacks),
        real_cpu=real_cpu,
        bare=bare_timings,
        bare_cpu=bare_cpu,
        voice_words=word_count(voice.spoken),
        relay_words=word_count(relay.spoken),
    )


def _warm_up(real: Server, people: list[Member], today: date) -> tuple[CallLog, CallLog]:
    """Concurrent first calls (lazy imports, connection pools); the first two, voice and relay,
    are the ones whose words are counted."""
    numbers = [DEFAULT_TO, RELAY_NUMBER] + [DEFAULT_TO] * (len(people) - 2)
    logs = run_all(
        lambda pair: pay_by_card(real.base_url, pair[0], today, Timings(), to=pair[1]),
        list(zip(people, numbers, strict=True)),
        CONCURRENCY,
    )
    return logs[0], logs[1]


def _cpu_during(pid: int, load: Callable[[], Outcome]) -> tuple[float, Outcome]:
    before = tree_cpu_seconds(pid)
    outcome = load()
    return tree_cpu_seconds(pid) - before, outcome
