"""The figures as a table with targets, printed (and, when asked, written into the README's
bench block); and what each prompt costs the caller when the voice call is over its target."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bench import CONCURRENCY, WORKERS
from bench.autopay import WORKERS as AUTOPAY_WORKERS
from bench.caller import CallerTime
from bench.measure import Figures

MAX_CPU_RATIO = 2.0
MAX_P99_MS = 50.0
MAX_VOICE_CALLER_S = 75
MAX_CROWD_WEBHOOK_S = 5.0  # Twilio gives up at 15 s; SPEC: every webhook within 5 s
TOP_PROMPTS = 10
README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


@dataclass(frozen=True)
class Row:
    figure: str
    value: str
    target: str = "-"
    passed: bool | None = None  # None: reported, no target

    @property
    def verdict(self) -> str:
        return {True: "PASS", False: "FAIL", None: ""}[self.passed]


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile of `values` (not empty)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(p / 100 * len(ordered)) - 1, 0)]


def rows(f: Figures) -> list[Row]:
    return [*_cpu_rows(f), *_latency_rows(f), *_count_rows(f), *_caller_rows(f), *_crowd_rows(f)]


def _crowd_rows(f: Figures) -> list[Row]:
    crowd = f.crowd
    if crowd is None:
        return []
    slowest = crowd.slowest_webhook
    return [
        Row(
            f"Slow processor (20 s), {crowd.callers} confirming at once: slowest webhook",
            f"{slowest:.2f} s of {crowd.webhooks}",
            f"<= {MAX_CROWD_WEBHOOK_S:g} s",
            slowest <= MAX_CROWD_WEBHOOK_S,
        ),
        Row(
            "Slow processor: callers who heard the result in the call",
            f"{crowd.heard_result} of {crowd.callers}",
            "all",
            crowd.heard_result == crowd.callers,
        ),
    ]


def _cpu_rows(f: Figures) -> list[Row]:
    real_ms = f.real_cpu * 1000 / f.real_requests
    bare_ms = f.bare_cpu * 1000 / f.bare.requests
    ratio = real_ms / bare_ms if bare_ms else math.inf
    return [
        Row("Real app CPU per request", f"{real_ms:.2f} ms"),
        Row("Bare app CPU per request", f"{bare_ms:.2f} ms"),
        Row(
            "CPU ratio, real / bare",
            f"{ratio:.2f}",
            f"<= {MAX_CPU_RATIO:g}",
            ratio <= MAX_CPU_RATIO,
        ),
    ]


def _latency_rows(f: Figures) -> list[Row]:
    p99 = percentile(f.webhooks, 99) * 1000
    bare = f.bare.webhooks
    return [
        Row("Webhook latency p50", _ms(percentile(f.webhooks, 50))),
        Row("Webhook latency p95", _ms(percentile(f.webhooks, 95))),
        Row("Webhook latency p99", f"{p99:.1f} ms", f"<= {MAX_P99_MS:g} ms", p99 <= MAX_P99_MS),
        Row(
            "Bare app latency p50 / p99",
            f"{_ms(percentile(bare, 50))} / {_ms(percentile(bare, 99))}",
        ),
    ]


def _count_rows(f: Figures) -> list[Row]:
    return [
        Row("Calls, all approved", f"{f.calls} ({CONCURRENCY} at a time)"),
        Row("Requests, real app", f"{len(f.webhooks)} webhooks + {f.status_callbacks} status"),
        Row("Requests, bare app", str(f.bare.requests)),
    ]


def voice_over_target(f: Figures) -> bool:
    return f.voice.total > MAX_VOICE_CALLER_S


def _caller_rows(f: Figures) -> list[Row]:
    return [
        Row(
            "Caller time, voice card call",
            _caller_value(f.voice),
            f"<= {MAX_VOICE_CALLER_S:g} s",
            not voice_over_target(f),
        ),
        Row("Caller time, relay card call", _caller_value(f.relay)),
    ]


def _caller_value(time: CallerTime) -> str:
    return (
        f"{time.total:.1f} s ({time.speech:.1f} s speech + {time.waiting:.1f} s waiting, "
        f"{time.words} words)"
    )


def prompt_costs(time: CallerTime, top: int = TOP_PROMPTS) -> str:
    """The costliest prompts of a call, seconds first, and what all its speech and waiting
    came to: for whoever owns the wording."""
    lines = [f"The {top} costliest prompts of the voice call (a text said twice counts twice):"]
    lines += [f"  {seconds:5.1f} s  {text}" for text, seconds in time.top_prompts(top)]
    shown = sum(seconds for _, seconds in time.top_prompts(top))
    lines += [
        f"  {shown:5.1f} s  these {min(top, len(time.prompts))} prompts",
        f"  {time.speech:5.1f} s  all {len(time.prompts)} distinct prompts ({time.words} words)",
        f"  {time.waiting:5.1f} s  waiting ({time.pauses:.1f} s pauses, "
        f"{time.gather_waits:.1f} s Gather timeouts)",
        f"  {time.total:5.1f} s  in all; the target is {MAX_VOICE_CALLER_S:g} s, "
        f"{time.total - MAX_VOICE_CALLER_S:.1f} s over",
    ]
    return "\n".join(lines)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def all_passed(table: list[Row]) -> bool:
    return all(row.passed is not False for row in table)


def text_table(table: list[Row]) -> str:
    cells = [("Figure", "Value", "Target", "Result")]
    cells += [(r.figure, r.value, r.target, r.verdict) for r in table]
    widths = [max(len(row[column]) for row in cells) for column in range(3)]
    lines = [
        f"{a:<{widths[0]}}  {b:>{widths[1]}}  {c:<{widths[2]}}  {d}".rstrip()
        for a, b, c, d in cells
    ]
    return "\n".join(lines)


def markdown_block(table: list[Row], today: date) -> str:
    cores = len(os.sched_getaffinity(0))
    lines = [
        f"Last run {today.isoformat()} on a {cores}-core machine: {WORKERS} gunicorn workers, "
        f"{CONCURRENCY} concurrent callers; AutoPay on {AUTOPAY_WORKERS} `ivr worker` processes; "
        "real PostgreSQL and Redis (`make bench`).",
        "",
        "| Figure | Value | Target | Result |",
        "|---|---|---|---|",
        *(f"| {r.figure} | {r.value} | {r.target} | {r.verdict} |" for r in table),
    ]
    return "\n".join(lines)


def update_readme(block: str, path: Path = README) -> bool:
    """Replace what is between the bench markers; False when there is no README or no markers."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return False
    start, end = text.find(START), text.find(END)
    if start < 0 or end < start:
        return False
    head, tail = text[: start + len(START)], text[end:]
    path.write_text(f"{head}\n{block}\n{tail}", encoding="utf-8")
    return True
