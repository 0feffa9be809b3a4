"""The operator commands, run as an operator would."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy.exc import DataError

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
    assert first.exit_code == 0 and "members: 1 created, 0 changed, 0 unchanged" in first.output
    assert again.exit_code == 0 and "members: 0 created, 0 changed, 1 unchanged" in again.output
    assert "plans: 0 created, 0 changed, 1 unchanged" in again.output
    shown = json.loads(runner.invoke(main, ["account", "show", "100000000001", "--json"]).output)
    assert shown["phones"] == ["+16175550100"]  # normalized to E.164 on the way in
    (plan,) = shown["plans"]
    spec_fields = {key: plan[key] for key in ("plan_id", "kind", "status", "balance", "due_date")}
    assert spec_fields == {
        "plan_id": "H-100000000001",
        "kind": "health",
        "status": "active",
        "balance": "45.00",
        "due_date": "2026-11-23",
    }
    assert plan["invoices"] == [
        {"period": "2026-12", "amount": "45.00", "due_date": "2026-11-23", "paid": "0.00"}
    ]
    assert shown["payments"] == []


def test_a_premium_change_is_listed_and_json_lines_are_read(runner, tmp_path) -> None:
    runner.invoke(main, ["import-accounts", write(tmp_path, accounts())])
    member = accounts(amount="48.00")["subscribers"][0]
    member["plans"][0]["monthly_premium"] = "48.00"
    lines = tmp_path / "feed.jsonl"
    lines.write_text(json.dumps(member) + "\n")
    result = runner.invoke(main, ["import-accounts", str(lines)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "members: 0 created, 0 changed, 1 unchanged",
        "plans: 0 created, 1 changed, 0 unchanged",
        "premium changes: 1; AutoPay notices of a new amount: 0",
        "  H-100000000001 (100000000001): 45.00 -> 48.00",
    ]


def test_bad_input_names_the_record_and_field_and_loads_nothing(runner, tmp_path) -> None:
    result = runner.invoke(main, ["import-accounts", write(tmp_path, accounts(amount="4x.00"))])
    assert result.exit_code != 0
    assert "nothing was imported" in result.output
    assert "100000000001" in result.output and "amount" in result.output
    missing = runner.invoke(main, ["account", "show", "100000000001", "--json"])
    assert missing.exit_code != 0 and "no member" in missing.output


def test_a_bad_phone_number_is_named_not_quoted(runner, tmp_path) -> None:
    result = runner.invoke(main, ["import-accounts", write(tmp_path, accounts(phone="4321"))])
    assert result.exit_code != 0
    assert "subscribers[0] (100000000001).phones[0]: is not a phone number" in result.output
    assert "4321" not in result.output


def test_bad_phones_are_reported_with_every_other_problem_once_each(runner, tmp_path) -> None:
    data = accounts(phone="4321", amount="4x.00")
    second = json.loads(json.dumps(data["subscribers"][0]))
    second.update(subscriber_id="100000000002", phones=["(617) 555-0101", "12"])
    second["plans"][0]["plan_id"] = "H-100000000002"
    data["subscribers"].append(second)
    result = runner.invoke(main, ["import-accounts", write(tmp_path, data)])
    lines = [line for line in result.output.splitlines() if line.startswith("subscribers[")]
    phone = "is not a phone number (e.g. +16175550100 or (617) 555-0100)"
    amount = 'plans[0].invoices[0].amount: "4x.00" is not a decimal amount'
    assert lines == [
        f"subscribers[0] (100000000001).phones[0]: {phone}",
        f"subscribers[0] (100000000001).{amount}",
        f"subscribers[1] (100000000002).phones[1]: {phone}",
        f"subscribers[1] (100000000002).{amount}",
    ]
    missing = runner.invoke(main, ["account", "show", "100000000002", "--json"])
    assert missing.exit_code != 0


def test_over_long_name_and_impossible_birth_date_are_named_without_a_traceback(
    runner, tmp_path
) -> None:
    data = accounts()
    data["subscribers"][0].update(last_name="Q" * 101, date_of_birth="2090-04-17")
    result = runner.invoke(main, ["import-accounts", write(tmp_path, data)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "nothing was imported" in result.output
    assert "(100000000001).last_name: is longer than 100 characters" in result.output
    assert "(100000000001).date_of_birth: must be between 1900-01-01 and " in result.output
    for shown in ("2090", "QQQ", "Traceback"):
        assert shown not in result.output
    missing = runner.invoke(main, ["account", "show", "100000000001", "--json"])
    assert missing.exit_code != 0 and "no member" in missing.output


def test_a_database_error_is_reported_without_its_parameters(runner, tmp_path, monkeypatch) -> None:
    def refused_by_the_database(*args, **kwargs):
        params = {"date_of_birth": "1980-04-17"}
        raise DataError("INSERT INTO members ...", params, Exception("value too long"))

    monkeypatch.setattr("payments.operations.importer.import_accounts", refused_by_the_database)
    file = write(tmp_path, accounts())
    result = runner.invoke(main, ["import-accounts", file])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output == (
        "Error: nothing was imported: the database refused the data (DataError); "
        "no member data is shown\n"
    )
    # Not even chained: whatever logs the exception with its cause must not find the row.
    raised = runner.invoke(main, ["import-accounts", file], standalone_mode=False).exception
    assert isinstance(raised, click.ClickException) and "DataError" in raised.message
    assert raised.__cause__ is None and raised.__suppress_context__


def test_a_file_that_is_not_utf8_is_refused_plainly(runner, tmp_path) -> None:
    path = tmp_path / "latin1.json"
    path.write_bytes('{"subscribers": [{"first_name": "José"}]}'.encode("latin-1"))
    result = runner.invoke(main, ["import-accounts", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "nothing was imported" in result.output
    assert "(file): not valid JSON (or not UTF-8)" in result.output
    assert "Jos" not in result.output  # a parser's message would quote the text around it


def test_subscribers_that_are_not_a_list_are_named(runner, tmp_path) -> None:
    result = runner.invoke(main, ["import-accounts", write(tmp_path, {"subscribers": 5})])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "subscribers: must be a list" in result.output


def test_malformed_json_is_refused_plainly(runner, tmp_path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    result = runner.invoke(main, ["import-accounts", str(path)])
    assert result.exit_code != 0 and "(file): not valid JSON" in result.output
    assert "not json" not in result.output


def test_serve_refuses_several_workers_without_redis(runner, monkeypatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "token")
    monkeypatch.delenv("REDIS_URL", raising=False)
    result = runner.invoke(main, ["serve", "--workers", "2"])
    assert result.exit_code != 0 and "needs REDIS_URL" in result.output


def test_serve_requires_the_auth_token(runner, monkeypatch) -> None:
    monkeypatch.delenv("TWILIO_AUTH_TOKEN", raising=False)
    result = runner.invoke(main, ["serve"])
    assert result.exit_code != 0 and "TWILIO_AUTH_TOKEN is required" in result.output
