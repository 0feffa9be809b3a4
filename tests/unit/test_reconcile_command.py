"""`ivr reconcile` sees what the server's workers charged: the same database, the same gateway
(GATEWAY), the sandbox's own ledger table; and it runs on a schedule with --every."""

from __future__ import annotations

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
    assert runner.invoke(main, ["load-demo"]).exit_code == 0
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
