"""Operator commands on the payments core: `ivr reconcile` sees what the server's workers
charged (the same database, the same GATEWAY, the sandbox's own ledger table) and runs on a
schedule; `ivr unlock` lifts a lockout, audited."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main
from payments.bootstrap import build_core
from payments.domain.clock import system_clock
from payments.domain.instruments import CardDetails
from payments.domain.values import Channel, PaymentRequest
from payments.gateways.base import ChargeRequest
from payments.operations.reconcile import reconcile_every
from payments.services.service import PaymentService
from tests.doubles import DeadCharger

VISA = CardDetails("4242424242424242", 12, 2030, "123", "02110")


@pytest.fixture()
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/ivr.sqlite3")
    monkeypatch.delenv("GATEWAY", raising=False)
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(main, ["demo", "load"]).exit_code == 0
    return runner


def a_server_dies_mid_charge(url: str) -> None:
    """A server reserves Ana's payment, the processor takes the money, the server dies."""
    core = build_core(url)
    dead = PaymentService(core.uow, core.gateway, system_clock, charger=DeadCharger())
    request = PaymentRequest(
        "100000000001", "H-100000000001", Decimal("45.00"), VISA, Channel.VOICE, "CA1-k"
    )
    dead.start_payment(request)
    core.gateway.charge(ChargeRequest("CA1-k", 4500, VISA, "sent before the crash"))
    core.close()


def test_reconcile_records_what_the_servers_processor_charged(runner, tmp_path) -> None:
    a_server_dies_mid_charge(f"sqlite:///{tmp_path}/ivr.sqlite3")
    waiting = runner.invoke(main, ["reconcile"])  # too recent: it might still be in flight
    assert waiting.exit_code == 0 and "resolved 0" in waiting.output
    settled = runner.invoke(main, ["reconcile", "--stale-after", "0"])
    assert settled.exit_code == 0 and "resolved 1" in settled.output
    shown = runner.invoke(main, ["account", "show", "100000000001", "--json"])
    assert '"status": "approved"' in shown.output


def test_an_unknown_gateway_is_refused_by_every_command(runner, monkeypatch) -> None:
    monkeypatch.setenv("GATEWAY", "stripey")
    result = runner.invoke(main, ["reconcile"])
    assert result.exit_code != 0
    assert "GATEWAY must be one of sandbox, not 'stripey'" in result.output


def test_the_schedule_keeps_going_after_a_failed_round() -> None:
    rounds: list[int] = []

    def run() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise RuntimeError("database restarting")

    reconcile_every(0, run, rounds=3)
    assert rounds == [0, 1, 2]


def test_a_representative_lifts_a_lockout_and_it_is_audited(runner, tmp_path) -> None:
    from datetime import date

    from sqlalchemy import select

    from payments.domain.values import VerifyResult
    from payments.storage.tables import AUDIT_EVENTS

    core = build_core(f"sqlite:///{tmp_path}/ivr.sqlite3")
    for _ in range(5):
        core.service.verify("100000000001", date(1999, 1, 1))
    assert core.service.verify("100000000001", date(1980, 4, 17)).result is VerifyResult.LOCKED
    refused = runner.invoke(main, ["unlock", "100000000001"])
    assert refused.exit_code != 0 and "--by" in refused.output
    done = runner.invoke(main, ["unlock", "100000000001", "--by", "rep.jones"])
    assert done.exit_code == 0 and "5 failed attempts no longer count" in done.output
    assert core.service.verify("100000000001", date(1980, 4, 17)).result is VerifyResult.OK
    with core.engine.connect() as conn:
        actors = conn.execute(
            select(AUDIT_EVENTS.c.actor).where(AUDIT_EVENTS.c.action == "verify.unlocked")
        ).all()
    assert [row.actor for row in actors] == ["rep.jones"]
    core.close()
    unknown = runner.invoke(main, ["unlock", "999999999999", "--by", "rep.jones"])
    assert unknown.exit_code != 0 and "no member" in unknown.output


def test_demo_reset_starts_the_demo_over(runner, tmp_path) -> None:
    a_server_dies_mid_charge(f"sqlite:///{tmp_path}/ivr.sqlite3")
    assert runner.invoke(main, ["reconcile", "--stale-after", "0"]).exit_code == 0
    before = runner.invoke(main, ["account", "show", "100000000001", "--json"]).output
    assert '"status": "approved"' in before and '"balance": "0.00"' in before
    reset = runner.invoke(main, ["demo", "reset"])
    assert reset.exit_code == 0
    after = json.loads(runner.invoke(main, ["account", "show", "100000000001", "--json"]).output)
    assert after["payments"] == []
    assert [plan["balance"] for plan in after["plans"]] == ["45.00", "32.00"]
    core = build_core(f"sqlite:///{tmp_path}/ivr.sqlite3")
    assert core.gateway.charged_cents() == 0  # the sandbox forgot the demo's charges too
    core.close()
