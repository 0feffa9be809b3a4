"""Job workers for the AutoPay benchmark: `ivr worker` processes (RQ forking workers) started,
waited for until Redis lists them all, watched for their peak memory, stopped cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import redis
from rq import Worker

from bench import BenchError
from bench.cpu import PROC, children
from bench.servers import REPO, START_TIMEOUT, STOP_TIMEOUT, ivr_command

SAMPLE_SECONDS = 0.1


class PeakMemory:
    """The largest peak RSS (VmHWM) seen among the workers and their work horses, sampled on a
    thread: a work horse lives for one chunk, so a horse that ends between samples is missed."""

    def __init__(self, roots: list[int]) -> None:
        self._roots = set(roots)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.worker_kb = 0
        self.horse_kb = 0

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            for pid in self._roots:
                self.worker_kb = max(self.worker_kb, _peak_kb(pid))
            for pid in children(self._roots):
                self.horse_kb = max(self.horse_kb, _peak_kb(pid))


@contextmanager
def running_workers(
    count: int, env: dict[str, str], connection: redis.Redis
) -> Iterator[list[int]]:
    """`count` workers, each listed by Redis; their pids. SIGTERM (RQ's warm shutdown) on the
    way out, SIGKILL to a worker's group if it lingers."""
    workers: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(count):
            workers.append(_start(env))
        _wait_registered(workers, connection)
        yield [worker.pid for worker in workers]
    finally:
        for worker in workers:
            _stop(worker)


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*ivr_command(), "worker"],
        cwd=REPO,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _wait_registered(workers: list[subprocess.Popen[bytes]], connection: redis.Redis) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while Worker.count(connection=connection) < len(workers):
        ended = [worker.returncode for worker in workers if worker.poll() is not None]
        if ended:
            raise BenchError(f"an `ivr worker` exited with {ended[0]} on starting")
        if time.monotonic() > deadline:
            raise BenchError(f"the {len(workers)} workers were not all up in {START_TIMEOUT:g} s")
        time.sleep(0.1)


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        return
    worker.send_signal(signal.SIGTERM)
    try:
        worker.wait(STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(STOP_TIMEOUT)


def _peak_kb(pid: int) -> int:
    try:
        status = (PROC / str(pid) / "status").read_text()
    except OSError:  # it ended while we looked
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
