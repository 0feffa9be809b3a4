"""Charges run outside the webhook: on a pool of this process's threads.

A webhook reserves a payment, hands its charge here and waits for the answer only a short
while (services.service). The thread charges, records the answer and keeps the outcome by
idempotency key for a while, so a webhook of the same process learns it at once; any other
process reads it from the database. A process that dies mid-charge stops renewing the
payment's lease, and another process takes the charge over within seconds (services.leases);
reconciliation (operations.reconcile) settles whatever is left after that.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from payments.domain.values import PaymentOutcome

log = logging.getLogger(__name__)

THREADS = 64  # charges wait on the processor, not the CPU: a crowd's charges all run at once
KEEP_SECONDS = 600.0  # how long an outcome stays here after the charge started


class Charger:
    def __init__(self, threads: int = THREADS, keep_seconds: float = KEEP_SECONDS) -> None:
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="charge")
        self._keep_seconds = keep_seconds
        self._futures: dict[str, tuple[float, Future[PaymentOutcome]]] = {}
        self._lock = threading.Lock()

    def start(self, key: str, job: Callable[[], PaymentOutcome]) -> None:
        """Run `job` (charge and record) on a thread; its outcome is kept under `key`."""
        future = self._pool.submit(job)
        with self._lock:
            self._forget_old()
            self._futures[key] = (time.monotonic(), future)

    def in_flight(self) -> list[str]:
        """The keys of the charges still running here (their leases are renewed)."""
        with self._lock:
            return [key for key, (_, future) in self._futures.items() if not future.done()]

    def later(self, work: Callable[[], object]) -> None:
        """Run follow-up work (retries of a record) on the same threads."""
        self._pool.submit(work)

    def wait(self, key: str, timeout: float) -> PaymentOutcome | None:
        """The outcome of a charge started here, waiting at most `timeout` seconds; None when
        it ran elsewhere, is still running, or failed (the record then tells)."""
        with self._lock:
            entry = self._futures.get(key)
        if entry is None:
            return None
        try:
            return entry[1].result(timeout=max(0.0, timeout))
        except FutureTimeout:
            return None
        except Exception:  # noqa: BLE001 - the payment stays PENDING; reconciliation settles it
            log.exception("charge %s failed before an outcome was known", key)
            return None

    def shutdown(self, wait: bool = True) -> None:
        self._pool.shutdown(wait=wait)

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - self._keep_seconds
        for key in [key for key, (started, _) in self._futures.items() if started < cutoff]:
            del self._futures[key]
