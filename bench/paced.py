"""The paced load: CALLERS card calls in progress at once, each caller pausing about PAUSE_S
before each answer, as a person on a phone does, and the line's latency per webhook under it.

Each of CALLERS lanes places calls one after another (each member pays once) until its share
of the calls is done. The lanes start spread over one call's length, so that from the last
start on CALLERS calls are in progress, each at a step of its own, as on a real line: started
all at once, they would go through the script in step, and every confirmation of the crowd
(the costliest turn) would arrive in the same second. Each pause is drawn from PAUSE_S +-
JITTER (seeded per lane). The pauses are taken in real time, and so are Twilio's <Pause>s.
Each lane calls from a number of its own, on no member's file, so its caller keys the
Subscriber ID: CALLERS people, not one number calling CALLERS times (the limits on guessing count,
and serialise, each caller number's checks: one number for all would queue every date of birth
behind the others').

Latency counts the webhooks sent in the steady window: from the last lane's first call to the
first lane's last hang-up, while every lane has a call in progress (a lane placing one call
only has none: then every webhook counts, and the row says so). A call that fails is counted,
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
from bench.accounts import Member, card_payment_script
from bench.cpu import Busy, busy_during
from bench.load import STRANGERS, Timings, pay_by_card, run_all
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
    webhooks: list[float]  # seconds per webhook, as the callers timed those of the window
    steady: bool  # False: no steady window (a lane placed one call), every webhook counts
    all_webhooks: int  # sent in the whole load, ramps too
    server_ms: list[float]  # every webhook of the load as the server's access log timed it
    status_callbacks: int
    non_200: tuple[str, ...]  # a webhook not answered 200, a status callback not 2xx
    failed_calls: tuple[str, ...]  # the first line of each failure, one per call not approved
    cpu: Busy

    @property
    def requests(self) -> int:
        return self.all_webhooks + self.status_callbacks


@dataclass
class _Lanes:
    timings: Timings
    failures: list[str]
    first_calls: list[float]  # time.perf_counter() as each lane placed its first call
    last_hang_ups: list[float]  # as each lane's last call ended

    def window(self) -> list[float] | None:
        first, last = max(self.first_calls), min(self.last_hang_ups)
        return self.timings.webhooks_between(first, last) if first < last else None


def paced_load(real: Server, people: list[Member], today: date, callers: int = CALLERS) -> Paced:
    """Every member in `people` pays by card on `real`, `callers` calls at a time, paced."""
    callers = min(callers, len(people))
    logged_from = log_size(real.log_path)
    cpu, lanes = busy_during(real.pid, lambda: _paced_calls(real.base_url, people, today, callers))
    if len(lanes.failures) == len(people):
        raise BenchError(f"every paced call failed; the first: {lanes.failures[0]}")
    timings, window = lanes.timings, lanes.window()
    return Paced(
        callers=callers,
        pause=PAUSE_S,
        calls=len(people),
        webhooks=timings.webhooks if window is None else window,
        steady=window is not None,
        all_webhooks=len(timings.webhooks),
        server_ms=webhook_ms(real.log_path, logged_from),
        status_callbacks=len(timings.status_callbacks),
        non_200=tuple(timings.failed),
        failed_calls=tuple(lanes.failures),
        cpu=cpu,
    )


def _paced_calls(
    base_url: str, people: list[Member], today: date, callers: int, pause: float = PAUSE_S
) -> _Lanes:
    lanes = _Lanes(Timings(), [], [0.0] * callers, [0.0] * callers)
    lock = threading.Lock()
    call_length = pause * len(card_payment_script(people[0], today))

    def lane(index: int) -> None:
        pauses = random.Random(index)
        time.sleep(index * call_length / callers)
        on_event = _caller_pausing(lambda: pause + pauses.uniform(-JITTER, JITTER))
        lanes.first_calls[index] = time.perf_counter()
        for member in people[index::callers]:
            try:
                pay_by_card(base_url, member, today, lanes.timings, answer_delay=pause,
                            on_event=on_event, stranger=lane_number(index))  # fmt: skip
            except BenchError as error:
                with lock:
                    lanes.failures.append(str(error).split("\n", 1)[0])
        lanes.last_hang_ups[index] = time.perf_counter()

    run_all(lane, range(callers), callers)
    return lanes


def lane_number(index: int) -> str:
    """The caller ID of lane `index`: on no member's file, and no other lane's."""
    return f"{STRANGERS}{index:04d}"


def _caller_pausing(pause: Callable[[], float]) -> Callable[[Event], None]:
    """An event hook that sleeps `pause()` before each answer and through each <Pause>."""

    def on_event(event: Event) -> None:
        if isinstance(event, Answered):
            time.sleep(pause())
        elif isinstance(event, Paused):
            time.sleep(event.seconds)

    return on_event
