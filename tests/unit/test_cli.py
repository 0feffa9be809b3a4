"""The operator commands, run as an operator would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ivr.cli import main


@pytest.fixture()
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    runner = CliRunner()
    assert runner.invoke(main, ["db", "upgrade"]).exit_code == 0
    return runner


def accounts(phone: str = "(617) 555-0100", amount: str = "45.00") -> dict:
    return {
        "subscribers": [
            {
                "subscriber_id": "100000000001",
                "first_name": "Ana",
                "last_name": "Silva",
                "date_of_birth": "1980-04-17",
                "zip": "02110",
                "phones": [phone],
                "language": "en",
                "plans": [
                    {
                        "plan_id": "H-100000000001",
                        "kind": "health",
                        "name": "ConnectorCare Plan Type 2A",
                        "carrier": "Bay State Health",
                        "monthly_premium": "45.00",
                        "subsidized": True,
                        "status": "active",
                        "coverage_start": "2026-01-01",
                        "invoices": [
                            {
                                "period": "2026-12",
                                "amount": amount,
                                "due_date": "2026-11-23",
                                "paid": "0.00",
                            }
                        ],
                    }
                ],
            }
        ]
    }


def write(tmp_path: Path, data: dict) -> str:
    path = tmp_path / "accounts.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_import_is_idempotent_and_account_show_prints_the_spec_shape(runner, tmp_path) -> None:
    file = write(tmp_path, accounts())
    first = runner.invoke(main, ["import-accounts", file])
    again = runner.invoke(main, ["import-accounts", file])
    assert first.exit_code == 0 and "1 created, 0 updated" in first.output
    assert again.exit_code == 0 and "0 created, 1 updated" in again.output
    shown = json.loads(runner.invoke(main, ["account", "show", "100000000001", "--json"]).output)
    assert shown["phones"] == ["+16175550100"]  # normalized to E.164 on the way in
    assert shown["plans"] == [
        {
            "plan_id": "H-100000000001",
            "kind": "health",
            "status": "active",
            "balance": "45.00",
            "due_date": "2026-11-23",
        }
    ]
    assert shown["payments"] == []


def test_bad_input_names_the_record_and_field_and_loads_nothing(runner, tmp_path) -> None:
    result = runner.invoke(main, ["import-accounts", write(tmp_path, accounts(amount="4x.00"))])
    assert result.exit_code != 0
    assert "nothing was imported" in result.output
    assert "100000000001" in result.output and "amount" in result.output
    missing = runner.invoke(main, ["account", "show", "100000000001", "--json"])
    assert missing.exit_code != 0 and "no member" in missing.output


def test_a_bad_phone_number_is_named(runner, tmp_path) -> None:
    result = runner.invoke(main, ["import-accounts", write(tmp_path, accounts(phone="12"))])
    assert result.exit_code != 0
    assert "subscribers[0] (100000000001).phones[0]" in result.output


def test_malformed_json_is_refused_plainly(runner, tmp_path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    result = runner.invoke(main, ["import-accounts", str(path)])
    assert result.exit_code != 0 and "is not valid JSON" in result.output


def test_serve_refuses_several_workers_without_redis(runner, monkeypatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    monkeypatch.delenv("REDIS_URL", raising=False)
    result = runner.invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code != 0 and "needs REDIS_URL" in result.output


def test_serve_requires_the_auth_token(runner, monkeypatch) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    result = runner.invoke(main, ["serve"])
    assert result.exit_code != 0 and "TWILIO_AUTH_TOKEN is required" in result.output
