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
from bench.cpu import Busy
from bench.measure import CpuLoad, Figures
from bench.paced import CALLERS, Paced

MAX_CPU_RATIO = 2.0
MAX_P99_MS = 20.0  # per webhook, in the paced load
MAX_VOICE_CALLER_S = 60
MAX_RELAY_CALLER_S = 80
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
    return [
        *_cpu_rows(f),
        *_paced_rows(f.paced),
        *_caller_rows(f),
        *_crowd_rows(f),
        *_machine_rows(f),
    ]


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
    table = [row for load in f.loads for row in _cpu_load_rows(load)]
    first = f.loads[0]
    return [
        *table,
        Row(
            f"Calls, all approved, {CONCURRENCY} at a time, no pauses",
            f"{first.calls} on each database",
        ),
        Row(f"Latency p50 / p99 there, real app on {first.database}", _p50_p99(first.webhooks)),
        Row("Latency p50 / p99 there, floor", _p50_p99(first.floor.latency)),
    ]


def _cpu_load_rows(load: CpuLoad) -> list[Row]:
    where = f"{load.database} + Redis"
    return [
        Row(
            f"Real app CPU per request, {where}, {load.workers} workers",
            f"{load.ms_per_request:.2f} ms ({load.requests} requests)",
        ),
        Row(
            f"Floor CPU per request, beside {load.database}", f"{load.floor.ms_per_request:.2f} ms"
        ),
        Row(
            f"CPU ratio, real / floor, {where}",
            f"{load.ratio:.2f}",
            f"<= {MAX_CPU_RATIO:g}",
            load.ratio <= MAX_CPU_RATIO,
        ),
        Row(
            f"{where}: cores busy besides server and callers, real / floor",
            f"{_rest_cores(load.cpu):.2f} / {_rest_cores(load.floor.cpu):.2f}",
        ),
    ]


def _paced_rows(p: Paced) -> list[Row]:
    p50, p99 = percentile(p.webhooks, 50), percentile(p.webhooks, 99)
    p99_ms = p99 * 1000
    return [
        Row(
            f"Paced: {p.calls} calls, {p.callers} at once, ~{p.pause:g} s before each answer, "
            f"PostgreSQL + Redis, {WORKERS} workers",
            f"{p.all_webhooks} webhooks + {p.status_callbacks} status in {p.cpu.seconds:.0f} s",
        ),
        Row(f"Paced: webhooks timed, {p.callers} calls in progress throughout", _window(p)),
        Row("Paced: webhook latency p50", _ms(p50)),
        Row("Paced: webhook latency p95", _ms(percentile(p.webhooks, 95))),
        Row(
            "Paced: webhook latency p99",
            f"{p99_ms:.1f} ms",
            f"<= {MAX_P99_MS:g} ms",
            p99_ms <= MAX_P99_MS,
        ),
        Row("Paced: p99 / p50", f"{p99 / p50:.1f}x" if p50 else "-"),
        Row("Paced: time in the server p50 / p99 (access log, all)", _server_ms(p)),
        Row(
            "Paced: errors (non-200 answers; calls not approved)",
            f"{len(p.non_200)}; {len(p.failed_calls)} of {p.calls}",
            "0",
            not p.non_200 and not p.failed_calls,
        ),
        Row("Paced: CPU per request, server (no target)", f"{_per_request(p):.2f} ms"),
        Row("Paced: cores busy (all; server, callers, the rest)", _busy(p.cpu)),
    ]


def _window(p: Paced) -> str:
    if not p.steady:
        return f"all {len(p.webhooks)}: no steady window (one call per caller)"
    return f"{len(p.webhooks)} (the ramps left out)"


def _server_ms(p: Paced) -> str:
    if not p.server_ms:
        return "no access log lines"
    values = f"{percentile(p.server_ms, 50):.0f} / {percentile(p.server_ms, 99):.0f} ms"
    return f"{values} ({len(p.server_ms)} logged)"


def _per_request(p: Paced) -> float:
    return p.cpu.server * 1000 / p.requests if p.requests else 0.0


def _rest_cores(cpu: Busy) -> float:
    return cpu.cores(cpu.rest)


def _busy(cpu: Busy) -> str:
    parts = ", ".join(f"{cpu.cores(part):.2f}" for part in (cpu.server, cpu.callers, cpu.rest))
    return f"{cpu.cores(cpu.machine):.2f} ({parts})"


def _p50_p99(seconds: list[float]) -> str:
    return f"{_ms(percentile(seconds, 50))} / {_ms(percentile(seconds, 99))}"


def caller_targets(f: Figures) -> list[tuple[str, CallerTime, float]]:
    """Each timed call: its number, its caller time and its target."""
    return [("voice", f.voice, MAX_VOICE_CALLER_S), ("relay", f.relay, MAX_RELAY_CALLER_S)]


def over_target(f: Figures) -> list[tuple[str, CallerTime, float]]:
    return [(name, time, most) for name, time, most in caller_targets(f) if time.total > most]


def _caller_rows(f: Figures) -> list[Row]:
    return [
        Row(
            f"Caller time, {name} card call (returning member)",
            _caller_value(time),
            f"<= {most:g} s",
            time.total <= most,
        )
        for name, time, most in caller_targets(f)
    ]


def _machine_rows(f: Figures) -> list[Row]:
    if f.load_average is None:
        return []
    return [Row("Machine load average as the webhook part started", f"{f.load_average:.2f}")]


def _caller_value(time: CallerTime) -> str:
    return (
        f"{time.total:.1f} s ({time.speech:.1f} s speech + {time.waiting:.1f} s waiting, "
        f"{time.words} words)"
    )


def prompt_costs(time: CallerTime, name: str, target: float, top: int = TOP_PROMPTS) -> str:
    """The costliest prompts of a call, seconds first, and what all its speech and waiting
    came to: for whoever owns the wording."""
    lines = [f"The {top} costliest prompts of the {name} call (a text said twice counts twice):"]
    lines += [f"  {seconds:5.1f} s  {text}" for text, seconds in time.top_prompts(top)]
    shown = sum(seconds for _, seconds in time.top_prompts(top))
    lines += [
        f"  {shown:5.1f} s  these {min(top, len(time.prompts))} prompts",
        f"  {time.speech:5.1f} s  all {len(time.prompts)} distinct prompts ({time.words} words)",
        f"  {time.waiting:5.1f} s  waiting ({time.pauses:.1f} s pauses, "
        f"{time.gather_waits:.1f} s Gather timeouts)",
        f"  {time.total:5.1f} s  in all; the target is {target:g} s, "
        f"{time.total - target:.1f} s over",
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
        f"Last run {today.isoformat()} on a {cores}-core machine: {WORKERS} gunicorn workers; "
        f"CPU with {CONCURRENCY} callers at a time, no pauses, on PostgreSQL + Redis and on "
        f"SQLite + Redis; latency with {CALLERS} calls at once, paced, on PostgreSQL + Redis; "
        f"AutoPay on {AUTOPAY_WORKERS} `ivr worker` processes (`make bench`).",
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
