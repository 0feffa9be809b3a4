"""The AutoPay figures as rows of the bench table (bench.report), with their targets."""

from __future__ import annotations

from decimal import Decimal

from bench.autopay import WORKERS, AutopayFigures, Round
from bench.report import Row

MAX_RUN_AND_EXPORT_S = 60.0
# Memory flat: the export's peak RSS at full size at most this much above a tenth of the size
# (the interpreter and its imports are the same at both sizes; what a file built in memory, or
# its entries held, would add grows with the entries).
MEMORY_RATIO, MEMORY_SLACK_MB = 1.25, 20.0


def memory_limit_mb(small_mb: float) -> float:
    return small_mb * MEMORY_RATIO + MEMORY_SLACK_MB


def rows(f: AutopayFigures) -> list[Row]:
    full = f.full
    both = full.run_seconds + full.export.seconds
    return [
        Row("AutoPay set-up, enrolling (not timed)", f"{full.setup_seconds:.1f} s"),
        Row(f"AutoPay run, {full.enrolments:,} enrolments, {WORKERS} workers",
            f"{full.run_seconds:.1f} s"),
        Row(f"ACH export, {full.export.entries:,} entries", f"{full.export.seconds:.1f} s"),
        Row("AutoPay run + export", f"{both:.1f} s", f"<= {MAX_RUN_AND_EXPORT_S:g} s",
            both <= MAX_RUN_AND_EXPORT_S),
        _memory_row(f.small, full),
        Row("Worker peak memory, worker / work horse",
            f"{_mb(full.worker_peak_kb):.0f} MB / {_mb(full.horse_peak_kb):.0f} MB"),
        Row("ACH file valid (both validators, totals = database)",
            f"yes ({full.export.entries:,} entries, {_dollars(full.export.total_cents)})",
            "valid (else exit 2)", True),
        Row("Machine load average as the run started (all its work)",
            f"{full.load_before:.2f}"),
        Row("AutoPay benchmark in all, both sizes, set-up included", f"{f.seconds:.0f} s"),
    ]  # fmt: skip


def _memory_row(small: Round, full: Round) -> Row:
    small_mb, full_mb = _mb(small.export.peak_rss_kb), _mb(full.export.peak_rss_kb)
    return Row(
        f"ACH export peak memory, {small.enrolments:,} / {full.enrolments:,} entries",
        f"{small_mb:.0f} MB / {full_mb:.0f} MB",
        f"flat: <= {MEMORY_RATIO:g} x {small_mb:.0f} + {MEMORY_SLACK_MB:g} MB",
        full_mb <= memory_limit_mb(small_mb),
    )


def _dollars(cents: int) -> str:
    return f"${Decimal(cents) / 100:,.2f}"


def _mb(kb: int) -> float:
    return kb / 1024
