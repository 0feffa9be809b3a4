"""Every webhook answers within its budget, whatever the database, Redis or processor do.

The work runs on a thread of a small pool; the request waits for it at most `seconds`. Work still
running then goes on by itself: a call's turn keeps its lock and stores its answer, which the
caller gets when the call asks for the same turn again (ivr.calls). Timeouts on the database and
Redis connections bound how long such work can go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
SECONDS = 4.0  # Twilio waits 15 s; we promise 5, and keep a second for the network
THREADS = 16


class OutOfTime(Exception):
    """The work did not finish within the budget; it goes on in the background."""


class Budget:
    def __init__(self, seconds: float = SECONDS, threads: int = THREADS) -> None:
        self.seconds = seconds
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="webhook")

    def deadline(self) -> float:
        """The time.monotonic() by which work started now must be done."""
        return time.monotonic() + self.seconds

    def run(self, work: Callable[[], T], seconds: float | None = None) -> T:
        """`work()`'s result, or OutOfTime after `seconds` (the budget by default)."""
        future = self._pool.submit(work)
        try:
            return future.result(timeout=self.seconds if seconds is None else seconds)
        except FutureTimeout:
            log.warning(
                "webhook work still running after %.1f s; answered without it", self.seconds
            )
            raise OutOfTime() from None

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
