"""AutoPay's whole cycle on one machine: a member enrols by phone, the written copy goes out,
the run debits, the file goes to the (sandbox) bank, its returns come back and the rest
settles; what the caller heard, what the database holds and what the files say agree."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from payments.bank import nacha
from payments.bank.export import export
from payments.bank.returns import read_returns_file
from payments.bank.sandbox_bank import returns_for
from payments.bank.settlement import settle
from payments.messages.letters import export_letters
from payments.operations.admin import account_as_json
from payments.operations.autopay_run import plan_run, run_chunk
from payments.storage.tables import ACH_ENTRIES, ENROLMENTS, OUTBOX, PAYMENTS
from tests.e2e.conftest import EASTERN, Line
from tests.nacha_check import check_ach_file
from tests.oracle import BankOracle, MoneyOracle

ANA, ANA_DOB = "100000000001", "04171980"
ROUTING = "011000015"
SETTLES = "000123456789"
INSUFFICIENT = "000111111116"  # the sandbox bank returns it R01
KEY = Fernet.generate_key().decode()


def enrol(line: Line, account: str, day_key: str = "2") -> str:
    """Ana sets up AutoPay on her health plan by phone; what she heard."""
    script = ["1", f"{ANA}#", f"{ANA_DOB}#", "4", "1", "1", day_key, "1", f"{ROUTING}#"]
    log = line.call(script + [f"{account}#", f"{account}#", "1"])
    return log.spoken


def at(line: Line, *moment: int) -> None:
    line.clock.now = datetime(*moment, tzinfo=EASTERN)


def cycle_of(line: Line, tmp_path: Path, debit_day: date) -> tuple[Path, object]:
    """The run for `debit_day` and the file, both on the banking day before (today)."""
    core = line.app.extensions["ivr"].core
    for chunk in plan_run(core.uow, debit_day):
        run_chunk(core.uow, debit_day, chunk, line.clock)
    out = tmp_path / f"debits-{debit_day}.ach"
    settings = line.app.extensions["ivr"].settings
    today = line.clock().date()
    report = export(core.uow, core.sealer, settings.ach_originator, today, out, line.clock)
    return out, report


def ana_enrolment(line: Line) -> int:
    with line.app.extensions["ivr"].core.engine.connect() as conn:
        return conn.scalar(select(ENROLMENTS.c.id).where(ENROLMENTS.c.source != "portal"))


def rows(line: Line, table) -> list[dict]:
    with line.app.extensions["ivr"].core.engine.connect() as conn:
        return [dict(row) for row in conn.execute(select(table)).mappings()]


def test_ana_enrols_and_her_debit_goes_out_and_settles(make_line, tmp_path: Path) -> None:
    line = make_line(bank_data_key=KEY)
    heard = enrol(line, SETTLES)
    assert "authorize the" in heard and "each month on the twenty-third" in heard
    assert "To cancel, call" in heard and "at least 3 banking days before a debit" in heard
    assert "AutoPay is set up for your health plan." in heard
    assert "The first debit will be forty-five dollars on Monday, November twenty-third." in heard

    core = line.app.extensions["ivr"].core
    [before] = [p for p in account_as_json(core.uow, ANA, line.clock())["plans"] if p["autopay"]
                ["status"] == "active"]  # fmt: skip
    assert (before["autopay"]["next_debit_date"], before["autopay"]["next_amount"]) == (
        "2026-11-23",
        "45.00",
    )
    summary = line.call(["1", f"{ANA}#", f"{ANA_DOB}#"]).spoken
    assert (
        "AutoPay will pay forty-five dollars for your health plan on Monday, November "
        "twenty-third, from checking ending in six, seven, eight, nine." in summary
    )

    # No written copy yet (a letter waits for the print vendor): no debit.
    ana = ana_enrolment(line)
    assert ana in plan_run(core.uow, date(2026, 11, 23))[0]
    report = run_chunk(core.uow, date(2026, 11, 23), [ana], line.clock)
    assert report.debited == 0 and report.skipped == {"no_written_copy": 1}
    letters = export_letters(core.uow, tmp_path / "letters.csv", line.clock)
    assert letters.exported == 1
    assert "each month on the 23rd" in (tmp_path / "letters.csv").read_text()

    # Her dental bill she pays by bank on a call: a single TEL debit, in the same file.
    bank = ["2", "1", f"{ROUTING}#", "000222333444#", "000222333444#", "1", "3"]
    call = line.call(["1", f"{ANA}#", f"{ANA_DOB}#", "1", "2", *bank])
    assert "Your bank payment is scheduled." in call.spoken
    MoneyOracle(line.app.extensions["ivr"].core.engine).check_call(call.call_sid, call.spoken)

    at(line, 2026, 11, 20, 16, 0)
    out, exported = cycle_of(line, tmp_path, date(2026, 11, 23))
    checked = check_ach_file(out.read_text("ascii"))
    assert sorted((e.amount_cents, e.discretionary, e.account) for e in checked.entries) == [
        (3200, "S ", "000222333444"),
        (4500, "R ", SETTLES),
    ]
    assert {e.effective_date for e in checked.entries} == {"261123"}
    BankOracle(line.app.extensions["ivr"].core.engine).check([out.read_text("ascii")], [])
    MoneyOracle(line.app.extensions["ivr"].core.engine).check_books()
    payments = [p for p in rows(line, PAYMENTS) if p["channel"] == "autopay"]
    assert [(p["amount"], p["status"]) for p in payments] == [(Decimal("45.00"), "approved")]
    [entry] = [e for e in rows(line, ACH_ENTRIES) if e["payment_type"] == "R"]
    assert entry["trace_number"] in {e.trace for e in checked.entries if e.discretionary == "R "}
    assert SETTLES not in str(rows(line, ACH_ENTRIES))  # sealed at rest, not in clear

    shown = account_as_json(core.uow, ANA, line.clock())
    [health] = [plan for plan in shown["plans"] if plan["kind"] == "health"]
    assert health["autopay"] | {"reference": None} == {
        "status": "active", "day": 23, "account_type": "checking", "last4": "6789",
        "next_debit_date": "2026-12-23", "next_amount": "0.00", "reason": None,
        "reference": None,
    }  # fmt: skip
    [debit] = [p for p in shown["payments"] if p["channel"] == "autopay"]
    assert debit["ach_trace"] == entry["trace_number"]

    # Run again, and again export: nothing debited twice, no second file.
    again = run_chunk(core.uow, date(2026, 11, 23), [ana], line.clock)
    assert again.debited == 0 and again.already == 1

    text, returned = returns_for(
        out.read_text("ascii").splitlines(True), line.app.extensions["ivr"].settings.ach_originator,
        datetime(2026, 11, 24, 9, tzinfo=EASTERN),
    )  # fmt: skip
    assert returned == 0
    at(line, 2026, 11, 25, 18, 0)
    settled = settle(core.uow, date(2026, 11, 25), line.clock)
    assert settled.settled == 2
    assert [p["status"] for p in rows(line, PAYMENTS) if p["channel"] == "autopay"] == ["settled"]
    assert exported.entries == 2
    assert "000222333444" not in str(rows(line, ACH_ENTRIES))  # settled: erased


def test_a_debit_returned_for_funds_is_reversed_told_and_tried_again(
    make_line, tmp_path: Path
) -> None:
    line = make_line(bank_data_key=KEY)
    enrol(line, INSUFFICIENT)
    core = line.app.extensions["ivr"].core
    export_letters(core.uow, tmp_path / "letters.csv", line.clock)
    at(line, 2026, 11, 20, 16, 0)
    out, _ = cycle_of(line, tmp_path, date(2026, 11, 23))
    settings = line.app.extensions["ivr"].settings
    text, returned = returns_for(
        out.read_text("ascii").splitlines(True), settings.ach_originator,
        datetime(2026, 11, 24, 9, tzinfo=EASTERN),
    )  # fmt: skip
    assert returned == 1
    check_ach_file(text, returns=True)
    [back] = nacha.read_returns(io.StringIO(text))
    assert back.return_code == "R01"

    at(line, 2026, 11, 24, 10, 0)
    read = read_returns_file(core.uow, text.encode("ascii"), settings.service_phone, line.clock)
    assert read.returned == 1
    again = read_returns_file(core.uow, text.encode("ascii"), settings.service_phone, line.clock)
    assert again.already_read and again.returned == 0

    statuses = {p["id"]: p["status"] for p in rows(line, PAYMENTS) if p["channel"] == "autopay"}
    assert sorted(statuses.values())[-1] == "returned"
    notices = [m for m in rows(line, OUTBOX) if m["kind"] == "debit_returned"]
    assert len(notices) == 1 and INSUFFICIENT not in notices[0]["body"]

    heard = line.call(["1", f"{ANA}#", f"{ANA_DOB}#"]).spoken
    assert (
        "Your bank returned the forty-five dollars bank payment from November twenty-third for "
        "your health plan. We will try the debit again on Friday, November twenty-seventh."
    ) in heard

    # The retry (R01: funds) is presented again, once, in the next file, as RETRY PYMT.
    [retry] = [p for p in rows(line, PAYMENTS) if p["retry_of"] is not None]
    assert retry["amount"] == Decimal("45.00")
    at(line, 2026, 11, 25, 16, 0)
    again_out = tmp_path / "retry.ach"
    export(core.uow, core.sealer, settings.ach_originator, date(2026, 11, 25), again_out,
           line.clock)  # fmt: skip
    [presented] = check_ach_file(again_out.read_text("ascii")).entries
    assert (presented.company_entry_description, presented.effective_date) == (
        "RETRY PYMT",
        "261127",
    )
    assert presented.amount_cents == 4500 and presented.trace != back.original_trace


def debited_and_exported(line: Line, tmp_path: Path, account: str) -> tuple[Path, object]:
    enrol(line, account)
    core = line.app.extensions["ivr"].core
    export_letters(core.uow, tmp_path / "letters.csv", line.clock)
    at(line, 2026, 11, 20, 16, 0)
    return cycle_of(line, tmp_path, date(2026, 11, 23))


def returned(line: Line, out: Path, code: str) -> str:
    """The returns file a bank would send for every entry of `out`, with `code`."""
    settings = line.app.extensions["ivr"].settings
    entries = list(nacha.read_entries(io.StringIO(out.read_text("ascii"))))
    text = io.StringIO()
    nacha.write_returns_file(text, "091000019", "A BANK", settings.ach_originator,
                             line.clock(), [(entry, code) for entry in entries])  # fmt: skip
    check_ach_file(text.getvalue(), returns=True)
    return text.getvalue()


def test_a_closed_account_stops_autopay_until_a_new_account(make_line, tmp_path: Path) -> None:
    line = make_line(bank_data_key=KEY)
    out, _ = debited_and_exported(line, tmp_path, "000111111113")
    settings = line.app.extensions["ivr"].settings
    text, count = returns_for(out.read_text("ascii").splitlines(True), settings.ach_originator,
                              line.clock())  # fmt: skip
    assert count == 1 and "R02" in text
    check_ach_file(text, returns=True)
    core = line.app.extensions["ivr"].core
    at(line, 2026, 11, 24, 10, 0)
    report = read_returns_file(core.uow, text.encode(), settings.service_phone, line.clock)
    assert report.retries == 0  # an account that cannot be used is not tried again
    heard = line.call(["1", f"{ANA}#", f"{ANA_DOB}#"]).spoken
    assert "AutoPay for your health plan is stopped: your bank could not use the checking" in heard
    assert "forty-five dollars for December was due on Monday, November twenty-third" in heard
    shown = account_as_json(core.uow, ANA, line.clock())
    [health] = [plan for plan in shown["plans"] if plan["kind"] == "health"]
    assert (health["autopay"]["status"], health["autopay"]["reason"]) == ("paused", "account")
    assert ana_enrolment(line) not in sum(plan_run(core.uow, date(2026, 12, 23)), [])


def test_an_unauthorized_return_after_settlement_still_reverses(make_line, tmp_path) -> None:
    line = make_line(bank_data_key=KEY)
    out, _ = debited_and_exported(line, tmp_path, SETTLES)
    core = line.app.extensions["ivr"].core
    at(line, 2026, 11, 30, 18, 0)
    assert settle(core.uow, date(2026, 11, 30), line.clock).settled == 1
    settings = line.app.extensions["ivr"].settings
    at(line, 2026, 12, 10, 10, 0)
    report = read_returns_file(core.uow, returned(line, out, "R10").encode(),
                               settings.service_phone, line.clock)  # fmt: skip
    assert report.returned == 1 and report.retries == 0
    assert [p["status"] for p in rows(line, PAYMENTS) if p["channel"] == "autopay"] == ["returned"]
    shown = account_as_json(core.uow, ANA, line.clock())
    [health] = [plan for plan in shown["plans"] if plan["kind"] == "health"]
    assert health["balance"] == "45.00"
    assert (health["autopay"]["status"], health["autopay"]["reason"]) == (
        "paused",
        "authorization",
    )


def test_a_return_naming_a_trace_never_sent_changes_nothing(make_line, tmp_path) -> None:
    line = make_line(bank_data_key=KEY)
    out, _ = debited_and_exported(line, tmp_path, SETTLES)
    text = returned(line, out, "R01")
    trace = next(nacha.read_entries(io.StringIO(out.read_text("ascii")))).trace_number
    forged = text.replace(trace, "011000019999999")
    core = line.app.extensions["ivr"].core
    settings = line.app.extensions["ivr"].settings
    before = rows(line, PAYMENTS)
    report = read_returns_file(core.uow, forged.encode(), settings.service_phone, line.clock)
    assert report.returned == 0 and report.unmatched == ["011000019999999"]
    assert rows(line, PAYMENTS) == before


def plan_status(line: Line, subscriber: str) -> str:
    core = line.app.extensions["ivr"].core
    [plan] = account_as_json(core.uow, subscriber, line.clock())["plans"]
    return plan["status"]


def test_a_returned_binder_or_grace_payment_undoes_what_it_did(make_line, tmp_path) -> None:
    """Mei's first (binder) payment and James's past-due payment, by bank on calls, come back
    R02 (account closed: not presented again): her plan waits for its first payment again, his
    is back in its grace period."""
    line = make_line(bank_data_key=KEY)
    bank = ["2", "1", f"{ROUTING}#", f"{INSUFFICIENT}#", f"{INSUFFICIENT}#", "1", "3"]
    for subscriber, dob in (("100000000003", "01151990#"), ("100000000004", "12301968#")):
        line.call(["1", f"{subscriber}#", dob, "1", "1", *bank])
    assert (plan_status(line, "100000000003"), plan_status(line, "100000000004")) == (
        "active",
        "active",
    )
    core = line.app.extensions["ivr"].core
    settings = line.app.extensions["ivr"].settings
    out = tmp_path / "calls.ach"
    export(core.uow, core.sealer, settings.ach_originator, date(2026, 11, 18), out, line.clock)
    text = returned(line, out, "R02")
    at(line, 2026, 11, 20, 10, 0)
    read_returns_file(core.uow, text.encode(), settings.service_phone, line.clock)
    assert (plan_status(line, "100000000003"), plan_status(line, "100000000004")) == (
        "pending",
        "grace",
    )
    BankOracle(core.engine).check([out.read_text("ascii")], [text])
    MoneyOracle(core.engine).check_books()
