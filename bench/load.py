"""Calls and requests under load: timed HTTP through the terminal phone, several at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import TypeVar

from bench import AUTH_TOKEN, BenchError
from bench.accounts import APPROVED, Member, card_payment_script
from devtools.phone import CallLog, HttpTransport, Phone, TransportError
from devtools.phone.device import DEFAULT_TO, STATUS_PATH

STRANGER = "+16175559999"  # a caller ID on no member's file: the caller keys the Subscriber ID
REQUEST_TIMEOUT = 10.0
Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class Timings:
    """Seconds per request, the status callback apart (Twilio does not wait on it)."""

    webhooks: list[float] = field(default_factory=list)
    status_callbacks: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, path: str, seconds: float) -> None:
        with self._lock:
            target = self.status_callbacks if path == STATUS_PATH else self.webhooks
            target.append(seconds)

    @property
    def requests(self) -> int:
        return len(self.webhooks) + len(self.status_callbacks)


class TimedTransport(HttpTransport):
    """HttpTransport that records how long each answered request took."""

    def __init__(self, base_url: str, timings: Timings) -> None:
        super().__init__(base_url, timeout=REQUEST_TIMEOUT)
        self.timings = timings

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None,
        headers: Mapping[str, str],
    ) -> tuple[int, str]:
        started = time.perf_counter()
        answer = super().request(method, path, params, headers)
        self.timings.add(path.split("?", 1)[0], time.perf_counter() - started)
        return answer


def pay_by_card(
    base_url: str, member: Member, today: date, timings: Timings, to: str = DEFAULT_TO
) -> CallLog:
    """One full card payment; BenchError with the transcript unless it was approved."""
    phone = Phone(TimedTransport(base_url, timings), AUTH_TOKEN, from_number=STRANGER, to_number=to)
    log = phone.call(card_payment_script(member, today))
    if log.errors or APPROVED not in log.spoken:
        problems = "; ".join(error.message for error in log.errors) or "no errors reported"
        raise BenchError(
            f"the call paying for {member.subscriber_id} (to {to}) was not approved "
            f"({problems}); it ended by {log.ended_by}. What the caller heard:\n{log.spoken}"
        )
    return log


def run_calls(base_url: str, people: list[Member], today: date, concurrency: int) -> Timings:
    """`concurrency` callers, each placing calls one after another until everyone has paid."""
    timings = Timings()
    run_all(lambda member: pay_by_card(base_url, member, today, timings), people, concurrency)
    return timings


def run_bare(base_url: str, requests: int, concurrency: int) -> Timings:
    """`requests` POSTs to the bare app, `concurrency` at a time, each checked for HTTP 200."""
    timings = Timings()
    params = {"CallSid": "CA" + "0" * 32, "From": STRANGER, "To": DEFAULT_TO, "Digits": "1"}
    headers = {"X-Twilio-Signature": "unchecked-by-the-bare-app"}

    def post(_: int) -> None:
        try:
            status, _body = TimedTransport(base_url, timings).request("POST", "/", params, headers)
        except TransportError as error:
            raise BenchError(f"the bare app did not answer: {error}") from error
        if status != 200:
            raise BenchError(f"the bare app answered HTTP {status}")

    run_all(post, range(requests), concurrency)
    return timings


def run_all(
    work: Callable[[Item], Result], items: Iterable[Item], concurrency: int
) -> list[Result]:
    """`work` over `items` on `concurrency` threads, in order; a failure cancels the rest."""
    pool = ThreadPoolExecutor(concurrency, thread_name_prefix="caller")
    try:
        return [future.result() for future in [pool.submit(work, item) for item in items]]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
