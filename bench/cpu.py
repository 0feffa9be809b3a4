"""CPU time of a process tree, read from /proc (no psutil needed)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bench import BenchError

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Positions in /proc/<pid>/stat after the ")" that closes the command name (fields 3 onward).
_PPID, _UTIME, _CSTIME = 1, 11, 14
Outcome = TypeVar("Outcome")


def tree_cpu_seconds(root: int) -> float:
    """User + system CPU of `root` and its direct children (a gunicorn master and its workers).

    Reaped children's time (cutime, cstime) is included, so a worker that was replaced during
    a measurement still counts.
    """
    own = _fields(PROC / str(root) / "stat")
    if own is None:
        raise BenchError(f"process {root} is gone: cannot read its CPU time")
    ticks = _ticks(own)
    for stat in PROC.glob("[0-9]*/stat"):
        fields = _fields(stat)
        if fields is not None and int(fields[_PPID]) == root:
            ticks += _ticks(fields)
    return ticks / CLOCK_TICKS


@dataclass(frozen=True)
class Busy:
    """CPU seconds during a load: the measured server's (its tree), the callers' (this
    process), the whole machine's (PostgreSQL, Redis and anyone else's work too), over
    `seconds` of wall time."""

    server: float
    callers: float
    machine: float
    seconds: float

    @property
    def rest(self) -> float:
        """CPU seconds of everything but the server and the callers."""
        return max(self.machine - self.server - self.callers, 0.0)

    def cores(self, cpu_seconds: float) -> float:
        return cpu_seconds / self.seconds if self.seconds else 0.0


def busy_during(pid: int, load: Callable[[], Outcome]) -> tuple[Busy, Outcome]:
    """What the machine was busy with while `load()` ran, and what it returned."""
    server, machine = tree_cpu_seconds(pid), machine_busy_seconds()
    callers, started = time.process_time(), time.monotonic()
    outcome = load()
    busy = Busy(
        server=tree_cpu_seconds(pid) - server,
        callers=time.process_time() - callers,
        machine=machine_busy_seconds() - machine,
        seconds=time.monotonic() - started,
    )
    return busy, outcome


def children(parents: set[int]) -> list[int]:
    """The processes whose parent is one of `parents`."""
    found = []
    for stat in PROC.glob("[0-9]*/stat"):
        fields = _fields(stat)
        if fields is not None and int(fields[_PPID]) in parents:
            found.append(int(stat.parent.name))
    return found


def _ticks(fields: list[str]) -> int:
    return sum(int(value) for value in fields[_UTIME : _CSTIME + 1])


def _fields(stat: Path) -> list[str] | None:
    try:
        text = stat.read_text()
    except OSError:  # the process ended while we looked
        return None
    return text[text.rindex(")") + 2 :].split()


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot, all cores (from /proc/stat):
    what everyone's processes used, to tell how much else ran beside a measurement."""
    fields = (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in fields[:8])
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS
