"""CPU time of a process tree, read from /proc (no psutil needed)."""

from __future__ import annotations

import os
from pathlib import Path

from bench import BenchError

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# Positions in /proc/<pid>/stat after the ")" that closes the command name (fields 3 onward).
_PPID, _UTIME, _CSTIME = 1, 11, 14


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
