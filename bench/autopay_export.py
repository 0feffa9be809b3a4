"""The ACH export in a process of its own, so that its peak memory is its own: `python -m
bench.autopay_export DATABASE_URL FILE_DATE OUT` (BANK_DATA_KEY in the environment) exports as
`ivr ach export` does and prints one JSON line: the report, the seconds `export` took (the
process's start-up apart) and the process's peak RSS."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench import BenchError
from bench.servers import REPO

TIMEOUT = 600.0


@dataclass(frozen=True)
class ExportFigures:
    seconds: float
    entries: int
    total_cents: int
    peak_rss_kb: int
    sha256: str


def export_apart(database_url: str, bank_key: str, file_date: date, out: Path) -> ExportFigures:
    """Run the export in a fresh Python process; BenchError when it fails."""
    command = [sys.executable, "-m", "bench.autopay_export", database_url, str(file_date), str(out)]
    try:
        done = subprocess.run(
            command, cwd=REPO, env={**os.environ, "BANK_DATA_KEY": bank_key},
            capture_output=True, text=True, timeout=TIMEOUT, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"the ACH export took more than {TIMEOUT:g} s") from error
    if done.returncode != 0:
        raise BenchError(f"the ACH export failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return ExportFigures(**json.loads(done.stdout.splitlines()[-1]))


def main(database_url: str, file_date: str, out: str) -> None:
    from ivr.config import Settings
    from payments.bank.export import export
    from payments.bootstrap import build_core

    core = build_core(database_url, bank_key=os.environ["BANK_DATA_KEY"])
    originator = Settings(twilio_auth_token="x").ach_originator
    started = time.perf_counter()
    report = export(
        core.uow, core.sealer, originator, date.fromisoformat(file_date), Path(out), core.clock
    )
    seconds = time.perf_counter() - started
    core.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    figures = ExportFigures(seconds, report.entries, report.total_cents, peak, report.sha256)
    print(json.dumps(figures.__dict__))


if __name__ == "__main__":
    main(*sys.argv[1:])
