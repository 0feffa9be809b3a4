"""The billing feed's figures as rows of the bench table (bench.report), with their targets."""

from __future__ import annotations

from bench.importing import ImportFigures, Load
from bench.report import Row

MAX_FIRST_S = 30.0  # a first load of 100,000 members
MAX_AGAIN_S = 15.0  # the same file again, and one with 1% changed
MAX_PEAK_MB = 300.0  # at 500,000 members


def rows(f: ImportFigures) -> list[Row]:
    n = f"{f.members:,}"
    return [
        _timed(f"Import, first load, {n} members", f.first, MAX_FIRST_S, f.floor_seconds),
        _timed(f"Import, the same {n} again", f.again, MAX_AGAIN_S, f.floor_seconds),
        _timed(f"Import, {n} with 1% of premiums changed", f.changed, MAX_AGAIN_S,
               f.floor_seconds),
        Row("Import floor: bare COPY of the same rows, unlogged", f"{f.floor_seconds:.1f} s"),
        Row(f"Import peak memory, first load of {f.memory_members:,} members (JSON Lines)",
            f"{_mb(f.memory):.0f} MB ({f.memory.seconds:.0f} s)", f"<= {MAX_PEAK_MB:g} MB",
            _mb(f.memory) <= MAX_PEAK_MB),
        Row(f"Import peak memory, first load of {n} members", f"{_mb(f.first):.0f} MB"),
    ]  # fmt: skip


def _timed(figure: str, load: Load, target: float, floor: float) -> Row:
    value = f"{load.seconds:.1f} s ({load.seconds / floor:.0f} x floor)"
    return Row(figure, value, f"<= {target:g} s", load.seconds <= target)


def _mb(load: Load) -> float:
    return load.peak_rss_kb / 1024
