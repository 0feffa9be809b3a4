"""The NACHA writer and reader, checked by the independent validator (tests/nacha_check.py)."""

from __future__ import annotations

import io
import random
from datetime import date, datetime

import pytest

from payments.bank import nacha
from tests.nacha_check import check_ach_file

ORIGINATOR = nacha.Originator(
    odfi_routing="011000015",
    immediate_destination="011000015",
    company_id="1234567890",
    company_name="MA HEALTH CONN",
)
CREATED = datetime(2026, 12, 14, 17, 30)
ROUTINGS = ("011000015", "211274450", "011401533", "091000019")


def debit(n: int, **changes: object) -> nacha.Debit:
    values: dict[str, object] = {
        "transaction_code": 27 if n % 3 else 37,
        "routing": ROUTINGS[n % len(ROUTINGS)],
        "account_number": f"{100000 + n:012d}",
        "amount_cents": 4500 + n,
        "individual_id": f"AP{n:08d}",
        "individual_name": "Ana Silva",
        "payment_type": "R" if n % 2 else "S",
        "trace_number": f"01100001{n:07d}",
        "effective_date": date(2026, 12, 15),
    }
    values.update(changes)
    return nacha.Debit(**values)  # type: ignore[arg-type]


def written(debits: list[nacha.Debit]) -> tuple[str, nacha.FileTotals]:
    out = io.StringIO()
    totals = nacha.write_debit_file(out, ORIGINATOR, CREATED, "A", debits)
    return out.getvalue(), totals


@pytest.mark.parametrize("count", [1, 5, 6, 7, 8, 17, 123])
def test_a_debit_file_validates_and_its_totals_are_the_debits(count: int) -> None:
    debits = [debit(n) for n in range(1, count + 1)]
    text, totals = written(debits)
    checked = check_ach_file(text)
    assert [e.trace for e in checked.entries] == [d.trace_number for d in debits]
    assert [e.amount_cents for e in checked.entries] == [d.amount_cents for d in debits]
    assert [e.discretionary for e in checked.entries] == [d.payment_type + " " for d in debits]
    assert (
        checked.total_debit_cents == totals.total_debit_cents == sum(d.amount_cents for d in debits)
    )
    assert totals.entry_hash == sum(int(d.routing[:8]) for d in debits) % 10**10
    assert len(text.splitlines()) == totals.block_count * 10
    assert nacha.validate_file(io.StringIO(text)) == []


def test_batches_follow_the_effective_date_and_retries_say_retry_pymt() -> None:
    debits = [
        debit(1, effective_date=date(2026, 12, 15)),
        debit(2, effective_date=date(2026, 12, 15), reinitiated=True),
        debit(3, effective_date=date(2026, 12, 23)),
    ]
    checked = check_ach_file(written(debits)[0])
    assert checked.batch_count == 3
    assert [(e.effective_date, e.company_entry_description) for e in checked.entries] == [
        ("261215", "PREMIUM"),
        ("261215", "RETRY PYMT"),
        ("261223", "PREMIUM"),
    ]


def test_entries_read_back_as_written() -> None:
    debits = [debit(n) for n in range(1, 12)]
    entries = list(nacha.read_entries(io.StringIO(written(debits)[0])))
    assert [(e.routing, e.account_number, e.amount_cents, e.trace_number) for e in entries] == [
        (d.routing, d.account_number, d.amount_cents, d.trace_number) for d in debits
    ]
    assert {e.effective_date for e in entries} == {date(2026, 12, 15)}


def test_a_returns_file_validates_and_reads_back_by_original_trace() -> None:
    text, _ = written([debit(n) for n in range(1, 9)])
    entries = list(nacha.read_entries(io.StringIO(text)))
    out = io.StringIO()
    chosen = [(entries[1], "R01"), (entries[4], "R02"), (entries[6], "R10")]
    nacha.write_returns_file(out, "091000019", "SANDBOX BANK", ORIGINATOR, CREATED, chosen)
    checked = check_ach_file(out.getvalue(), returns=True)
    assert {e.transaction_code for e in checked.entries} <= {26, 36}
    returns = nacha.read_returns(io.StringIO(out.getvalue()))
    assert [(r.original_trace, r.return_code, r.amount_cents) for r in returns] == [
        (entry.trace_number, code, entry.amount_cents) for entry, code in chosen
    ]
    assert [r.original_rdfi for r in returns] == [entry.routing[:8] for entry, _ in chosen]


def test_validate_file_finds_a_changed_amount_and_a_missing_block() -> None:
    text, _ = written([debit(n) for n in range(1, 4)])
    lines = text.splitlines(keepends=True)
    tampered = lines[2][:29] + "0000009999" + lines[2][39:]
    problems = nacha.validate_file([*lines[:2], tampered, *lines[3:]])
    assert any("does not add up" in problem for problem in problems)
    assert nacha.validate_file(lines[:-1])  # one padding record short
    assert nacha.validate_file([line[:-2] + "\n" for line in lines])  # 93 characters


def test_a_returns_file_that_does_not_validate_is_refused() -> None:
    text, _ = written([debit(1)])
    entries = list(nacha.read_entries(io.StringIO(text)))
    out = io.StringIO()
    nacha.write_returns_file(out, "091000019", "BANK", ORIGINATOR, CREATED, [(entries[0], "R01")])
    lines = out.getvalue().splitlines(keepends=True)
    with pytest.raises(nacha.NachaError):
        nacha.read_returns(lines[:3])


@pytest.mark.parametrize(
    "changes",
    [
        {"routing": "011000016"},  # check digit wrong
        {"amount_cents": 0},
        {"account_number": "12"},
        {"payment_type": "X"},
        {"transaction_code": 22},
        {"trace_number": "99999999" + "0000001"},  # not the ODFI's
    ],
)
def test_a_debit_that_breaks_the_layout_is_never_written(changes: dict[str, object]) -> None:
    with pytest.raises(nacha.NachaError):
        written([debit(1, **changes)])


def test_no_debits_no_file() -> None:
    with pytest.raises(nacha.NachaError):
        written([])


def test_random_files_always_validate() -> None:
    rng = random.Random(12)
    for _ in range(30):
        count = rng.randint(1, 40)
        days = sorted(rng.choice([15, 16, 23, 24]) for _ in range(count))
        debits = [
            debit(n, effective_date=date(2026, 12, day), amount_cents=rng.randint(1, 10**8))
            for n, day in enumerate(days, start=1)
        ]
        text, totals = written(debits)
        assert check_ach_file(text).total_debit_cents == totals.total_debit_cents
        assert nacha.validate_file(io.StringIO(text)) == []


def test_check_digit_of_known_routing_numbers() -> None:
    assert all(nacha.valid_routing(routing) for routing in ROUTINGS)
    assert not nacha.valid_routing("011000016")


def test_validate_file_reports_a_field_that_is_not_digits() -> None:
    lines = written([debit(1)])[0].splitlines(keepends=True)
    broken = lines[2][:29] + "00000045AB" + lines[2][39:]
    problems = nacha.validate_file([*lines[:2], broken, *lines[3:]])
    assert any("amount" in problem for problem in problems)


def returns_text(chosen: list[tuple[nacha.FileEntry, str]]) -> str:
    out = io.StringIO()
    nacha.write_returns_file(out, "091000019", "BANK", ORIGINATOR, CREATED, chosen)
    return out.getvalue()


def test_a_return_reads_back_its_code_amount_and_original_bank() -> None:
    big = debit(1, amount_cents=1_234_567_891, transaction_code=37)  # ten digits, a savings debit
    [entry] = nacha.read_entries(io.StringIO(written([big])[0]))
    [back] = nacha.read_returns(io.StringIO(returns_text([(entry, "R03")])))
    assert (back.transaction_code, back.amount_cents, back.return_code) == (
        36,
        1_234_567_891,
        "R03",
    )
    assert (back.original_rdfi, back.date_of_death, back.addenda_information) == (
        big.routing[:8],
        "",
        "",
    )


@pytest.mark.parametrize("reason", ["RX1", "R1", "X01", "R001"])
def test_a_return_reason_that_is_not_rnn_is_never_written(reason: str) -> None:
    [entry] = nacha.read_entries(io.StringIO(written([debit(1)])[0]))
    with pytest.raises(nacha.NachaError, match="return reason"):
        returns_text([(entry, reason)])


def test_only_a_debit_can_be_returned() -> None:
    [entry] = nacha.read_entries(io.StringIO(written([debit(1)])[0]))
    credit = nacha.FileEntry(**{**entry.__dict__, "transaction_code": 22})
    with pytest.raises(nacha.NachaError, match="not a debit to return"):
        returns_text([(credit, "R01")])


def test_an_addenda_that_is_not_a_return_of_its_entry_is_found() -> None:
    [entry] = nacha.read_entries(io.StringIO(written([debit(1)])[0]))
    lines = returns_text([(entry, "R01")]).splitlines(keepends=True)
    addenda = next(n for n, text in enumerate(lines) if text.startswith("7"))
    for broken in (
        "705" + lines[addenda][3:],  # another addenda type
        lines[addenda][:79] + "091000019999999\n",  # the trace of no entry
    ):
        changed = [*lines[:addenda], broken, *lines[addenda + 1 :]]
        problems = nacha.validate_file(changed)
        assert any(f"line {addenda + 1}: an addenda" in problem for problem in problems)
        with pytest.raises(nacha.NachaError):
            nacha.read_returns(changed)


def _replaced(line: str, start: int, text: str) -> str:
    return line[:start] + text + line[start + len(text) :]


# (record, start, replacement): one field of a valid file made wrong. Records: 0 file header,
# 1 batch header, 2 first entry, -3 batch control, -2 file control (before the padding).
CORRUPTIONS = [
    (0, 1, "02"),  # priority code
    (0, 3, " 011000016"),  # immediate destination fails its check digit
    (0, 3, "X011000015"),
    (0, 23, "261332"),  # creation date
    (0, 34, "095"),  # record size
    (0, 37, "11"),  # blocking factor
    (0, 39, "2"),  # format code
    (1, 1, "220"),  # a credits-only batch
    (1, 4, " " * 16),  # no company name
    (1, 40, " " * 10),  # no company id
    (1, 50, "PPD"),
    (1, 53, " " * 10),  # no entry description
    (1, 69, "26AB01"),  # effective date
    (1, 78, "2"),  # originator status
    (1, 87, "0000002"),  # batch number out of order
    (2, 1, "22"),  # a credit
    (2, 1, "2X"),  # not digits
    (2, 11, "9"),  # check digit
    (2, 29, "0000000000"),  # no amount
    (2, 76, "X "),  # payment type
    (2, 79, "01100001ABCDEFG"),  # trace not digits
    (-3, 4, "000009"),  # batch entry count
    (-3, 44, "9999999999"),  # batch control's company
    (-2, 1, "000009"),  # file batch count
]


def _file_control(lines: list[str]) -> int:
    return next(n for n, line in enumerate(lines) if line[0] == "9" and line[:-1] != nacha.PADDING)


@pytest.mark.parametrize(("record", "start", "text"), CORRUPTIONS)
def test_the_validator_finds_each_field_made_wrong(record: int, start: int, text: str) -> None:
    lines = written([debit(n) for n in range(1, 4)])[0].splitlines(True)
    index = record if record >= 0 else _file_control(lines) + record + 2
    lines[index] = _replaced(lines[index], start, text)
    problems = nacha.validate_file(lines)
    assert any(problem.startswith(f"line {index + 1}:") for problem in problems), problems


def test_the_validator_finds_a_file_cut_short_or_with_records_after_its_control() -> None:
    lines = written([debit(1)])[0].splitlines(True)
    control = _file_control(lines)
    assert any("ends before" in p for p in nacha.validate_file(lines[:control]))
    after = [*lines[: control + 1], lines[2], *lines[control + 2 :]]
    assert any(f"line {control + 2}:" in p for p in nacha.validate_file(after))


def test_entries_read_back_with_their_names_ids_and_company() -> None:
    [entry] = nacha.read_entries(io.StringIO(written([debit(7, payment_type="R")])[0]))
    assert (entry.individual_id, entry.individual_name, entry.payment_type) == (
        "AP00000007",
        "ANA SILVA",
        "R",
    )
    assert (entry.company_id, entry.transaction_code) == ("1234567890", 27)


@pytest.mark.parametrize(("account", "cents"), [("1234", 1), ("1" * 17, 99_999_999)])
def test_the_bounds_of_an_entry_are_written(account: str, cents: int) -> None:
    [entry] = check_ach_file(
        written([debit(1, account_number=account, amount_cents=cents)])[0]
    ).entries
    assert (entry.account, entry.amount_cents) == (account, cents)


@pytest.mark.parametrize("account", ["123", "1" * 18])
def test_an_account_number_out_of_bounds_is_refused(account: str) -> None:
    with pytest.raises(nacha.NachaError, match="4 to 17 digits"):
        written([debit(1, account_number=account)])
