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
from bench.accounts import APPROVED, Member, card_payment_script, returning_member_script
from devtools.phone import (
    CallLog,
    Event,
    HttpTransport,
    Ignored,
    Phone,
    TimedOut,
    TransportError,
)
from devtools.phone.device import DEFAULT_TO, STATUS_PATH
from payments.domain.values import ATTESTED

STRANGER = "+16175559999"  # a caller ID on no member's file: the caller keys the Subscriber ID
STRANGERS = "+1617557"  # then four digits: more caller IDs on no member's file, one per caller
REQUEST_TIMEOUT = 10.0
Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass
class Timings:
    """Seconds per request, the status callback apart (Twilio does not wait on it), and the
    answers that were not a success: a webhook not answered 200, a status callback not 2xx."""

    webhooks: list[float] = field(default_factory=list)
    webhook_starts: list[float] = field(default_factory=list)  # time.perf_counter(), sent
    status_callbacks: list[float] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)  # "POST /path: HTTP 503"
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, path: str, seconds: float, status: int = 200, started: float = 0.0) -> None:
        with self._lock:
            callback = path == STATUS_PATH
            if callback:
                self.status_callbacks.append(seconds)
            else:
                self.webhooks.append(seconds)
                self.webhook_starts.append(started)
            if not (200 <= status < 300 if callback else status == 200):
                self.failed.append(f"{path}: HTTP {status}")

    def webhooks_between(self, first: float, last: float) -> list[float]:
        """Seconds of the webhooks sent from `first` to `last` (time.perf_counter())."""
        with self._lock:
            pairs = zip(self.webhook_starts, self.webhooks, strict=True)
            return [seconds for sent, seconds in pairs if first <= sent <= last]

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
        self.timings.add(path.split("?", 1)[0], time.perf_counter() - started, answer[0], started)
        return answer


def pay_by_card(
    base_url: str,
    member: Member,
    today: date,
    timings: Timings,
    to: str = DEFAULT_TO,
    *,
    returning: bool = False,
    answer_delay: float = 0.0,
    on_event: Callable[[Event], None] | None = None,
    stranger: str = STRANGER,
) -> CallLog:
    """One full card payment; BenchError with the transcript unless it was approved, or if the
    script did not fit what the line asked (a Gather timed out, keys or speech went unheard).

    A returning member calls from the phone on file, fully attested (StirVerstat), and takes
    the account the line found;
    otherwise the call comes from `stranger` (a number on no member's file) and the caller keys
    the Subscriber ID. No answer
    delay by default: the call's duration is the line's doing alone (see `bench.caller`).
    `answer_delay` is only the phone's model of time (it does not wait); a caller that really
    pauses does so in `on_event` (`bench.paced`).
    """
    caller = member.phone if returning else stranger
    script = (returning_member_script if returning else card_payment_script)(member, today)
    phone = Phone(
        TimedTransport(base_url, timings),
        AUTH_TOKEN,
        from_number=caller,
        to_number=to,
        stir_verstat=ATTESTED if returning else None,  # the phone on file, as carriers attest it
        answer_delay=answer_delay,
    )
    log = phone.call(script, on_event)
    misfits = [str(event) for event in log.events if _misfit(event)]
    if log.errors or APPROVED not in log.spoken or misfits:
        problems = [error.message for error in log.errors] + [
            f"the script does not fit the line: {misfit}" for misfit in misfits
        ]
        if APPROVED not in log.spoken:
            problems.append("not approved")
        raise BenchError(
            f"the call paying for {member.subscriber_id} (from {caller} to {to}) failed "
            f"({'; '.join(problems)}); it ended by {log.ended_by}. "
            f"What the caller heard:\n{log.spoken}"
        )
    return log


def _misfit(event: object) -> bool:
    """A sign the script answered something the line did not ask for."""
    if isinstance(event, TimedOut):
        return True
    return isinstance(event, Ignored) and event.what.startswith(("keys", "speech"))


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
