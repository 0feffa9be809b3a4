"""NACHA ACH files: the TEL debit files the line originates and the returns files banks send.

No well-kept Python NACHA library fits (the maintained ones build whole files in memory or do
not write TEL's payment type code), so this is a small module written from the published record
layouts (NACHA Operating Rules, Appendix Three):

- every record is 94 characters; a file is a File Header (1), batches of a Batch Header (5),
  Entry Details (6) with their Addenda (7) and a Batch Control (8), then a File Control (9),
  padded with records of '9' to a multiple of the blocking factor, 10;
- the entry hash is the sum of the entries' 8-digit receiving DFI ids, its rightmost 10 digits;
- TEL debits use transaction code 27 (checking) or 37 (savings) and carry the payment type
  code `S ` (single) or `R ` (recurring) in positions 77-78; a returned debit comes back as 26
  or 36 with one addenda of type 99 naming the original trace number and the return reason.

Files are written from an iterator of entries and read a line at a time, never held whole.
`validate_file` re-reads a written file and recomputes every count, hash and total.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from typing import TextIO

RECORD_SIZE = 94
BLOCKING_FACTOR = 10
PADDING = "9" * RECORD_SIZE
DEBITS_ONLY = "225"
SEC_TEL = "TEL"
CHECKING_DEBIT, SAVINGS_DEBIT = 27, 37
CHECKING_RETURN, SAVINGS_RETURN = 26, 36
DEBIT_CODES = frozenset({CHECKING_DEBIT, SAVINGS_DEBIT, CHECKING_RETURN, SAVINGS_RETURN})
RETURN_OF = {CHECKING_DEBIT: CHECKING_RETURN, SAVINGS_DEBIT: SAVINGS_RETURN}
PAYMENT_TYPES = frozenset({"S", "R"})  # single, recurring
RETRY_DESCRIPTION = "RETRY PYMT"  # the rules' required description of a reinitiated entry
_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7)
_HASH_MODULUS = 10**10


class NachaError(ValueError):
    """A file, or something to be written into one, that breaks the layout."""


@dataclass(frozen=True)
class Originator:
    """Who sends the debits: the ODFI (the Connector's bank) and the company (the Connector)."""

    odfi_routing: str  # 9 digits
    immediate_destination: str  # 9 digits: where the file goes (usually the ODFI)
    company_id: str  # up to 10 characters
    company_name: str  # up to 16
    immediate_destination_name: str = ""
    immediate_origin_name: str = ""
    company_entry_description: str = "PREMIUM"


@dataclass(frozen=True)
class Debit:
    transaction_code: int  # 27 or 37
    routing: str  # 9 digits, the receiver's bank
    account_number: str
    amount_cents: int
    individual_id: str  # the payment's confirmation number
    individual_name: str
    payment_type: str  # "S" or "R"
    trace_number: str  # 15 digits
    effective_date: date
    reinitiated: bool = False  # a debit returned for funds, presented again


@dataclass(frozen=True)
class FileTotals:
    batch_count: int
    block_count: int
    entry_count: int  # entry and addenda records
    entry_hash: int
    total_debit_cents: int
    total_credit_cents: int
    line_count: int  # records before the padding


@dataclass(frozen=True)
class FileEntry:
    """An entry detail as read from a file, with what its batch says of it."""

    transaction_code: int
    routing: str  # 9 digits
    account_number: str
    amount_cents: int
    individual_id: str
    individual_name: str
    payment_type: str
    trace_number: str
    effective_date: date
    company_id: str


@dataclass(frozen=True)
class ReturnEntry:
    return_code: str  # "R01"...
    original_trace: str
    amount_cents: int
    transaction_code: int
    original_rdfi: str  # 8 digits
    date_of_death: str
    trace_number: str
    addenda_information: str


# --- small pieces ----------------------------------------------------------------------------


def check_digit(eight: str) -> str:
    """The ABA routing number's ninth digit for its first eight."""
    total = sum(int(digit) * weight for digit, weight in zip(eight, _WEIGHTS, strict=True))
    return str(-total % 10)


def valid_routing(routing: str) -> bool:
    return len(routing) == 9 and routing.isdigit() and check_digit(routing[:8]) == routing[8]


def _alpha(value: str, width: int) -> str:
    text = value.upper().encode("ascii", "replace").decode("ascii")
    return text[:width].ljust(width)


def _number(value: int, width: int) -> str:
    text = str(value)
    if value < 0 or len(text) > width:
        raise NachaError(f"{value} does not fit in {width} digits")
    return text.zfill(width)


def _yymmdd(day: date) -> str:
    return day.strftime("%y%m%d")


def _record(*parts: str) -> str:
    line = "".join(parts)
    if len(line) != RECORD_SIZE:
        raise NachaError(f"a record of {len(line)} characters, not {RECORD_SIZE}: {line[:1]!r}")
    return line + "\n"


# --- writing -----------------------------------------------------------------------------


def _file_header(
    destination: str, origin: str, created: datetime, modifier: str, names: tuple[str, str]
) -> str:
    return _record(
        "1", "01", " " + destination, origin.rjust(10)[:10], created.strftime("%y%m%d%H%M"),
        modifier, "094", "10", "1", _alpha(names[0], 23), _alpha(names[1], 23), " " * 8,
    )  # fmt: skip


def _batch_header(
    originator: Originator, description: str, effective: date, odfi: str, number: int
) -> str:
    return _record(
        "5", DEBITS_ONLY, _alpha(originator.company_name, 16), " " * 20,
        _alpha(originator.company_id, 10), SEC_TEL, _alpha(description, 10), " " * 6,
        _yymmdd(effective), "   ", "1", odfi, _number(number, 7),
    )  # fmt: skip


def _entry_record(
    code: int, routing: str, debit: Debit | FileEntry, payment_type: str, addenda: bool, trace: str
) -> str:
    if not valid_routing(routing):
        raise NachaError(f"routing number {routing!r} fails the ABA check digit")
    account = debit.account_number
    if not (account.isdigit() and 4 <= len(account) <= 17):
        raise NachaError("an account number must be 4 to 17 digits")
    if debit.amount_cents <= 0:
        raise NachaError(f"an entry of {debit.amount_cents} cents")
    return _record(
        "6", _number(code, 2), routing[:8], routing[8], account.ljust(17),
        _number(debit.amount_cents, 10), _alpha(debit.individual_id, 15),
        _alpha(debit.individual_name, 22), payment_type.ljust(2)[:2], "1" if addenda else "0",
        _number(int(trace), 15),
    )  # fmt: skip


@dataclass
class _Counts:
    entries: int = 0
    hash: int = 0
    debits: int = 0
    lines: int = 0
    batches: int = 0

    def add(self, other: _Counts) -> None:
        self.entries += other.entries
        self.hash += other.hash
        self.debits += other.debits


def _batch_control(counts: _Counts, company_id: str, odfi: str, number: int) -> str:
    return _record(
        "8", DEBITS_ONLY, _number(counts.entries, 6), _number(counts.hash % _HASH_MODULUS, 10),
        _number(counts.debits, 12), _number(0, 12), _alpha(company_id, 10), " " * 19, " " * 6,
        odfi, _number(number, 7),
    )  # fmt: skip


def _finish(out: TextIO, counts: _Counts) -> FileTotals:
    """Write the file control and the padding; the file's totals."""
    lines = counts.lines + 1
    blocks = -(-lines // BLOCKING_FACTOR)
    out.write(
        _record(
            "9",
            _number(counts.batches, 6),
            _number(blocks, 6),
            _number(counts.entries, 8),
            _number(counts.hash % _HASH_MODULUS, 10),
            _number(counts.debits, 12),
            _number(0, 12),
            " " * 39,
        )  # fmt: skip
    )
    out.write((PADDING + "\n") * (blocks * BLOCKING_FACTOR - lines))
    return FileTotals(
        counts.batches, blocks, counts.entries, counts.hash % _HASH_MODULUS, counts.debits, 0,
        lines,
    )  # fmt: skip


def write_debit_file(
    out: TextIO,
    originator: Originator,
    created: datetime,
    modifier: str,
    debits: Iterable[Debit],
) -> FileTotals:
    """Write a TEL debit file of `debits` (ordered by effective date, then reinitiated, then
    trace number: one batch for each run of the same date and kind) to `out`; its totals."""
    if not valid_routing(originator.odfi_routing):
        raise NachaError(f"ODFI routing number {originator.odfi_routing!r} is not valid")
    odfi = originator.odfi_routing[:8]
    names = (originator.immediate_destination_name, originator.immediate_origin_name)
    out.write(
        _file_header(originator.immediate_destination, originator.company_id, created, modifier,
                     names)
    )  # fmt: skip
    counts = _Counts(lines=1)
    for (effective, reinitiated), batch in groupby(
        debits, key=lambda debit: (debit.effective_date, debit.reinitiated)
    ):
        counts.batches += 1
        description = RETRY_DESCRIPTION if reinitiated else originator.company_entry_description
        out.write(_batch_header(originator, description, effective, odfi, counts.batches))
        in_batch = _Counts()
        for debit in batch:
            _write_debit(out, debit, odfi, in_batch)
        out.write(_batch_control(in_batch, originator.company_id, odfi, counts.batches))
        counts.add(in_batch)
        counts.lines += in_batch.entries + 2
    if not counts.batches:
        raise NachaError("a debit file needs at least one debit")
    return _finish(out, counts)


def _write_debit(out: TextIO, debit: Debit, odfi: str, counts: _Counts) -> None:
    if debit.transaction_code not in (CHECKING_DEBIT, SAVINGS_DEBIT):
        raise NachaError(f"transaction code {debit.transaction_code} is not a TEL debit")
    if debit.payment_type not in PAYMENT_TYPES:
        raise NachaError(f"payment type {debit.payment_type!r} is not S or R")
    if not debit.trace_number.startswith(odfi) or len(debit.trace_number) != 15:
        raise NachaError(f"trace number {debit.trace_number} is not the ODFI's")
    code, routing = debit.transaction_code, debit.routing
    out.write(_entry_record(code, routing, debit, debit.payment_type, False, debit.trace_number))
    counts.entries += 1
    counts.hash += int(routing[:8])
    counts.debits += debit.amount_cents


def write_returns_file(
    out: TextIO,
    bank_routing: str,
    bank_name: str,
    destination: Originator,
    created: datetime,
    returns: Iterable[tuple[FileEntry, str]],
) -> FileTotals:
    """The returns file a bank sends back: each (original entry, reason code) as a return entry
    (26/36) with its addenda 99, in one batch per original effective date."""
    header = _file_header(
        destination.odfi_routing, " " + bank_routing, created, "A", (destination.company_name,
                                                                    bank_name)
    )  # fmt: skip
    out.write(header)
    counts = _Counts(lines=1)
    sequence = 0
    returned = sorted(returns, key=lambda item: (item[0].effective_date, item[0].trace_number))
    for effective, batch in groupby(returned, key=lambda item: item[0].effective_date):
        counts.batches += 1
        odfi = bank_routing[:8]
        out.write(_batch_header(destination, "PREMIUM", effective, odfi, counts.batches))
        in_batch = _Counts()
        for entry, reason in batch:
            sequence += 1
            trace = odfi + _number(sequence, 7)
            _write_return(out, entry, reason, destination.odfi_routing, trace, in_batch)
        out.write(_batch_control(in_batch, destination.company_id, odfi, counts.batches))
        counts.add(in_batch)
        counts.lines += in_batch.entries + 2
    return _finish(out, counts)


def _write_return(
    out: TextIO, entry: FileEntry, reason: str, odfi_routing: str, trace: str, counts: _Counts
) -> None:
    code = RETURN_OF.get(entry.transaction_code)
    if code is None:
        raise NachaError(f"transaction code {entry.transaction_code} is not a debit to return")
    if len(reason) != 3 or not reason.startswith("R") or not reason[1:].isdigit():
        raise NachaError(f"{reason!r} is not a return reason code")
    out.write(_entry_record(code, odfi_routing, entry, "", True, trace))
    out.write(
        _record(
            "7",
            "99",
            reason,
            _number(int(entry.trace_number), 15),
            " " * 6,
            entry.routing[:8],
            " " * 44,
            trace,
        )  # fmt: skip
    )
    counts.entries += 2
    counts.hash += int(odfi_routing[:8])
    counts.debits += entry.amount_cents


# --- reading ----------------------------------------------------------------------------------


@dataclass
class _Batch:
    effective_date: date
    company_id: str


def _records(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if len(line) != RECORD_SIZE:
            raise NachaError(f"line {number}: {len(line)} characters, not {RECORD_SIZE}")
        if line != PADDING:
            yield number, line


def _date(text: str, number: int) -> date:
    try:
        return datetime.strptime(text, "%y%m%d").date()
    except ValueError:
        raise NachaError(f"line {number}: {text!r} is not a date YYMMDD") from None


def _int(text: str, number: int, what: str) -> int:
    if not text.isdigit():
        raise NachaError(f"line {number}: {what} {text!r} is not digits")
    return int(text)


def _file_entry(line: str, number: int, batch: _Batch) -> FileEntry:
    return FileEntry(
        transaction_code=_int(line[1:3], number, "transaction code"),
        routing=line[3:12],
        account_number=line[12:29].strip(),
        amount_cents=_int(line[29:39], number, "amount"),
        individual_id=line[39:54].strip(),
        individual_name=line[54:76].strip(),
        payment_type=line[76:78].strip(),
        trace_number=line[79:94],
        effective_date=batch.effective_date,
        company_id=batch.company_id,
    )


def read_entries(lines: Iterable[str]) -> Iterator[FileEntry]:
    """Every entry detail of a file, a line at a time."""
    batch: _Batch | None = None
    for number, line in _records(lines):
        if line[0] == "5":
            batch = _Batch(_date(line[69:75], number), line[40:50].strip())
        elif line[0] == "6":
            if batch is None:
                raise NachaError(f"line {number}: an entry outside a batch")
            yield _file_entry(line, number, batch)


def read_returns(lines: Iterable[str]) -> list[ReturnEntry]:
    """The returns of a returns file, after checking the whole file; NachaError if it is not
    a valid one."""
    lines = list(lines)
    problems = validate_file(lines)
    if problems:
        raise NachaError("; ".join(problems[:5]))
    returns: list[ReturnEntry] = []
    entry: str | None = None
    for number, line in _records(lines):
        if line[0] == "6":
            entry = line
        elif line[0] == "7" and entry is not None:
            returns.append(_return_entry(entry, line, number))
            entry = None
    return returns


def _return_entry(entry: str, addenda: str, number: int) -> ReturnEntry:
    code = int(entry[1:3])
    if code not in (CHECKING_RETURN, SAVINGS_RETURN) or addenda[1:3] != "99":
        raise NachaError(f"line {number}: not a return (code {code}, addenda {addenda[1:3]})")
    return ReturnEntry(
        return_code=addenda[3:6],
        original_trace=addenda[6:21],
        amount_cents=int(entry[29:39]),
        transaction_code=code,
        original_rdfi=addenda[27:35],
        date_of_death=addenda[21:27].strip(),
        trace_number=entry[79:94],
        addenda_information=addenda[35:79].strip(),
    )


# --- validating ------------------------------------------------------------------------------


@dataclass
class _Check:
    problems: list[str] = field(default_factory=list)
    batch: _Counts = field(default_factory=_Counts)
    file: _Counts = field(default_factory=_Counts)
    in_batch: bool = False
    batch_header: str = ""
    expected: str = "1"  # the record types that may come next
    records: int = 0
    padding: int = 0
    traces: set[str] = field(default_factory=set)

    def bad(self, number: int, message: str) -> None:
        self.problems.append(f"line {number}: {message}")


def validate_file(lines: Iterable[str]) -> list[str]:
    """Every problem with a file's layout, counts, hashes and totals ([] when it is valid)."""
    check = _Check()
    number = 0
    for number, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r\n")
        if len(line) != RECORD_SIZE:
            check.bad(number, f"{len(line)} characters, not {RECORD_SIZE}")
            continue
        _validate_record(check, number, line)
        if len(check.problems) > 50:
            break
    if check.expected != "padding":
        check.problems.append("file: it ends before its file control record")
    elif number % BLOCKING_FACTOR or check.padding >= BLOCKING_FACTOR:
        check.problems.append(f"file: {number} records is not whole blocks of {BLOCKING_FACTOR}")
    return check.problems


def _validate_record(check: _Check, number: int, line: str) -> None:
    kind = line[0]
    if check.expected == "padding":
        if line != PADDING:
            check.bad(number, "a record after the file control that is not padding")
        check.padding += 1
        return
    if kind not in check.expected:
        check.bad(number, f"record type {kind!r} where {check.expected!r} was expected")
        return
    check.records += 1
    try:
        _CHECKS[kind](check, number, line)
    except NachaError as problem:
        check.problems.append(str(problem))


def _file_header_ok(check: _Check, number: int, line: str) -> None:
    if line[1:3] != "01" or line[34:40] != "094101":
        check.bad(number, "file header priority, record size, blocking or format is wrong")
    if not (line[3] == " " and valid_routing(line[4:13])):
        check.bad(number, f"immediate destination {line[3:13]!r} is not a valid routing number")
    _date(line[23:29], number)
    check.expected = "59"


def _batch_header_ok(check: _Check, number: int, line: str) -> None:
    if line[1:4] != DEBITS_ONLY or line[50:53] != SEC_TEL:
        check.bad(number, f"batch is {line[1:4]} {line[50:53]}, not {DEBITS_ONLY} {SEC_TEL}")
    if not line[4:20].strip() or not line[40:50].strip() or not line[53:63].strip():
        check.bad(number, "batch header without company name, id or entry description")
    _date(line[69:75], number)
    if line[78] != "1":
        check.bad(number, "originator status code is not 1")
    if int(line[87:94] or 0) != check.file.batches + 1:
        check.bad(number, f"batch number {line[87:94]} out of order")
    check.file.batches += 1
    check.batch = _Counts()
    check.batch_header = line
    check.expected = "6"


def _entry_ok(check: _Check, number: int, line: str) -> None:
    code = _int(line[1:3], number, "transaction code")
    if code not in DEBIT_CODES:
        check.bad(number, f"transaction code {code} is not a TEL debit or its return")
    if not valid_routing(line[3:12]):
        check.bad(number, f"receiving DFI {line[3:12]} fails the check digit")
    amount = _int(line[29:39], number, "amount")
    if amount <= 0:
        check.bad(number, "an entry of no amount")
    if code in (CHECKING_DEBIT, SAVINGS_DEBIT) and line[76:78].strip() not in PAYMENT_TYPES:
        check.bad(number, f"payment type {line[76:78]!r} is not S or R")
    trace = line[79:94]
    if not trace.isdigit() or trace in check.traces:
        check.bad(number, f"trace number {trace} is not digits or repeats")
    check.traces.add(trace)
    check.batch.entries += 1
    check.batch.hash += int(line[3:11]) if line[3:11].isdigit() else 0
    check.batch.debits += amount
    check.expected = "7" if line[78] == "1" else "68"


def _addenda_ok(check: _Check, number: int, line: str) -> None:
    if line[1:3] != "99" or line[79:94] not in check.traces:
        check.bad(number, "an addenda that is not a return (99) of the entry before it")
    check.batch.entries += 1
    check.expected = "68"


def _batch_control_ok(check: _Check, number: int, line: str) -> None:
    counts, header = check.batch, check.batch_header
    expected = (
        f"8{DEBITS_ONLY}{counts.entries:06d}{counts.hash % _HASH_MODULUS:010d}"
        f"{counts.debits:012d}{0:012d}"
    )
    if line[:44] != expected:
        check.bad(number, f"batch control {line[:44]!r} does not add up: {expected!r}")
    if line[44:54] != header[40:50] or line[79:94] != header[79:94]:
        check.bad(number, "batch control's company or batch number differs from its header")
    check.file.add(counts)
    check.expected = "59"


def _file_control_ok(check: _Check, number: int, line: str) -> None:
    counts = check.file
    blocks = -(-check.records // BLOCKING_FACTOR)
    expected = (
        f"9{counts.batches:06d}{blocks:06d}{counts.entries:08d}"
        f"{counts.hash % _HASH_MODULUS:010d}{counts.debits:012d}{0:012d}"
    )
    if line[:55] != expected:
        check.bad(number, f"file control {line[:55]!r} does not add up: {expected!r}")
    check.expected = "padding"


_CHECKS = {
    "1": _file_header_ok,
    "5": _batch_header_ok,
    "6": _entry_ok,
    "7": _addenda_ok,
    "8": _batch_control_ok,
    "9": _file_control_ok,
}
