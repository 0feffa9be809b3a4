"""Mutation score from the last `mutmut run` (`make mutation` prints it after mutmut's results).

    python -m bench.mutation_score [MODULE_GLOB ...]

Reads mutmut's per-file results (mutants/<source>.py.meta, written by mutmut 3) and prints, per
module and in total, mutmut's own status counts and the score killed / (killed + survived).
Timeouts, "no tests" and mutants not checked yet (a run restricted to some mutants, or stopped)
are counted and shown, but left out of the score. MODULE_GLOB (e.g. 'payments.domain.*')
restricts the table and the total to the modules it matches. Exit 2 when there are no results.
"""

from __future__ import annotations

import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

MUTANTS = Path("mutants")
COLUMNS = ["killed", "survived", "timeout", "no tests", "not checked"]


def module_of(meta: Path) -> str:
    """mutants/payments/domain/plans.py.meta -> payments.domain.plans"""
    source = meta.relative_to(MUTANTS).with_suffix("").with_suffix("")
    return ".".join(source.parts).removesuffix(".__init__")


def counts_by_module(globs: list[str]) -> dict[str, Counter[str]]:
    found: dict[str, Counter[str]] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        module = module_of(meta)
        if globs and not any(fnmatch.fnmatch(module, pattern) for pattern in globs):
            continue
        exit_codes = json.loads(meta.read_text())["exit_code_by_key"].values()
        counts = Counter(status_by_exit_code[code] for code in exit_codes)
        if counts:
            found[module] = counts
    return found


def score(counts: Counter[str]) -> str:
    decided = counts["killed"] + counts["survived"]
    return f"{counts['killed'] / decided:7.1%}" if decided else "     -"


def row(name: str, counts: Counter[str], width: int) -> str:
    others = sum(n for status, n in counts.items() if status not in COLUMNS)
    cells = "".join(f"{counts[column]:>12}" for column in COLUMNS)
    return f"{name:<{width}}{cells}{others:>8}   {score(counts)}"


def main(argv: list[str]) -> int:
    by_module = counts_by_module(argv)
    if not by_module:
        print("No mutmut results under mutants/ (run `make mutation` first).")
        return 2
    width = max(len("total"), *map(len, by_module)) + 2
    header = "".join(f"{column:>12}" for column in COLUMNS)
    print(f"{'module':<{width}}{header}{'other':>8}   score = killed / (killed + survived)")
    total: Counter[str] = Counter()
    for module, counts in by_module.items():
        print(row(module, counts, width))
        total.update(counts)
    print(row("total", total, width))
    decided = total["killed"] + total["survived"]
    if decided:
        print(f"\nmutation score: {total['killed']} / {decided} = {total['killed'] / decided:.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
