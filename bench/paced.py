"""The paced load: CALLERS card calls at once, each caller pausing about PAUSE_S before each
answer, as a person on a phone does, and the line's latency per webhook under it.

Each of CALLERS lanes places calls one after another (each member pays once) until its share
of the calls is done; the lanes start spread over one pause, and each pause is drawn from
PAUSE_S +- JITTER (seeded per lane), so the callers drift apart instead of answering in step.
The pauses are taken in real time, and so are Twilio's <Pause>s. A call that fails is counted,
not fatal: non-200 answers and calls not approved are the load's errors (target 0).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from bench import BenchError
from bench.accesslog import log_size, webhook_ms
from bench.accounts import Member
from bench.cpu import cpu_during, machine_busy_seconds
from bench.load import Timings, pay_by_card, run_all
from bench.servers import Server
from devtools.phone import Answered, Event, Paused

CALLERS = 50
PAUSE_S = 0.5
JITTER = 0.1


@dataclass(frozen=True)
class Paced:
    """What the paced load found, on one server."""

    callers: int
    pause: float
    calls: int
    webhooks: list[float]  # seconds per webhook request as the callers timed it
    server_ms: list[float]  # the same webhooks as the server's access log timed them
    status_callbacks: int
    non_200: tuple[str, ...]  # a webhook not answered 200, a status callback not 2xx
    failed_calls: tuple[str, ...]  # the first line of each failure, one per call not approved
    cpu: Cpu

    @property
    def requests(self) -> int:
        return len(self.webhooks) + self.status_callbacks


@dataclass(frozen=True)
class Cpu:
    """CPU seconds during the load: the server's, the callers' (this process), all the
    machine's (PostgreSQL, Redis and anyone else's work too), over `seconds` of wall time."""

    server: float
    callers: float
    machine: float
    seconds: float


def paced_load(real: Server, people: list[Member], today: date, callers: int = CALLERS) -> Paced:
    """Every member in `people` pays by card on `real`, `callers` calls at a time, paced."""
    logged_from, started = log_size(real.log_path), time.monotonic()
    machine, ours = machine_busy_seconds(), time.process_time()
    server, (timings, failed) = cpu_during(
        real.pid, lambda: _paced_calls(real.base_url, people, today, min(callers, len(people)))
    )
    if len(failed) == len(people):
        raise BenchError(f"every paced call failed; the first: {failed[0]}")
    cpu = Cpu(
        server,
        time.process_time() - ours,
        machine_busy_seconds() - machine,
        time.monotonic() - started,
    )
    return Paced(
        callers=min(callers, len(people)),
        pause=PAUSE_S,
        calls=len(people),
        webhooks=timings.webhooks,
        server_ms=webhook_ms(real.log_path, logged_from),
        status_callbacks=len(timings.status_callbacks),
        non_200=tuple(timings.failed),
        failed_calls=failed,
        cpu=cpu,
    )


def _paced_calls(
    base_url: str, people: list[Member], today: date, callers: int, pause: float = PAUSE_S
) -> tuple[Timings, tuple[str, ...]]:
    timings = Timings()
    failures: list[str] = []
    lock = threading.Lock()

    def lane(index: int) -> None:
        pauses = random.Random(index)
        time.sleep(index * pause / callers)
        on_event = _caller_pausing(lambda: pause + pauses.uniform(-JITTER, JITTER))
        for member in people[index::callers]:
            try:
                pay_by_card(base_url, member, today, timings, answer_delay=pause, on_event=on_event)
            except BenchError as error:
                with lock:
                    failures.append(str(error).split("\n", 1)[0])

    run_all(lane, range(callers), callers)
    return timings, tuple(failures)


def _caller_pausing(pause: Callable[[], float]) -> Callable[[Event], None]:
    """An event hook that sleeps `pause()` before each answer and through each <Pause>."""

    def on_event(event: Event) -> None:
        if isinstance(event, Answered):
            time.sleep(pause())
        elif isinstance(event, Paused):
            time.sleep(event.seconds)

    return on_event
