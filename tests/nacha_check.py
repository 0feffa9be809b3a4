"""An independent validator of NACHA ACH files, written from the published NACHA record layouts.

The tests use it to check every ACH file the production code writes: the originated debit files
(TEL debits, transaction codes 27 and 37) and the bank returns files (26 and 36, each with one
return addenda of type 99). It shares no code, constants or reading of the layout with the
production writer: a misreading there is not repeated here.

`check_ach_file` parses the whole file and raises `InvalidAchFile` listing every problem found,
one per line, each naming the line and the field:

    line 3: Entry Detail amount (positions 30-39): '0000000000' must be more than zero

Problems about the file as a whole begin with "file:". Positions are 1-based and inclusive, as in
the NACHA layouts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

RECORD_LENGTH = 94
BLOCKING_FACTOR = 10
HASH_MODULUS = 10**10  # entry hashes keep their rightmost 10 digits
ABA_WEIGHTS = (3, 7, 1, 3, 7, 1, 3, 7)

DEBIT_CODES = frozenset({26, 27, 28, 29, 36, 37, 38, 39})
CREDIT_CODES = frozenset({21, 22, 23, 24, 31, 32, 33, 34})
ORIGINATED_CODES = frozenset({27, 37})  # checking and savings debits
RETURN_CODES = frozenset({26, 36})  # returns of checking and savings debits
# Service class -> the transaction codes its batches may hold (200: mixed).
SERVICE_CLASSES: dict[str, frozenset[int]] = {
    "200": DEBIT_CODES | CREDIT_CODES,
    "220": CREDIT_CODES,
    "225": DEBIT_CODES,
}
TEL_PAYMENT_TYPES = frozenset({"R ", "S "})  # recurring, single

_ACCOUNT = re.compile(r"[0-9]{4,} *")
_RETURN_REASON = re.compile(r"R(?!00)[0-9]{2}")
_FILE_ID_MODIFIER = re.compile(r"[A-Z0-9]")


# --- What check_ach_file returns and raises ---------------------------------------------------


@dataclass(frozen=True)
class CheckedEntry:
    line: int  # 1-based line number of the entry detail record
    batch_number: int
    transaction_code: int
    rdfi: str  # 8 digits
    check_digit: str
    account: str  # DFI account number, stripped
    amount_cents: int
    individual_id: str  # stripped
    individual_name: str  # stripped
    discretionary: str  # positions 77-78 as is (TEL payment type code "R " / "S ")
    trace: str
    sec_code: str  # of its batch
    effective_date: str  # of its batch, YYMMDD
    company_entry_description: str  # of its batch, stripped
    addenda: tuple[str, ...]  # the raw addenda records that follow it


@dataclass(frozen=True)
class CheckedFile:
    immediate_destination: str  # positions 4-13, stripped (the 9-digit routing number)
    immediate_origin: str  # positions 14-23, stripped
    creation_date: str  # YYMMDD
    file_id_modifier: str
    entries: tuple[CheckedEntry, ...]
    batch_count: int
    total_debit_cents: int
    total_credit_cents: int


class InvalidAchFile(AssertionError):
    """Raised with every problem found, one per line of the message, each naming the line number
    and the field."""

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


# --- Record layouts -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Field:
    record: str  # "Entry Detail", ...
    name: str
    start: int  # 1-based, inclusive
    end: int

    def of(self, text: str) -> str:
        return text[self.start - 1 : self.end]

    @property
    def width(self) -> int:
        return self.end - self.start + 1

    @property
    def where(self) -> str:
        if self.start == self.end:
            return f"position {self.start}"
        return f"positions {self.start}-{self.end}"


class _FH:
    """File Header Record ('1')."""

    PRIORITY = _Field("File Header", "priority code", 2, 3)
    DESTINATION = _Field("File Header", "immediate destination", 4, 13)
    ORIGIN = _Field("File Header", "immediate origin", 14, 23)
    DATE = _Field("File Header", "file creation date", 24, 29)
    TIME = _Field("File Header", "file creation time", 30, 33)
    MODIFIER = _Field("File Header", "file ID modifier", 34, 34)
    RECORD_SIZE = _Field("File Header", "record size", 35, 37)
    BLOCKING = _Field("File Header", "blocking factor", 38, 39)
    FORMAT = _Field("File Header", "format code", 40, 40)


class _BH:
    """Batch Header Record ('5')."""

    SERVICE_CLASS = _Field("Batch Header", "service class code", 2, 4)
    COMPANY_NAME = _Field("Batch Header", "company name", 5, 20)
    COMPANY_ID = _Field("Batch Header", "company identification", 41, 50)
    SEC = _Field("Batch Header", "standard entry class code", 51, 53)
    DESCRIPTION = _Field("Batch Header", "company entry description", 54, 63)
    EFFECTIVE = _Field("Batch Header", "effective entry date", 70, 75)
    SETTLEMENT = _Field("Batch Header", "settlement date", 76, 78)
    STATUS = _Field("Batch Header", "originator status code", 79, 79)
    ODFI = _Field("Batch Header", "originating DFI identification", 80, 87)
    NUMBER = _Field("Batch Header", "batch number", 88, 94)


class _ED:
    """Entry Detail Record ('6'), PPD/TEL layout."""

    CODE = _Field("Entry Detail", "transaction code", 2, 3)
    RDFI = _Field("Entry Detail", "receiving DFI identification", 4, 11)
    CHECK_DIGIT = _Field("Entry Detail", "check digit", 12, 12)
    ACCOUNT = _Field("Entry Detail", "DFI account number", 13, 29)
    AMOUNT = _Field("Entry Detail", "amount", 30, 39)
    INDIVIDUAL_ID = _Field("Entry Detail", "individual identification number", 40, 54)
    NAME = _Field("Entry Detail", "individual name", 55, 76)
    DISCRETIONARY = _Field("Entry Detail", "payment type code", 77, 78)  # TEL's use of it
    INDICATOR = _Field("Entry Detail", "addenda record indicator", 79, 79)
    TRACE = _Field("Entry Detail", "trace number", 80, 94)


class _AD:
    """Addenda Record ('7'): the return layout (type 99) and the payment-related one (type 05)."""

    TYPE = _Field("Addenda", "addenda type code", 2, 3)
    REASON = _Field("Addenda", "return reason code", 4, 6)
    ORIGINAL_TRACE = _Field("Addenda", "original entry trace number", 7, 21)
    DATE_OF_DEATH = _Field("Addenda", "date of death", 22, 27)
    ORIGINAL_RDFI = _Field("Addenda", "original receiving DFI identification", 28, 35)
    TRACE = _Field("Addenda", "trace number", 80, 94)
    SEQUENCE = _Field("Addenda", "addenda sequence number", 84, 87)  # type 05
    ENTRY_SEQUENCE = _Field("Addenda", "entry detail sequence number", 88, 94)  # type 05


class _BC:
    """Batch Control Record ('8')."""

    SERVICE_CLASS = _Field("Batch Control", "service class code", 2, 4)
    COUNT = _Field("Batch Control", "entry/addenda count", 5, 10)
    HASH = _Field("Batch Control", "entry hash", 11, 20)
    DEBIT = _Field("Batch Control", "total debit entry dollar amount", 21, 32)
    CREDIT = _Field("Batch Control", "total credit entry dollar amount", 33, 44)
    COMPANY_ID = _Field("Batch Control", "company identification", 45, 54)
    RESERVED = _Field("Batch Control", "reserved", 74, 79)
    ODFI = _Field("Batch Control", "originating DFI identification", 80, 87)
    NUMBER = _Field("Batch Control", "batch number", 88, 94)


class _FC:
    """File Control Record ('9')."""

    BATCH_COUNT = _Field("File Control", "batch count", 2, 7)
    BLOCK_COUNT = _Field("File Control", "block count", 8, 13)
    COUNT = _Field("File Control", "entry/addenda count", 14, 21)
    HASH = _Field("File Control", "entry hash", 22, 31)
    DEBIT = _Field("File Control", "total debit entry dollar amount", 32, 43)
    CREDIT = _Field("File Control", "total credit entry dollar amount", 44, 55)
    RESERVED = _Field("File Control", "reserved", 56, 94)


# --- Records and problems -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Record:
    line: int
    raw: str  # as in the file, without the line separator (nor a trailing "\r")

    @property
    def text(self) -> str:
        """The record cut or padded to 94 characters, so that every field can be read."""
        return self.raw[:RECORD_LENGTH].ljust(RECORD_LENGTH)

    @property
    def kind(self) -> str:
        return self.raw[0]

    @property
    def is_padding(self) -> bool:
        return set(self.raw) == {"9"}

    def get(self, spec: _Field) -> str:
        return spec.of(self.text)


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def file(self, message: str) -> None:
        self.items.append(f"file: {message}")

    def line(self, line: int, message: str) -> None:
        self.items.append(f"line {line}: {message}")

    def record_type(self, record: _Record, message: str) -> None:
        self.line(record.line, f"record type (position 1) {record.kind!r}: {message}")

    def field(self, record: _Record, spec: _Field, message: str) -> None:
        self.line(record.line, f"{spec.record} {spec.name} ({spec.where}): {message}")


def _is_digits(value: str) -> bool:
    return value != "" and all("0" <= c <= "9" for c in value)


def _aba_check_digit(eight_digits: str) -> str:
    total = sum(int(d) * w for d, w in zip(eight_digits, ABA_WEIGHTS, strict=True))
    return str((10 - total % 10) % 10)


def _is_date(value: str) -> bool:
    if not (len(value) == 6 and _is_digits(value)):
        return False
    try:
        date(2000 + int(value[:2]), int(value[2:4]), int(value[4:]))
    except ValueError:
        return False
    return True


def _is_time(value: str) -> bool:
    return len(value) == 4 and _is_digits(value) and int(value[:2]) < 24 and int(value[2:]) < 60


def _plus(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


# --- Field checks: each reports its own problem ---------------------------------------------


def _digits(p: _Problems, rec: _Record, spec: _Field) -> int | None:
    value = rec.get(spec)
    if _is_digits(value):
        return int(value)
    p.field(rec, spec, f"{value!r} is not {spec.width} digits")
    return None


def _expect(p: _Problems, rec: _Record, spec: _Field, expected: str) -> None:
    value = rec.get(spec)
    if value != expected:
        p.field(rec, spec, f"{value!r} is not {expected!r}")


def _not_blank(p: _Problems, rec: _Record, spec: _Field) -> None:
    if not rec.get(spec).strip():
        p.field(rec, spec, "is blank")


def _blank(p: _Problems, rec: _Record, spec: _Field, why: str = "") -> None:
    value = rec.get(spec)
    if value.strip():
        p.field(rec, spec, f"{value!r} must be blank{why}")


def _date(p: _Problems, rec: _Record, spec: _Field) -> None:
    value = rec.get(spec)
    if not _is_date(value):
        p.field(rec, spec, f"{value!r} is not a valid date YYMMDD")


def _same(p: _Problems, rec: _Record, spec: _Field, expected: str, where: str) -> None:
    value = rec.get(spec)
    if value != expected:
        p.field(rec, spec, f"{value!r} differs from {expected!r} in {where}")


def _number(
    p: _Problems, rec: _Record, spec: _Field, expected: int | None, what: str
) -> int | None:
    """A digits field that must equal `expected` (not compared when that is unknown)."""
    value = _digits(p, rec, spec)
    if value is not None and expected is not None and value != expected:
        p.field(rec, spec, f"{rec.get(spec)!r} but {what} is {expected}")
    return value


# --- Lines and record order -------------------------------------------------------------------


def _split_records(text: str, p: _Problems) -> list[_Record]:
    """The file's non-empty lines, after checking the separators and the characters."""
    if text and not text.endswith("\n"):
        p.file("does not end with a newline")
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    records = []
    for number, raw in enumerate(lines, start=1):
        if raw.endswith("\r"):
            p.line(number, "ends with a carriage return: records are separated by '\\n' alone")
            raw = raw.rstrip("\r")
        if not raw:
            p.line(number, "empty line")
            continue
        _check_characters(number, raw, p)
        records.append(_Record(number, raw))
    return records


def _check_characters(number: int, raw: str, p: _Problems) -> None:
    bad = next((i for i, c in enumerate(raw, start=1) if not " " <= c <= "~"), None)
    if bad is not None:
        p.line(number, f"position {bad}: {raw[bad - 1]!r} is not printable ASCII")
    if len(raw) != RECORD_LENGTH:
        p.line(number, f"record is {len(raw)} characters long, not {RECORD_LENGTH}")


@dataclass
class _Entry:
    record: _Record
    addenda: list[_Record] = field(default_factory=list)


@dataclass
class _Batch:
    header: _Record
    entries: list[_Entry] = field(default_factory=list)
    control: _Record | None = None


@dataclass
class _Layout:
    header: _Record | None = None
    batches: list[_Batch] = field(default_factory=list)
    control: _Record | None = None
    padding: list[_Record] = field(default_factory=list)


class _Arranger:
    """Sorts the records into File Header, batches, File Control and padding, reporting every
    record out of place (and then leaving it out of the rest of the checks)."""

    def __init__(self, p: _Problems) -> None:
        self.p = p
        self.layout = _Layout()
        self.batch: _Batch | None = None  # the batch still open

    def arrange(self, records: list[_Record]) -> _Layout:
        for index, record in enumerate(records):
            if index == 0 and record.kind != "1":
                self.p.record_type(record, "the file must begin with a File Header '1'")
            self.place(record, first=index == 0)
        self.finish(records)
        return self.layout

    def place(self, record: _Record, *, first: bool) -> None:
        if self.layout.control is not None:
            if record.is_padding:
                self.layout.padding.append(record)
            else:
                self.p.record_type(record, "after the File Control only padding records may follow")
        elif record.is_padding:
            self.p.record_type(record, "padding record before the File Control")
        elif record.kind == "1":
            if first:
                self.layout.header = record
            else:
                self.p.record_type(record, "a File Header may only be the first record")
        else:
            self.place_in_body(record)

    def place_in_body(self, record: _Record) -> None:
        handlers = {
            "5": self.batch_header,
            "6": self.entry,
            "7": self.addenda,
            "8": self.batch_control,
            "9": self.file_control,
        }
        handler = handlers.get(record.kind)
        if handler is None:
            self.p.record_type(record, "unknown record type")
        else:
            handler(record)

    def batch_header(self, record: _Record) -> None:
        if self.batch is not None:
            self.p.record_type(record, f"Batch Header before the Batch Control {self.open_batch}")
        self.batch = _Batch(record)
        self.layout.batches.append(self.batch)

    def entry(self, record: _Record) -> None:
        if self.batch is None:
            self.p.record_type(record, "Entry Detail outside a batch")
        else:
            self.batch.entries.append(_Entry(record))

    def addenda(self, record: _Record) -> None:
        if self.batch is None or not self.batch.entries:
            self.p.record_type(record, "Addenda record that does not follow an Entry Detail")
        else:
            self.batch.entries[-1].addenda.append(record)

    def batch_control(self, record: _Record) -> None:
        if self.batch is None:
            self.p.record_type(record, "Batch Control outside a batch")
            return
        if not self.batch.entries:
            self.p.record_type(record, f"Batch Control {self.open_batch}, which has no entries")
        self.batch.control = record
        self.batch = None

    def file_control(self, record: _Record) -> None:
        if self.batch is not None:
            self.p.record_type(record, f"File Control before the Batch Control {self.open_batch}")
            self.batch = None
        self.layout.control = record

    @property
    def open_batch(self) -> str:
        assert self.batch is not None
        return f"of the batch that begins at line {self.batch.header.line}"

    def finish(self, records: list[_Record]) -> None:
        if self.batch is not None:
            self.p.record_type(self.batch.header, "the batch has no Batch Control '8'")
        if not records:
            self.p.file("has no records")
        elif self.layout.control is None:
            self.p.file("has no File Control '9'")


# --- File Header and the blocking -------------------------------------------------------------


def _check_file_header(p: _Problems, rec: _Record) -> None:
    _expect(p, rec, _FH.PRIORITY, "01")
    _check_destination(p, rec)
    _not_blank(p, rec, _FH.ORIGIN)
    _date(p, rec, _FH.DATE)
    if not _is_time(rec.get(_FH.TIME)):
        p.field(rec, _FH.TIME, f"{rec.get(_FH.TIME)!r} is not a valid time HHMM")
    if not _FILE_ID_MODIFIER.fullmatch(rec.get(_FH.MODIFIER)):
        p.field(rec, _FH.MODIFIER, f"{rec.get(_FH.MODIFIER)!r} is not A-Z or 0-9")
    _expect(p, rec, _FH.RECORD_SIZE, "094")
    _expect(p, rec, _FH.BLOCKING, "10")
    _expect(p, rec, _FH.FORMAT, "1")


def _check_destination(p: _Problems, rec: _Record) -> None:
    value = rec.get(_FH.DESTINATION)
    routing = value[1:]
    if not (value[0] == " " and _is_digits(routing)):
        p.field(rec, _FH.DESTINATION, f"{value!r} is not a space and 9 digits")
    elif _aba_check_digit(routing[:8]) != routing[8]:
        p.field(rec, _FH.DESTINATION, f"routing number {routing} fails the ABA check digit")


def _check_blocking(p: _Problems, total: int, padding: int) -> None:
    if total % BLOCKING_FACTOR:
        p.file(f"{total} records (padding included) is not a multiple of {BLOCKING_FACTOR}")
    if padding >= BLOCKING_FACTOR:
        p.file(f"{padding} padding records: more than the minimum needed to fill the last block")


# --- Batches ----------------------------------------------------------------------------------


@dataclass
class _Totals:
    records: int = 0  # Entry Detail and Addenda records
    entry_hash: int | None = 0  # None: not known (a field that is not digits)
    debit: int | None = 0
    credit: int | None = 0

    def add(self, other: _Totals) -> None:
        self.records += other.records
        self.entry_hash = _plus(self.entry_hash, other.entry_hash)
        self.debit = _plus(self.debit, other.debit)
        self.credit = _plus(self.credit, other.credit)

    @property
    def hash_digits(self) -> int | None:
        return None if self.entry_hash is None else self.entry_hash % HASH_MODULUS


@dataclass(frozen=True)
class _BatchInfo:
    """What the entries of a batch are checked against, from its Batch Header."""

    number: int
    service_class: str
    sec_code: str
    odfi: str
    effective_date: str
    description: str


class _Checker:
    def __init__(self, p: _Problems, sec_codes: frozenset[str], returns: bool) -> None:
        self.p = p
        self.sec_codes = sec_codes
        self.returns = returns
        self.traces: dict[str, int] = {}  # trace number -> line, across the file

    def batch(self, batch: _Batch, number: int) -> tuple[list[CheckedEntry], _Totals]:
        info = self.batch_header(batch.header, number)
        totals = _Totals()
        entries = []
        previous_trace: str | None = None
        for entry in batch.entries:
            checked, entry_totals = self.entry(entry, info)
            self.trace_order(entry.record, checked.trace, previous_trace)
            previous_trace = checked.trace if _is_digits(checked.trace) else previous_trace
            entries.append(checked)
            totals.add(entry_totals)
        if batch.control is not None:
            _check_batch_control(self.p, batch.control, batch.header, totals)
        return entries, totals

    def batch_header(self, rec: _Record, number: int) -> _BatchInfo:
        p = self.p
        service_class = rec.get(_BH.SERVICE_CLASS)
        if service_class not in SERVICE_CLASSES:
            p.field(rec, _BH.SERVICE_CLASS, f"{service_class!r} is not 200, 220 or 225")
        _not_blank(p, rec, _BH.COMPANY_NAME)
        _not_blank(p, rec, _BH.COMPANY_ID)
        sec_code = rec.get(_BH.SEC)
        if sec_code not in self.sec_codes:
            p.field(rec, _BH.SEC, f"{sec_code!r} is not one of {sorted(self.sec_codes)}")
        _not_blank(p, rec, _BH.DESCRIPTION)
        _date(p, rec, _BH.EFFECTIVE)
        _blank(p, rec, _BH.SETTLEMENT, " (the ACH operator fills in the settlement date)")
        _expect(p, rec, _BH.STATUS, "1")
        _digits(p, rec, _BH.ODFI)
        written = _digits(p, rec, _BH.NUMBER)
        if written is not None and written != number:
            p.field(rec, _BH.NUMBER, f"{written} but this is batch {number} of the file")
        return _BatchInfo(
            number=written or 0,
            service_class=service_class,
            sec_code=sec_code,
            odfi=rec.get(_BH.ODFI),
            effective_date=rec.get(_BH.EFFECTIVE),
            description=rec.get(_BH.DESCRIPTION).strip(),
        )

    def trace_order(self, rec: _Record, trace: str, previous: str | None) -> None:
        if not _is_digits(trace):
            return
        if previous is not None and trace <= previous:
            self.p.field(rec, _ED.TRACE, f"{trace} is not above the batch's previous {previous}")
        if trace in self.traces:
            self.p.field(rec, _ED.TRACE, f"{trace} repeats the one at line {self.traces[trace]}")
        else:
            self.traces[trace] = rec.line

    # --- Entry Detail ---

    def entry(self, entry: _Entry, info: _BatchInfo) -> tuple[CheckedEntry, _Totals]:
        rec = entry.record
        code = self.transaction_code(rec, info)
        rdfi = _digits(self.p, rec, _ED.RDFI)
        self.check_digit(rec, rdfi)
        amount = self.payee(rec, info)
        trace = self.trace(rec, info)
        self.addenda(entry, info, trace)
        return _checked_entry(entry, info, code), _entry_totals(entry, code, rdfi, amount)

    def payee(self, rec: _Record, info: _BatchInfo) -> int | None:
        """Checks the account, amount, individual and payment type; returns the amount."""
        p = self.p
        account = rec.get(_ED.ACCOUNT)
        if not _ACCOUNT.fullmatch(account):
            p.field(rec, _ED.ACCOUNT, f"{account!r} is not 4 or more digits, then spaces")
        amount = _digits(p, rec, _ED.AMOUNT)
        if amount == 0:
            p.field(rec, _ED.AMOUNT, f"{rec.get(_ED.AMOUNT)!r} must be more than zero")
        _not_blank(p, rec, _ED.INDIVIDUAL_ID)
        _not_blank(p, rec, _ED.NAME)
        payment_type = rec.get(_ED.DISCRETIONARY)
        if info.sec_code == "TEL" and not self.returns and payment_type not in TEL_PAYMENT_TYPES:
            p.field(rec, _ED.DISCRETIONARY, f"{payment_type!r} is not 'R ' or 'S '")
        return amount

    def transaction_code(self, rec: _Record, info: _BatchInfo) -> int | None:
        code = _digits(self.p, rec, _ED.CODE)
        if code is None:
            return None
        allowed, kind = (
            (RETURN_CODES, "a returns") if self.returns else (ORIGINATED_CODES, "an originated")
        )
        if code not in allowed:
            self.p.field(rec, _ED.CODE, f"{code} is not allowed in {kind} file: {sorted(allowed)}")
        if code not in DEBIT_CODES | CREDIT_CODES:
            return None
        in_class = SERVICE_CLASSES.get(info.service_class)
        if in_class is not None and code not in in_class:
            side = "debit" if code in DEBIT_CODES else "credit"
            self.p.field(rec, _ED.CODE, f"a {side} in a service class {info.service_class} batch")
        return code

    def check_digit(self, rec: _Record, rdfi: int | None) -> None:
        written = rec.get(_ED.CHECK_DIGIT)
        if not _is_digits(written):
            self.p.field(rec, _ED.CHECK_DIGIT, f"{written!r} is not a digit")
        elif rdfi is not None:
            expected = _aba_check_digit(rec.get(_ED.RDFI))
            if written != expected:
                routing = rec.get(_ED.RDFI)
                self.p.field(rec, _ED.CHECK_DIGIT, f"{written} but that of {routing} is {expected}")

    def trace(self, rec: _Record, info: _BatchInfo) -> str:
        trace = rec.get(_ED.TRACE)
        if _digits(self.p, rec, _ED.TRACE) is None or self.returns:
            return trace
        # Not compared when the batch's ODFI id is not digits: that is reported once, there.
        if _is_digits(info.odfi) and trace[:8] != info.odfi:
            message = f"{trace} does not begin with the batch's ODFI identification {info.odfi}"
            self.p.field(rec, _ED.TRACE, message)
        return trace

    # --- Addenda ---

    def addenda(self, entry: _Entry, info: _BatchInfo, trace: str) -> None:
        rec, count = entry.record, len(entry.addenda)
        indicator = rec.get(_ED.INDICATOR)
        reported = True
        if indicator not in ("0", "1"):
            self.p.field(rec, _ED.INDICATOR, f"{indicator!r} is not '0' or '1'")
        elif indicator == "1" and count == 0:
            self.p.field(rec, _ED.INDICATOR, "'1' but no addenda record follows")
        elif indicator == "0" and count:
            self.p.field(rec, _ED.INDICATOR, f"'0' but {count} addenda record(s) follow")
        else:
            reported = False
        if self.returns and count != 1 and not reported:
            message = f"a return must be followed by exactly one addenda record, found {count}"
            self.p.field(rec, _ED.INDICATOR, message)
        if not self.returns and info.sec_code == "TEL" and count and not reported:
            self.p.field(rec, _ED.INDICATOR, "TEL entries carry no addenda records")
        for sequence, addenda in enumerate(entry.addenda, start=1):
            if self.returns:
                _check_return_addenda(self.p, addenda, trace)
            else:
                _check_payment_addenda(self.p, addenda, trace, sequence)


def _check_return_addenda(p: _Problems, rec: _Record, trace: str) -> None:
    _expect(p, rec, _AD.TYPE, "99")
    reason = rec.get(_AD.REASON)
    if not _RETURN_REASON.fullmatch(reason):
        p.field(rec, _AD.REASON, f"{reason!r} is not a return reason code R01-R99")
    _digits(p, rec, _AD.ORIGINAL_TRACE)
    if rec.get(_AD.DATE_OF_DEATH).strip():
        _date(p, rec, _AD.DATE_OF_DEATH)
    _digits(p, rec, _AD.ORIGINAL_RDFI)
    _same(p, rec, _AD.TRACE, trace, "its entry's trace number")


def _check_payment_addenda(p: _Problems, rec: _Record, trace: str, sequence: int) -> None:
    """A payment-related addenda (type 05) of an originated entry."""
    if rec.get(_AD.TYPE) != "05":
        p.field(rec, _AD.TYPE, f"{rec.get(_AD.TYPE)!r} is not '05'")
        return  # another layout: its other fields mean something else
    _number(p, rec, _AD.SEQUENCE, sequence, "its place among the entry's addenda")
    _same(p, rec, _AD.ENTRY_SEQUENCE, trace[-7:], "the last 7 digits of its entry's trace number")


def _checked_entry(entry: _Entry, info: _BatchInfo, code: int | None) -> CheckedEntry:
    text = entry.record.text
    amount = _ED.AMOUNT.of(text)
    return CheckedEntry(
        line=entry.record.line,
        batch_number=info.number,
        transaction_code=code or 0,
        rdfi=_ED.RDFI.of(text),
        check_digit=_ED.CHECK_DIGIT.of(text),
        account=_ED.ACCOUNT.of(text).strip(),
        amount_cents=int(amount) if _is_digits(amount) else 0,
        individual_id=_ED.INDIVIDUAL_ID.of(text).strip(),
        individual_name=_ED.NAME.of(text).strip(),
        discretionary=_ED.DISCRETIONARY.of(text),
        trace=_ED.TRACE.of(text),
        sec_code=info.sec_code,
        effective_date=info.effective_date,
        company_entry_description=info.description,
        addenda=tuple(addenda.raw for addenda in entry.addenda),
    )


def _entry_totals(entry: _Entry, code: int | None, rdfi: int | None, amount: int | None) -> _Totals:
    """What the entry adds to its batch's control totals (None: not known)."""
    debit = credit = None
    if code in DEBIT_CODES:
        debit, credit = amount, 0
    elif code in CREDIT_CODES:
        debit, credit = 0, amount
    return _Totals(1 + len(entry.addenda), rdfi, debit, credit)


# --- Control records ----------------------------------------------------------------------------


def _check_batch_control(p: _Problems, rec: _Record, header: _Record, totals: _Totals) -> None:
    _same(p, rec, _BC.SERVICE_CLASS, header.get(_BH.SERVICE_CLASS), "the Batch Header")
    _number(p, rec, _BC.COUNT, totals.records, "the batch's entry + addenda records")
    _number(p, rec, _BC.HASH, totals.hash_digits, "the batch's entry hash")
    _number(p, rec, _BC.DEBIT, totals.debit, "the batch's debits in cents")
    _number(p, rec, _BC.CREDIT, totals.credit, "the batch's credits in cents")
    _same(p, rec, _BC.COMPANY_ID, header.get(_BH.COMPANY_ID), "the Batch Header")
    _blank(p, rec, _BC.RESERVED)
    _same(p, rec, _BC.ODFI, header.get(_BH.ODFI), "the Batch Header")
    _same(p, rec, _BC.NUMBER, header.get(_BH.NUMBER), "the Batch Header")


def _check_file_control(
    p: _Problems, rec: _Record, batches: int, totals: _Totals, records: int
) -> None:
    blocks = -(-records // BLOCKING_FACTOR)
    _number(p, rec, _FC.BATCH_COUNT, batches, "the number of batches")
    _number(p, rec, _FC.BLOCK_COUNT, blocks, f"the number of blocks of {records} records")
    _number(p, rec, _FC.COUNT, totals.records, "the file's entry + addenda records")
    _number(p, rec, _FC.HASH, totals.hash_digits, "the sum of the batches' entry hashes")
    _number(p, rec, _FC.DEBIT, totals.debit, "the file's debits in cents")
    _number(p, rec, _FC.CREDIT, totals.credit, "the file's credits in cents")
    _blank(p, rec, _FC.RESERVED)


# --- The whole file -----------------------------------------------------------------------------


def check_ach_file(
    text: str, *, sec_codes: frozenset[str] = frozenset({"TEL"}), returns: bool = False
) -> CheckedFile:
    """Parse and check a whole file; raise InvalidAchFile listing ALL problems found.

    returns=False: an originated file (debits 27 and 37, traces beginning with the ODFI's id);
    returns=True: a returns file (26 and 36, each with exactly one return addenda, type 99).
    """
    p = _Problems()
    records = _split_records(text, p)
    layout = _Arranger(p).arrange(records)
    if layout.header is not None:
        _check_file_header(p, layout.header)
    checker = _Checker(p, sec_codes, returns)
    entries: list[CheckedEntry] = []
    totals = _Totals()
    for number, batch in enumerate(layout.batches, start=1):
        batch_entries, batch_totals = checker.batch(batch, number)
        entries.extend(batch_entries)
        totals.add(batch_totals)
    if layout.control is not None:
        _check_file_control(p, layout.control, len(layout.batches), totals, len(records))
    _check_blocking(p, len(records), len(layout.padding))
    if p.items:
        raise InvalidAchFile(p.items)
    assert layout.header is not None and totals.debit is not None and totals.credit is not None
    return CheckedFile(
        immediate_destination=layout.header.get(_FH.DESTINATION).strip(),
        immediate_origin=layout.header.get(_FH.ORIGIN).strip(),
        creation_date=layout.header.get(_FH.DATE),
        file_id_modifier=layout.header.get(_FH.MODIFIER),
        entries=tuple(entries),
        batch_count=len(layout.batches),
        total_debit_cents=totals.debit,
        total_credit_cents=totals.credit,
    )
