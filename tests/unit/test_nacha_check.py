"""The independent NACHA validator (tests/nacha_check.py) against ACH files laid out here by hand,
field by field from the NACHA record layouts (never by the production writer), and against those
files broken in exactly one way at a time: each problem must be reported, naming its line and its
field, and nothing else may be reported."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.nacha_check import CheckedEntry, InvalidAchFile, check_ach_file

PAD = "9" * 94
ODFI = "01100001"  # the originating bank, routing number 011000015
DEBITS = {"26", "27", "28", "29", "36", "37", "38", "39"}
CREDITS = {"21", "22", "23", "24", "31", "32", "33", "34"}
RETURNS = {"returns": True}

# --- Records, laid out by hand ------------------------------------------------------------------


def record(*fields: str) -> str:
    text = "".join(fields)
    assert len(text) == 94, (len(text), text)
    return text


def file_header() -> str:
    return record(
        "1",
        "01",  # priority code
        " 011000015",  # immediate destination: the ODFI's routing number
        "1234567890",  # immediate origin
        "261110",  # file creation date
        "1000",  # file creation time
        "A",  # file ID modifier
        "094",  # record size
        "10",  # blocking factor
        "1",  # format code
        "FEDERAL RESERVE BANK".ljust(23),
        "PREMIUM PAY LINE".ljust(23),
        " " * 8,  # reference code
    )


def batch_header(
    number: int = 1,
    *,
    service: str = "225",
    company: str = "PREMIUM PAY LINE",
    company_id: str = "1234567890",
    sec: str = "TEL",
    description: str = "PREMIUM",
    effective: str = "261111",
    settlement: str = "",
    status: str = "1",
    odfi: str = ODFI,
) -> str:
    return record(
        "5",
        service,
        company.ljust(16),
        " " * 20,  # company discretionary data
        company_id.ljust(10),
        sec,
        description.ljust(10),
        " " * 6,  # company descriptive date
        effective,
        settlement.ljust(3),
        status,
        odfi,
        f"{number:07d}",
    )


def entry(
    sequence: int = 1,
    *,
    code: str = "27",
    rdfi: str = "02100002",
    check: str = "1",  # of 02100002
    account: str = "123456789",
    amount: int | str = 12345,
    individual_id: str = "100000000001",
    name: str = "JANE DOE",
    payment_type: str = "R ",
    indicator: str = "0",
    trace: str | None = None,
) -> str:
    return record(
        "6",
        code,
        rdfi,
        check,
        account.ljust(17),
        f"{amount:010d}" if isinstance(amount, int) else amount,
        individual_id.ljust(15),
        name.ljust(22),
        payment_type.ljust(2),
        indicator,
        trace or f"{ODFI}{sequence:07d}",
    )


def return_addenda(
    trace: str,
    *,
    type_code: str = "99",
    reason: str = "R01",
    original_trace: str = f"{ODFI}0000001",
    death: str = "",
    original_rdfi: str = "02100002",
    addenda_trace: str | None = None,
) -> str:
    return record(
        "7",
        type_code,
        reason,
        original_trace,
        death.ljust(6),
        original_rdfi,
        " " * 44,  # addenda information
        addenda_trace or trace,
    )


def payment_addenda(
    trace: str, *, type_code: str = "05", sequence: str = "0001", entry_sequence: str | None = None
) -> str:
    return record("7", type_code, "PREMIUM H-100".ljust(80), sequence, entry_sequence or trace[-7:])


def digits_of(text: str) -> int:
    return int(text) if text.isdigit() else 0


def batch_control(header: str, body: list[str]) -> str:
    entries = [r for r in body if r.startswith("6")]

    def total(codes: set[str]) -> int:
        return sum(digits_of(e[29:39]) for e in entries if e[1:3] in codes)

    return record(
        "8",
        header[1:4],  # service class code
        f"{len(body):06d}",
        f"{sum(digits_of(e[3:11]) for e in entries) % 10**10:010d}",
        f"{total(DEBITS):012d}",
        f"{total(CREDITS):012d}",
        header[40:50],  # company identification
        " " * 19,  # message authentication code
        " " * 6,  # reserved
        header[79:87],  # ODFI identification
        header[87:94],  # batch number
    )


def batch(header: str, *body: str) -> list[str]:
    return [header, *body, batch_control(header, list(body))]


def file_control(batches: tuple[list[str], ...], records: int) -> str:
    controls = [b[-1] for b in batches]

    def total(start: int, end: int) -> int:
        return sum(int(c[start:end]) for c in controls)

    return record(
        "9",
        f"{len(batches):06d}",
        f"{records // 10:06d}",  # block count
        f"{total(4, 10):08d}",
        f"{total(10, 20) % 10**10:010d}",
        f"{total(20, 32):012d}",
        f"{total(32, 44):012d}",
        " " * 39,
    )


def ach_file(*batches: list[str]) -> str:
    records = [file_header(), *(r for b in batches for r in b)]
    padding = -(len(records) + 1) % 10
    records.append(file_control(batches, len(records) + 1 + padding))
    return text_of(records + [PAD] * padding)


# --- The valid files --------------------------------------------------------------------------


def jane(**fields: Any) -> str:
    return entry(1, **fields)


def luis(**fields: Any) -> str:
    defaults: dict[str, Any] = {
        "code": "37",
        "rdfi": "09100001",
        "check": "9",
        "account": "98765432",
        "amount": 6789,
        "individual_id": "100000000002",
        "name": "LUIS ORTEGA",
        "payment_type": "S ",
    }
    return entry(2, **(defaults | fields))


def tel_file(
    first: dict[str, Any] | None = None, second: dict[str, Any] | None = None, **header: Any
) -> str:
    """Two TEL debits in one batch: lines 2 (header), 3 and 4 (entries), 5 (control), 6 (file
    control), 7-10 (padding)."""
    return ach_file(batch(batch_header(**header), jane(**(first or {})), luis(**(second or {}))))


def multi_batch_file() -> str:
    """Lines 2-4, 5-8 and 9-11: three batches of 1, 2 and 1 entries; 12 the file control."""
    ana = entry(3, rdfi="11100002", check="5", account="5555", amount=100, name="ANA DIAZ")
    tom = entry(4, rdfi="09100001", check="9", amount=250000, name="TOM LEE", payment_type="S ")
    return ach_file(
        batch(batch_header(1), jane()),
        batch(batch_header(2, effective="261112", description="LATE PREM"), luis(), ana),
        batch(batch_header(3, service="200", effective="261113"), tom),
    )


RETURNING_BANK = "02100002"


def returned_jane(**fields: Any) -> str:
    defaults: dict[str, Any] = {
        "code": "26",
        "rdfi": ODFI,
        "check": "5",  # of 01100001
        "indicator": "1",
        "trace": f"{RETURNING_BANK}0000001",
    }
    return entry(1, **(defaults | fields))


def jane_return(**fields: Any) -> str:
    return return_addenda(f"{RETURNING_BANK}0000001", **fields)


def returned_luis() -> str:
    return luis(code="36", rdfi=ODFI, check="5", indicator="1", trace=f"{RETURNING_BANK}0000002")


def luis_return() -> str:
    return return_addenda(
        f"{RETURNING_BANK}0000002",
        reason="R15",
        original_trace=f"{ODFI}0000002",
        death="261101",
        original_rdfi="09100001",
    )


def returns_batch(*body: str) -> str:
    return ach_file(batch(batch_header(odfi=RETURNING_BANK), *body))


def returns_file() -> str:
    """Lines 3 and 5: returns of Jane's and Luis's debits; 4 and 6 their addenda."""
    return returns_batch(returned_jane(), jane_return(), returned_luis(), luis_return())


# --- Breaking a valid file --------------------------------------------------------------------


def lines_of(text: str) -> list[str]:
    assert text.endswith("\n")
    return text.split("\n")[:-1]


def text_of(lines: list[str]) -> str:
    return "".join(f"{line}\n" for line in lines)


def patch(text: str, line: int, position: int, new: str) -> str:
    """`new` written over the line from `position` (1-based) on."""
    lines = lines_of(text)
    old = lines[line - 1]
    lines[line - 1] = old[: position - 1] + new + old[position - 1 + len(new) :]
    return text_of(lines)


def replace_line(text: str, line: int, new: str) -> str:
    lines = lines_of(text)
    lines[line - 1] = new
    return text_of(lines)


def insert(text: str, after: int, new: str) -> str:
    """A record inserted after a line, and a padding record dropped to keep the blocking."""
    lines = lines_of(text)
    lines.insert(after, new)
    assert lines.pop() == PAD
    return text_of(lines)


def delete(text: str, line: int) -> str:
    """A line deleted, and a padding record added to keep the blocking."""
    lines = lines_of(text)
    del lines[line - 1]
    return text_of(lines + [PAD])


def swap(text: str, a: int, b: int) -> str:
    lines = lines_of(text)
    lines[a - 1], lines[b - 1] = lines[b - 1], lines[a - 1]
    return text_of(lines)


Where = int | str  # a line number, or "file"


def problems_of(text: str, **options: Any) -> tuple[str, ...]:
    with pytest.raises(InvalidAchFile) as caught:
        check_ach_file(text, **options)
    assert str(caught.value).split("\n") == list(caught.value.problems)
    return caught.value.problems


def assert_problems(problems: tuple[str, ...], expected: list[tuple[Where, str]]) -> None:
    """Each expected problem is reported (on its line, with its words), and nothing else is."""
    unmatched = list(problems)
    for where, words in expected:
        prefix = "file: " if where == "file" else f"line {where}: "
        found = next((p for p in unmatched if p.startswith(prefix) and words in p), None)
        assert found is not None, f"no {prefix!r}...{words!r} among {problems}"
        unmatched.remove(found)
    assert not unmatched, f"also reported: {unmatched}"


def case(make: Callable[[], str], *expected: tuple[Where, str], **options: Any) -> Any:
    return pytest.param(make, list(expected), options)


# --- The valid files are accepted -------------------------------------------------------------


def test_two_tel_debits_are_accepted_with_their_entries_and_totals():
    text = tel_file()
    lines = lines_of(text)
    # The control records, added up by hand: entry hash 02100002 + 09100001, debits 123.45 + 67.89.
    assert lines[4] == record(
        "8225000002",
        "0011200003",
        "000000019134",
        "000000000000",
        "1234567890",
        " " * 25,
        "01100001",
        "0000001",
    )
    assert lines[5] == record(
        "9000001000001", "00000002", "0011200003", "000000019134", "000000000000", " " * 39
    )
    assert lines[6:] == [PAD] * 4

    checked = check_ach_file(text)

    assert (checked.immediate_destination, checked.immediate_origin) == ("011000015", "1234567890")
    assert (checked.creation_date, checked.file_id_modifier) == ("261110", "A")
    assert (checked.batch_count, checked.total_debit_cents, checked.total_credit_cents) == (
        1,
        19134,
        0,
    )
    assert checked.entries[0] == CheckedEntry(
        line=3,
        batch_number=1,
        transaction_code=27,
        rdfi="02100002",
        check_digit="1",
        account="123456789",
        amount_cents=12345,
        individual_id="100000000001",
        individual_name="JANE DOE",
        discretionary="R ",
        trace="011000010000001",
        sec_code="TEL",
        effective_date="261111",
        company_entry_description="PREMIUM",
        addenda=(),
    )
    second = checked.entries[1]
    assert (second.line, second.transaction_code, second.amount_cents) == (4, 37, 6789)
    assert (second.rdfi, second.check_digit, second.account) == ("09100001", "9", "98765432")
    assert (second.individual_name, second.discretionary) == ("LUIS ORTEGA", "S ")


def test_a_file_without_batches_is_header_file_control_and_padding():
    text = ach_file()
    assert lines_of(text)[1] == record("9000000000001", "0" * 42, " " * 39)

    checked = check_ach_file(text)

    assert (checked.entries, checked.batch_count) == ((), 0)
    assert (checked.total_debit_cents, checked.total_credit_cents) == (0, 0)


def test_several_batches_are_accepted_and_numbered():
    text = multi_batch_file()
    lines = lines_of(text)
    assert len(lines) == 20 and lines[12:] == [PAD] * 8
    # 02100002 + 09100001 + 11100002 + 09100001; 123.45 + 67.89 + 1.00 + 2500.00; 2 blocks.
    assert lines[11] == record(
        "9000003000002", "00000004", "0031400006", "000000269234", "000000000000", " " * 39
    )

    checked = check_ach_file(text)

    assert checked.batch_count == 3 and checked.total_debit_cents == 269234
    assert [(e.line, e.batch_number, e.effective_date) for e in checked.entries] == [
        (3, 1, "261111"),
        (6, 2, "261112"),
        (7, 2, "261112"),
        (10, 3, "261113"),
    ]
    assert [e.company_entry_description for e in checked.entries[:2]] == ["PREMIUM", "LATE PREM"]
    assert checked.entries[2].account == "5555"


def test_a_returns_file_is_accepted_with_each_return_and_its_addenda():
    text = returns_file()
    lines = lines_of(text)
    assert lines[6] == record(
        "8225000004",
        "0002200002",
        "000000019134",
        "000000000000",
        "1234567890",
        " " * 25,
        "02100002",
        "0000001",
    )

    checked = check_ach_file(text, returns=True)

    assert checked.total_debit_cents == 19134 and checked.total_credit_cents == 0
    jane_, luis_ = checked.entries
    assert (jane_.line, jane_.transaction_code, jane_.trace) == (3, 26, "021000020000001")
    assert (luis_.line, luis_.transaction_code, luis_.amount_cents) == (5, 36, 6789)
    assert jane_.addenda == (lines[3],) and luis_.addenda == (lines[5],)
    assert luis_.addenda[0][3:6] == "R15" and luis_.addenda[0][21:27] == "261101"


def test_the_entry_hash_keeps_its_rightmost_ten_digits():
    many = [
        entry(n, rdfi="99999999", check="2", amount=1, payment_type="S ") for n in range(1, 121)
    ]
    text = ach_file(batch(batch_header(), *many))
    lines = lines_of(text)
    # 120 x 99999999 = 11999999880.
    assert lines[122][10:20] == "1999999880" and lines[123][21:31] == "1999999880"

    checked = check_ach_file(text)

    assert len(checked.entries) == 120 and checked.total_debit_cents == 120


def test_other_sec_codes_are_allowed_when_asked_for_and_only_tel_has_a_payment_type():
    text = tel_file(sec="PPD", first={"payment_type": "  "})
    assert check_ach_file(text, sec_codes=frozenset({"PPD"})).entries[0].sec_code == "PPD"
    assert_problems(problems_of(text), [(2, "standard entry class code (positions 51-53)")])


def test_boundary_values_are_accepted():
    text = patch(patch(tel_file(first={"account": "1234"}), 1, 24, "280229"), 1, 34, "7")
    assert check_ach_file(text).creation_date == "280229"  # a leap day; modifier a digit


def test_an_originated_entry_may_carry_payment_addenda_outside_tel():
    first = jane(indicator="1")
    text = ach_file(batch(batch_header(sec="PPD"), first, payment_addenda(first[79:]), luis()))
    checked = check_ach_file(text, sec_codes=frozenset({"PPD"}))
    assert checked.entries[0].addenda == (lines_of(text)[3],)


# --- Lines ------------------------------------------------------------------------------------

TEL = tel_file()


@pytest.mark.parametrize(
    ("make", "expected", "options"),
    [
        case(lambda: TEL.replace("\n", "\r\n", 1), (1, "carriage return")),
        case(lambda: TEL.replace("\n", "\r\n"), *[(n, "carriage return") for n in range(1, 11)]),
        case(lambda: patch(TEL, 3, 70, "\t"), (3, "position 70: '\\t' is not printable ASCII")),
        case(lambda: patch(TEL, 3, 70, "é"), (3, "position 70: 'é' is not printable ASCII")),
        case(lambda: patch(TEL, 2, 30, "\x7f"), (2, "position 30: '\\x7f' is not printable")),
        case(lambda: replace_line(TEL, 1, file_header()[:93]), (1, "93 characters long, not 94")),
        case(lambda: replace_line(TEL, 1, file_header() + " "), (1, "95 characters long, not 94")),
        case(lambda: TEL.replace(PAD, "", 1), (7, "empty line"), ("file", "9 records")),
        case(lambda: text_of(lines_of(TEL)[:6] + [""] + lines_of(TEL)[6:]), (7, "empty line")),
        case(lambda: TEL[:-1], ("file", "does not end with a newline")),
    ],
    ids=[
        "cr-once",
        "crlf",
        "tab",
        "non-ascii",
        "del",
        "short",
        "long",
        "blank-padding",
        "empty-line",
        "no-final-newline",
    ],
)
def test_line_problems_are_reported(make, expected, options):
    assert_problems(problems_of(make(), **options), expected)


# --- Record order and blocking ----------------------------------------------------------------

MULTI = multi_batch_file()
TYPE = "record type (position 1)"


@pytest.mark.parametrize(
    ("make", "expected", "options"),
    [
        case(lambda: delete(TEL, 1), (1, f"{TYPE} '5': the file must begin with a File Header")),
        case(lambda: insert(TEL, 1, file_header()), (2, "File Header may only be the first")),
        case(lambda: insert(TEL, 5, entry(3)), (6, f"{TYPE} '6': Entry Detail outside a batch")),
        case(
            lambda: insert(TEL, 2, return_addenda(f"{ODFI}0000001")),
            (3, f"{TYPE} '7': Addenda record that does not follow an Entry Detail"),
        ),
        case(
            lambda: delete(TEL, 5),
            (5, "File Control before the Batch Control of the batch that begins at line 2"),
        ),
        case(
            lambda: delete(MULTI, 4),
            (4, "Batch Header before the Batch Control of the batch that begins at line 2"),
        ),
        case(lambda: ach_file(batch(batch_header())), (3, f"{TYPE} '8': Batch Control of the")),
        case(lambda: insert(TEL, 5, lines_of(TEL)[4]), (6, "Batch Control outside a batch")),
        case(lambda: insert(TEL, 5, "4" + " " * 93), (6, f"{TYPE} '4': unknown record type")),
        case(
            lambda: delete(TEL, 6),
            ("file", "has no File Control"),
            *[(n, "padding record before the File Control") for n in range(6, 11)],
        ),
        case(lambda: swap(TEL, 6, 7), (6, "padding record before the File Control")),
        case(
            lambda: replace_line(TEL, 7, batch_header(2)),
            (7, f"{TYPE} '5': after the File Control only padding records may follow"),
        ),
        case(lambda: replace_line(TEL, 7, lines_of(TEL)[5]), (7, "only padding records may")),
        case(
            lambda: text_of(lines_of(TEL)[:4]),
            (2, f"{TYPE} '5': the batch has no Batch Control"),
            ("file", "has no File Control"),
            ("file", "4 records (padding included) is not a multiple of 10"),
        ),
        case(lambda: "", ("file", "has no records")),
        case(
            lambda: text_of(lines_of(TEL)[:-1]),
            ("file", "9 records (padding included) is not a multiple of 10"),
        ),
        case(
            lambda: text_of(lines_of(TEL) + [PAD] * 10),
            ("file", "14 padding records: more than the minimum"),
            (6, "File Control block count (positions 8-13): '000001' but"),
        ),
    ],
    ids=[
        "no-file-header-first",
        "second-file-header",
        "entry-outside-batch",
        "addenda-without-entry",
        "batch-without-control",
        "batch-header-in-open-batch",
        "batch-without-entries",
        "control-outside-batch",
        "unknown-record-type",
        "no-file-control",
        "padding-before-file-control",
        "record-after-file-control",
        "second-file-control",
        "unfinished-file",
        "empty-file",
        "short-of-a-block",
        "too-much-padding",
    ],
)
def test_records_out_of_order_are_reported(make, expected, options):
    assert_problems(problems_of(make(), **options), expected)


# --- File Header ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("position", "value", "words"),
    [
        (2, "02", "priority code (positions 2-3): '02' is not '01'"),
        (4, "0", "immediate destination (positions 4-13): '0011000015' is not a space and 9"),
        (5, "01100001X", "immediate destination (positions 4-13)"),
        (13, "6", "immediate destination (positions 4-13): routing number 011000016 fails"),
        (14, " " * 10, "immediate origin (positions 14-23): is blank"),
        (24, "261310", "file creation date (positions 24-29)"),
        (24, "270229", "file creation date (positions 24-29)"),
        (24, "26111 ", "file creation date (positions 24-29)"),
        (30, "2400", "file creation time (positions 30-33)"),
        (30, "1260", "file creation time (positions 30-33)"),
        (30, "10 0", "file creation time (positions 30-33)"),
        (34, "a", "file ID modifier (position 34)"),
        (34, " ", "file ID modifier (position 34)"),
        (35, "940", "record size (positions 35-37)"),
        (38, "01", "blocking factor (positions 38-39)"),
        (40, "2", "format code (position 40)"),
    ],
)
def test_file_header_problems_are_reported(position, value, words):
    assert_problems(problems_of(patch(TEL, 1, position, value)), [(1, f"File Header {words}")])


# --- Batch Header -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "words"),
    [
        ({"service": "226"}, "service class code (positions 2-4): '226' is not 200, 220 or 225"),
        ({"company": ""}, "company name (positions 5-20): is blank"),
        ({"company_id": ""}, "company identification (positions 41-50): is blank"),
        ({"sec": "PPD"}, "standard entry class code (positions 51-53): 'PPD' is not one of"),
        ({"description": ""}, "company entry description (positions 54-63): is blank"),
        ({"effective": "261131"}, "effective entry date (positions 70-75)"),
        ({"effective": "26111A"}, "effective entry date (positions 70-75)"),
        ({"settlement": "315"}, "settlement date (positions 76-78): '315' must be blank"),
        ({"status": "0"}, "originator status code (position 79)"),
        ({"status": "2"}, "originator status code (position 79)"),
        ({"odfi": "0110000A"}, "originating DFI identification (positions 80-87)"),
        ({"number": 2}, "batch number (positions 88-94): 2 but this is batch 1 of the file"),
        ({"number": 0}, "batch number (positions 88-94)"),
    ],
)
def test_batch_header_problems_are_reported(header, words):
    assert_problems(problems_of(tel_file(**header)), [(2, f"Batch Header {words}")])


def test_batch_numbers_increase_by_one():
    text = patch(patch(MULTI, 9, 88, "0000004"), 11, 88, "0000004")  # header and control
    assert_problems(problems_of(text), [(9, "Batch Header batch number (positions 88-94): 4 but")])


# --- Entry Detail -----------------------------------------------------------------------------

CODE = "Entry Detail transaction code (positions 2-3)"
TRACE = "Entry Detail trace number (positions 80-94)"
INDICATOR = "Entry Detail addenda record indicator (position 79)"


def tel_batch(*body: str) -> str:
    return ach_file(batch(batch_header(), *body))


@pytest.mark.parametrize(
    ("make", "expected", "options"),
    [
        case(
            lambda: tel_file({"code": "22"}),
            (3, f"{CODE}: 22 is not allowed in an originated file: [27, 37]"),
            (3, f"{CODE}: a credit in a service class 225 batch"),
        ),
        case(lambda: tel_file({"code": "28"}), (3, f"{CODE}: 28 is not allowed")),
        case(lambda: tel_file({"code": "26"}), (3, f"{CODE}: 26 is not allowed")),
        case(lambda: tel_file({"code": "2X"}), (3, f"{CODE}: '2X' is not 2 digits")),
        case(
            lambda: tel_file(service="220"),
            (3, f"{CODE}: a debit in a service class 220 batch"),
            (4, f"{CODE}: a debit in a service class 220 batch"),
        ),
        case(
            lambda: tel_file({"rdfi": "0210000X"}),
            (3, "Entry Detail receiving DFI identification (positions 4-11): '0210000X' is not"),
        ),
        case(
            lambda: tel_file({"check": "2"}),
            (3, "Entry Detail check digit (position 12): 2 but that of 02100002 is 1"),
        ),
        case(lambda: tel_file({"check": "X"}), (3, "Entry Detail check digit (position 12)")),
        case(lambda: tel_file({"amount": 0}), (3, "Entry Detail amount (positions 30-39): '00")),
        case(
            lambda: tel_file({"amount": "00001234 5"}),
            (3, "Entry Detail amount (positions 30-39): '00001234 5' is not 10 digits"),
        ),
        case(
            lambda: tel_file({"individual_id": ""}),
            (3, "Entry Detail individual identification number (positions 40-54): is blank"),
        ),
        case(lambda: tel_file({"name": ""}), (3, "Entry Detail individual name (positions 55-76)")),
        case(
            lambda: tel_file({"indicator": "2"}),
            (3, f"{INDICATOR}: '2' is not '0' or '1'"),
        ),
        case(
            lambda: tel_file({"trace": "01100001000000A"}),
            (3, f"{TRACE}: '01100001000000A' is not 15 digits"),
        ),
        case(
            lambda: tel_file({"trace": "001000010000001"}),
            (3, f"{TRACE}: 001000010000001 does not begin with the batch's ODFI identification"),
        ),
        case(
            lambda: tel_file({"trace": f"{ODFI}0000003"}),
            (4, f"{TRACE}: 011000010000002 is not above the batch's previous 011000010000003"),
        ),
        case(
            lambda: tel_file({"trace": f"{ODFI}0000002"}),
            (4, f"{TRACE}: 011000010000002 is not above"),
            (4, f"{TRACE}: 011000010000002 repeats the one at line 3"),
        ),
        case(
            lambda: patch(MULTI, 6, 80, f"{ODFI}0000001"),
            (6, f"{TRACE}: 011000010000001 repeats the one at line 3"),
        ),
        case(lambda: tel_file({"indicator": "1"}), (3, f"{INDICATOR}: '1' but no addenda record")),
        case(
            lambda: tel_batch(jane(), payment_addenda(jane()[79:]), luis()),
            (3, f"{INDICATOR}: '0' but 1 addenda record(s) follow"),
        ),
        case(
            lambda: tel_batch(jane(indicator="1"), payment_addenda(jane()[79:]), luis()),
            (3, f"{INDICATOR}: TEL entries carry no addenda records"),
        ),
    ],
    ids=[
        "credit-code",
        "prenote-code",
        "return-code-in-originated-file",
        "code-not-digits",
        "debits-in-a-credit-batch",
        "rdfi-not-digits",
        "wrong-check-digit",
        "check-digit-not-digit",
        "zero-amount",
        "amount-not-digits",
        "blank-individual-id",
        "blank-name",
        "indicator-not-0-or-1",
        "trace-not-digits",
        "trace-not-from-odfi",
        "traces-descending",
        "trace-repeated-in-batch",
        "trace-repeated-in-file",
        "addenda-indicated-but-missing",
        "addenda-not-indicated",
        "addenda-on-tel",
    ],
)
def test_entry_detail_problems_are_reported(make, expected, options):
    assert_problems(problems_of(make(), **options), expected)


@pytest.mark.parametrize("account", [" 123456789", "123", "12-3456", "1234 56", "", "12345A"])
def test_an_account_is_four_or_more_digits_left_justified(account):
    assert_problems(
        problems_of(tel_file({"account": account})),
        [(3, "Entry Detail DFI account number (positions 13-29)")],
    )


@pytest.mark.parametrize("payment_type", ["  ", "X ", " R", "r "])
def test_a_tel_entry_says_whether_it_is_recurring_or_single(payment_type):
    assert_problems(
        problems_of(tel_file({"payment_type": payment_type})),
        [(3, "Entry Detail payment type code (positions 77-78)")],
    )


# --- Addenda ----------------------------------------------------------------------------------

ADDENDA_TYPE = "Addenda addenda type code (positions 2-3)"


@pytest.mark.parametrize(
    ("make", "expected", "options"),
    [
        case(
            lambda: returns_batch(returned_jane(code="27"), jane_return()),
            (3, f"{CODE}: 27 is not allowed in a returns file: [26, 36]"),
            **RETURNS,
        ),
        case(
            lambda: returns_batch(returned_jane(code="37"), jane_return()),
            (3, f"{CODE}: 37 is not allowed in a returns file"),
            **RETURNS,
        ),
        case(
            lambda: returns_batch(returned_jane(indicator="0"), returned_luis(), luis_return()),
            (3, f"{INDICATOR}: a return must be followed by exactly one addenda record, found 0"),
            **RETURNS,
        ),
        case(
            lambda: returns_batch(returned_jane(), returned_luis(), luis_return()),
            (3, f"{INDICATOR}: '1' but no addenda record follows"),
            **RETURNS,
        ),
        case(
            lambda: returns_batch(returned_jane(), jane_return(), jane_return(reason="R02")),
            (3, f"{INDICATOR}: a return must be followed by exactly one addenda record, found 2"),
            **RETURNS,
        ),
        case(
            lambda: returns_batch(returned_jane(indicator="0"), jane_return()),
            (3, f"{INDICATOR}: '0' but 1 addenda record(s) follow"),
            **RETURNS,
        ),
        case(
            lambda: returns_batch(returned_jane(), jane_return(type_code="05")),
            (4, f"{ADDENDA_TYPE}: '05' is not '99'"),
            **RETURNS,
        ),
        *[
            case(
                lambda reason=reason: returns_batch(returned_jane(), jane_return(reason=reason)),
                (4, f"Addenda return reason code (positions 4-6): '{reason}' is not"),
                **RETURNS,
            )
            for reason in ["X01", "R0A", "R00", "R1 ", "r01"]
        ],
        case(
            lambda: returns_batch(returned_jane(), jane_return(original_trace="01100001000000 ")),
            (4, "Addenda original entry trace number (positions 7-21)"),
            **RETURNS,
        ),
        case(
            lambda: returns_batch(returned_jane(), jane_return(death="261301")),
            (4, "Addenda date of death (positions 22-27): '261301' is not a valid date"),
            **RETURNS,
        ),
        case(
            lambda: returns_batch(returned_jane(), jane_return(death="2611")),
            (4, "Addenda date of death (positions 22-27)"),
            **RETURNS,
        ),
        case(
            lambda: returns_batch(returned_jane(), jane_return(original_rdfi="0210000X")),
            (4, "Addenda original receiving DFI identification (positions 28-35)"),
            **RETURNS,
        ),
        case(
            lambda: returns_batch(returned_jane(), jane_return(addenda_trace=f"{ODFI}0000009")),
            (4, "Addenda trace number (positions 80-94): '011000010000009' differs from"),
            **RETURNS,
        ),
    ],
    ids=[
        "debit-code-in-returns",
        "savings-debit-code-in-returns",
        "return-without-addenda",
        "return-indicated-addenda-missing",
        "return-with-two-addenda",
        "return-addenda-not-indicated",
        "addenda-type-not-99",
        *[f"reason-{reason.strip()}" for reason in ["X01", "R0A", "R00", "R1 ", "r01"]],
        "original-trace-not-digits",
        "date-of-death-invalid",
        "date-of-death-partial",
        "original-rdfi-not-digits",
        "addenda-trace-not-the-entrys",
    ],
)
def test_return_problems_are_reported(make, expected, options):
    assert_problems(problems_of(make(), **options), expected)


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"type_code": "06"}, f"{ADDENDA_TYPE}: '06' is not '05'"),
        ({"sequence": "0002"}, "addenda sequence number (positions 84-87): '0002' but"),
        ({"entry_sequence": "0000002"}, "entry detail sequence number (positions 88-94)"),
    ],
)
def test_payment_addenda_problems_are_reported(fields, words):
    first = jane(indicator="1")
    text = ach_file(
        batch(batch_header(sec="PPD"), first, payment_addenda(first[79:], **fields), luis())
    )
    assert_problems(problems_of(text, sec_codes=frozenset({"PPD"})), [(4, words)])


# --- Control records --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "position", "value", "words"),
    [
        (5, 2, "220", "Batch Control service class code (positions 2-4): '220' differs from"),
        (5, 5, "000003", "Batch Control entry/addenda count (positions 5-10): '000003' but"),
        (5, 5, "00000X", "Batch Control entry/addenda count (positions 5-10): '00000X' is not"),
        (5, 11, "0011200004", "Batch Control entry hash (positions 11-20): '0011200004' but"),
        (5, 21, "000000019135", "Batch Control total debit entry dollar amount (positions 21-32)"),
        (5, 33, "000000000001", "Batch Control total credit entry dollar amount (positions 33"),
        (5, 45, "1234567891", "Batch Control company identification (positions 45-54)"),
        (5, 74, "X", "Batch Control reserved (positions 74-79)"),
        (5, 80, "01100002", "Batch Control originating DFI identification (positions 80-87)"),
        (5, 88, "0000002", "Batch Control batch number (positions 88-94)"),
        (6, 2, "000002", "File Control batch count (positions 2-7): '000002' but"),
        (6, 8, "000002", "File Control block count (positions 8-13): '000002' but"),
        (6, 14, "00000003", "File Control entry/addenda count (positions 14-21)"),
        (6, 22, "0011200004", "File Control entry hash (positions 22-31)"),
        (6, 32, "000000019135", "File Control total debit entry dollar amount (positions 32-43)"),
        (6, 44, "000000000001", "File Control total credit entry dollar amount (positions 44-55)"),
        (6, 56, "X", "File Control reserved (positions 56-94)"),
        (6, 94, "X", "File Control reserved (positions 56-94)"),
    ],
)
def test_control_record_problems_are_reported(line, position, value, words):
    assert_problems(problems_of(patch(TEL, line, position, value)), [(line, words)])


def test_the_file_control_adds_up_every_batch():
    text = patch(MULTI, 12, 32, "000000269233")
    assert_problems(
        problems_of(text),
        [(12, "File Control total debit entry dollar amount (positions 32-43): '000000269233'")],
    )


# --- Everything at once -----------------------------------------------------------------------


def test_every_problem_is_reported_together_one_per_line():
    text = patch(TEL, 1, 2, "02")
    text = patch(text, 3, 30, "0000000000")
    text = patch(text, 6, 60, "X")
    text = text[:-1]

    problems = problems_of(text)

    assert problems[0] == "file: does not end with a newline"
    assert "line 3: Entry Detail amount (positions 30-39): '0000000000' must be more than zero" in (
        problems
    )
    assert_problems(
        problems,
        [
            ("file", "does not end with a newline"),
            (1, "File Header priority code (positions 2-3)"),
            (3, "Entry Detail amount (positions 30-39)"),
            (5, "Batch Control total debit entry dollar amount (positions 21-32): '000000019134'"),
            (6, "File Control total debit entry dollar amount (positions 32-43)"),
            (6, "File Control reserved (positions 56-94)"),
        ],
    )
