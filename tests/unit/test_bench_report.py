"""The bench's table (bench.report) on figures made up here: the rows issue 13 asks for and
their targets. Nothing is timed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bench import report
from bench.accesslog import webhook_ms
from bench.accounts import import_data, members
from bench.caller import CallerTime
from bench.cpu import Busy
from bench.crowd import Crowd
from bench.load import Timings
from bench.measure import CpuLoad, Figures, Floor, members_needed, split
from bench.paced import CALLERS, Paced, _Lanes, lane_number


def _load(database: str, real_ms: float, floor_ms: float, requests: int = 100) -> CpuLoad:
    return CpuLoad(
        database=database,
        workers=2,
        calls=8,
        webhooks=[0.005] * (requests - 8),
        status_callbacks=8,
        cpu=Busy(server=real_ms * requests / 1000, callers=0.5, machine=2.0, seconds=4.0),
        floor=Floor(
            requests,
            Busy(server=floor_ms * requests / 1000, callers=0.1, machine=0.3, seconds=1.0),
            [0.002] * requests,
        ),
    )


def _paced(
    slowest_ms: float = 15.0,
    non_200: tuple[str, ...] = (),
    failed: tuple[str, ...] = (),
    server_ms: tuple[float, ...] = (4.0, 12.0),
    steady: bool = True,
) -> Paced:
    # 100 webhooks: the 99th by nearest rank is the second slowest, set to `slowest_ms`
    webhooks = [0.004] * 98 + [slowest_ms / 1000, 0.5]
    return Paced(
        callers=50,
        pause=0.5,
        calls=8,
        webhooks=webhooks,
        steady=steady,
        all_webhooks=120,
        server_ms=list(server_ms),
        status_callbacks=8,
        non_200=non_200,
        failed_calls=failed,
        cpu=Busy(server=0.3, callers=0.2, machine=1.0, seconds=2.0),
    )


def _caller(total: float) -> CallerTime:
    return CallerTime(speech=total, pauses=0.0, gather_waits=0.0, words=100, prompts=())


def _figures(
    loads: tuple[CpuLoad, ...] | None = None,
    paced: Paced | None = None,
    voice: float = 55.0,
    relay: float = 75.0,
    crowd: Crowd | None = None,
) -> Figures:
    return Figures(
        loads=loads or (_load("PostgreSQL", 1.8, 1.0), _load("SQLite", 1.5, 1.0)),
        paced=paced or _paced(),
        voice=_caller(voice),
        relay=_caller(relay),
        crowd=crowd,
        load_average=0.5,
    )


def _row(table: list[report.Row], starts: str) -> report.Row:
    found = [row for row in table if row.figure.startswith(starts)]
    assert len(found) == 1, [row.figure for row in table]
    return found[0]


def test_a_cpu_ratio_row_per_database_each_against_the_floor_beside_it() -> None:
    table = report.rows(_figures(loads=(_load("PostgreSQL", 2.0, 1.0), _load("SQLite", 2.2, 1.0))))
    postgres = _row(table, "CPU ratio, real / floor, PostgreSQL + Redis")
    sqlite = _row(table, "CPU ratio, real / floor, SQLite + Redis")
    assert (postgres.value, postgres.target, postgres.passed) == ("2.00", "<= 2", True)
    assert (sqlite.value, sqlite.passed) == ("2.20", False)
    assert _row(table, "Real app CPU per request, SQLite").value == "2.20 ms (100 requests)"
    assert _row(table, "Floor CPU per request, beside SQLite").value == "1.00 ms"
    # real: 2.0 s busy, 0.22 s server, 0.5 s callers, over 4 s; floor: 0.3 - 0.1 - 0.1 over 1 s
    assert _row(table, "SQLite + Redis: cores busy besides").value == "0.32 / 0.10"
    assert not report.all_passed(table)


def test_each_ratio_uses_its_own_floor() -> None:
    loads = (_load("PostgreSQL", 3.0, 1.0), _load("SQLite", 3.0, 2.0))
    table = report.rows(_figures(loads=loads))
    assert _row(table, "CPU ratio, real / floor, PostgreSQL").passed is False
    assert _row(table, "CPU ratio, real / floor, SQLite").value == "1.50"


@pytest.mark.parametrize(("slowest_ms", "passed"), [(20.0, True), (20.5, False)])
def test_the_paced_p99_is_held_to_20_ms(slowest_ms: float, passed: bool) -> None:
    row = _row(report.rows(_figures(paced=_paced(slowest_ms))), "Paced: webhook latency p99")
    assert (row.value, row.target, row.passed) == (f"{slowest_ms:.1f} ms", "<= 20 ms", passed)


def test_the_paced_rows_name_the_load_and_its_tail() -> None:
    table = report.rows(_figures())
    assert _row(table, "Paced: 8 calls, 50 at once, ~0.5 s before each answer").value == (
        "120 webhooks + 8 status in 2 s"
    )
    assert _row(table, "Paced: webhooks timed").value == "100 (the ramps left out)"
    assert _row(table, "Paced: webhook latency p50").value == "4.0 ms"
    assert _row(table, "Paced: p99 / p50").value == "3.8x"
    assert _row(table, "Paced: time in the server").value == "4 / 12 ms (2 logged)"
    assert _row(table, "Paced: cores busy").value == "0.50 (0.15, 0.10, 0.25)"
    assert report.all_passed(table)


def test_a_load_with_no_steady_window_says_every_webhook_counts() -> None:
    table = report.rows(_figures(paced=_paced(steady=False)))
    assert _row(table, "Paced: webhooks timed").value == (
        "all 100: no steady window (one call per caller)"
    )


def test_the_steady_window_keeps_the_webhooks_sent_in_it() -> None:
    timings = Timings()
    for sent, seconds in [(1.0, 0.1), (2.0, 0.2), (3.0, 0.3), (4.0, 0.4)]:
        timings.add("/webhooks/voice", seconds, 200, sent)
    timings.add("/webhooks/voice/status", 0.9, 204, 2.5)
    lanes = _Lanes(timings, [], first_calls=[1.5, 2.0], last_hang_ups=[3.0, 3.5])
    assert lanes.window() == [0.2, 0.3]
    assert _Lanes(timings, [], first_calls=[3.2], last_hang_ups=[3.0]).window() is None


def test_no_access_log_lines_is_said_not_hidden() -> None:
    table = report.rows(_figures(paced=_paced(server_ms=())))
    assert _row(table, "Paced: time in the server").value == "no access log lines"


@pytest.mark.parametrize(
    ("non_200", "failed", "value", "passed"),
    [
        ((), (), "0; 0 of 8", True),
        (("/webhooks/voice: HTTP 500",), (), "1; 0 of 8", False),
        ((), ("the call paying for 7 failed",), "0; 1 of 8", False),
    ],
)
def test_any_paced_error_fails_its_row(
    non_200: tuple[str, ...], failed: tuple[str, ...], value: str, passed: bool
) -> None:
    row = _row(report.rows(_figures(paced=_paced(non_200=non_200, failed=failed))), "Paced: err")
    assert (row.value, row.target, row.passed) == (value, "0", passed)


@pytest.mark.parametrize(
    ("voice", "relay", "over"),
    [(60.0, 80.0, []), (60.5, 80.0, ["voice"]), (59.0, 80.5, ["relay"])],
)
def test_caller_time_targets_voice_60_s_relay_80_s(
    voice: float, relay: float, over: list[str]
) -> None:
    figures = _figures(voice=voice, relay=relay)
    table = report.rows(figures)
    voice_row = _row(table, "Caller time, voice")
    relay_row = _row(table, "Caller time, relay")
    assert (voice_row.target, relay_row.target) == ("<= 60 s", "<= 80 s")
    assert voice_row.passed is ("voice" not in over)
    assert relay_row.passed is ("relay" not in over)
    assert [name for name, _, _ in report.over_target(figures)] == over


def test_prompt_costs_name_the_call_and_its_own_target() -> None:
    text = report.prompt_costs(_caller(85.0), "relay", 80)
    assert "of the relay call" in text
    assert "the target is 80 s, 5.0 s over" in text


def test_the_crowd_rows_stay() -> None:
    crowd = Crowd(callers=40, heard_result=39, slowest_webhook=1.5, webhooks=700)
    table = report.rows(_figures(crowd=crowd))
    assert _row(table, "Slow processor (20 s)").passed is True
    assert _row(table, "Slow processor: callers who heard").passed is False
    assert not any(row.figure.startswith("Slow") for row in report.rows(_figures()))


def test_a_webhook_not_200_or_a_status_callback_not_2xx_is_a_failure() -> None:
    timings = Timings()
    timings.add("/webhooks/voice", 0.01, 200)
    timings.add("/webhooks/voice", 0.01, 204)
    timings.add("/webhooks/voice/status", 0.01, 204)
    timings.add("/webhooks/voice/status", 0.01, 503)
    assert timings.failed == ["/webhooks/voice: HTTP 204", "/webhooks/voice/status: HTTP 503"]
    assert (len(timings.webhooks), len(timings.status_callbacks)) == (2, 2)


def test_the_access_log_gives_webhook_times_after_an_offset(tmp_path: Path) -> None:
    log = tmp_path / "real.log"
    before = '127.0.0.1 "POST /webhooks/voice?t=1 HTTP/1.1" 200 812 3ms\n'
    log.write_text(
        before
        + '127.0.0.1 "POST /webhooks/voice?t=2&retry=1 HTTP/1.1" 200 812 17ms\n'
        + '127.0.0.1 "POST /webhooks/voice/status HTTP/1.1" 204 0 2ms\n'
        + "WARNING:webhooks.voice:call CA1: a line that is not an access line\n"
        + '127.0.0.1 "POST /webhooks/voice HTTP/1.1" 200 900 120ms\n'
    )
    assert webhook_ms(log) == [3.0, 17.0, 120.0]
    assert webhook_ms(log, since=len(before)) == [17.0, 120.0]


def test_each_member_pays_once_per_database() -> None:
    people = members(members_needed(calls=8, paced=20))
    parts = split(people, calls=8)
    assert [len(parts[p]) for p in ("warm-up", "timed", "cpu", "paced")] == [4, 2, 8, 20]
    everyone = [member for part in parts.values() for member in part]
    assert sorted(everyone, key=lambda m: m.subscriber_id) == people


def test_each_paced_caller_calls_from_a_number_of_its_own_on_no_members_file() -> None:
    numbers = {lane_number(index) for index in range(CALLERS)}
    on_file = {
        phone
        for member in import_data(members(members_needed(40, 150)), date(2026, 12, 3))[
            "subscribers"
        ]
        for phone in member["phones"]
    }
    assert len(numbers) == CALLERS
    assert not numbers & on_file
