"""ACH origination (`ivr ach export --date D --out FILE`): every bank debit accepted and not yet
exported goes into exactly one NACHA file.

1. In one transaction, a file record is made ("building") and every queued debit whose payment
   is recorded as approved is assigned to it, with its trace number and the effective date it
   is sent with. A debit whose payment is still waiting for its record waits for the next file;
   one told "not charged" is never sent.
2. The file is written next to FILE, streamed from the database (never built in memory), and
   read back through the validator: a file that does not validate is deleted, never put in
   place. It is then renamed into place and its record marked "written".
3. A file left "building" (a crash, the database lost mid-export) is taken up by the next
   export, with any debits queued since: nothing is lost and nothing is exported twice.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    select,
    update,
)

from payments.bank import nacha
from payments.bank.originator import EXPORTED, QUEUED
from payments.bank.sealing import Sealer
from payments.domain.banking import next_banking_day
from payments.domain.clock import EASTERN, Clock, system_clock
from payments.domain.values import PaymentStatus
from payments.storage import audit
from payments.storage.db import for_batch_work
from payments.storage.tables import ACH_ENTRIES, ACH_FILES, PAYMENTS
from payments.storage.unit_of_work import UnitOfWorkFactory

BUILDING, WRITTEN = "building", "written"
MODIFIERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
TRACE_SEQUENCE = 10_000_000  # the 7 digits after the ODFI's 8 in a trace number
STREAM_ROWS = 2000


class NothingToExport(Exception):
    """No debit is waiting to be sent."""


class InvalidFile(Exception):
    """The file written did not validate: it was deleted, and its debits stay assigned to it
    (the next export writes it again)."""


@dataclass(frozen=True)
class ExportReport:
    path: Path
    file_date: date
    modifier: str
    entries: int
    total_cents: int
    batches: int
    sha256: str
    resumed: bool  # a file an interrupted export had started


def export(
    uow_factory: UnitOfWorkFactory,
    sealer: Sealer,
    originator: nacha.Originator,
    file_date: date,
    out: Path,
    clock: Clock = system_clock,
) -> ExportReport:
    """Write the next file of debits to `out` (see the module's docstring)."""
    file_id, resumed = _assign(uow_factory, originator, file_date, clock())
    with uow_factory() as uow:  # a transaction: the entries stream from a server-side cursor
        for_batch_work(uow.connection)
        record = uow.connection.execute(select(ACH_FILES).where(ACH_FILES.c.id == file_id)).one()
        totals, digest = _write(uow.connection, sealer, originator, record, out)
    with uow_factory() as uow:
        _mark_written(uow.connection, file_id, totals, digest, clock())
        uow.commit()
    return ExportReport(
        out, record.file_date, record.modifier, totals.entry_count, totals.total_debit_cents,
        totals.batch_count, digest, resumed,
    )  # fmt: skip


def _assign(
    uow_factory: UnitOfWorkFactory, originator: nacha.Originator, file_date: date, now: datetime
) -> tuple[int, bool]:
    with uow_factory() as uow:
        conn = uow.connection
        for_batch_work(conn)
        building = conn.execute(
            select(ACH_FILES.c.id, ACH_FILES.c.file_date)
            .where(ACH_FILES.c.status == BUILDING)
            .order_by(ACH_FILES.c.id)
            .with_for_update()
        ).first()
        if building is None and not _any_waiting(conn):
            raise NothingToExport("no bank debit is waiting to be sent")
        file_id = building.id if building else _new_file(conn, file_date, now)
        sent_on = building.file_date if building else file_date
        assigned = _assign_waiting(conn, file_id, originator, sent_on, now)
        audit.record(
            conn, now, audit.SYSTEM, "ach.file_started", "ach", file_id=file_id,
            entries_added=assigned, resumed=building is not None,
        )  # fmt: skip
        uow.commit()
    return file_id, building is not None


_WAITING = and_(
    ACH_ENTRIES.c.status == QUEUED,
    ACH_ENTRIES.c.payment_id.in_(
        select(PAYMENTS.c.id).where(PAYMENTS.c.status == PaymentStatus.APPROVED.value)
    ),
)


def _any_waiting(conn: Connection) -> bool:
    return conn.scalar(select(ACH_ENTRIES.c.id).where(_WAITING).limit(1)) is not None


def _new_file(conn: Connection, file_date: date, now: datetime) -> int:
    used = set(conn.scalars(select(ACH_FILES.c.modifier).where(ACH_FILES.c.file_date == file_date)))
    free = [modifier for modifier in MODIFIERS if modifier not in used]
    if not free:
        raise RuntimeError(f"{len(MODIFIERS)} files were sent on {file_date}: no modifier left")
    values = {"file_date": file_date, "modifier": free[0], "status": BUILDING, "created_at": now}
    return int(conn.scalar(insert(ACH_FILES).returning(ACH_FILES.c.id), values))


def _assign_waiting(
    conn: Connection, file_id: int, originator: nacha.Originator, file_date: date, now: datetime
) -> int:
    earliest = next_banking_day(file_date)
    sent_on = case(
        (ACH_ENTRIES.c.effective_date > earliest, ACH_ENTRIES.c.effective_date),
        else_=literal(earliest),
    )
    assign = (
        update(ACH_ENTRIES)
        .where(_WAITING)
        .values(
            status=EXPORTED,
            file_id=file_id,
            sent_effective_date=sent_on,
            trace_number=_trace(conn, originator.odfi_routing[:8]),
            updated_at=now,
        )
    )
    return int(conn.execute(assign).rowcount)


def _trace(conn: Connection, odfi: str) -> object:
    """ODFI id + the entry's id in 7 digits: unique for ten million debits."""
    sequence = cast(ACH_ENTRIES.c.id % TRACE_SEQUENCE, String)
    if conn.dialect.name == "postgresql":
        return literal(odfi) + func.lpad(sequence, 7, "0")
    return literal(odfi) + func.substr(literal("0000000") + sequence, -7)


def _write(
    conn: Connection, sealer: Sealer, originator: nacha.Originator, record: Any, out: Path
) -> tuple[nacha.FileTotals, str]:
    """Write, validate and put the file in place; its totals and SHA-256."""
    partial = out.with_name(f".{out.name}.partial")
    created = record.created_at.astimezone(EASTERN)
    try:
        with partial.open("w", encoding="ascii", newline="") as stream:
            entries = _entries(conn, sealer, record.id)
            totals = nacha.write_debit_file(
                stream,
                originator,
                created,
                record.modifier,
                entries,
            )
            stream.flush()
            os.fsync(stream.fileno())
        problems, digest = _validate(partial)
        if problems:
            raise InvalidFile("; ".join(problems[:5]))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return totals, digest


def _validate(path: Path) -> tuple[list[str], str]:
    """The file's problems and its SHA-256, in one streamed pass (never read whole)."""
    digest = hashlib.sha256()

    def hashed(lines: Iterator[str]) -> Iterator[str]:
        for text in lines:
            digest.update(text.encode("ascii"))
            yield text

    with path.open(encoding="ascii", newline="") as lines:
        problems = nacha.validate_file(hashed(lines))
    return problems, digest.hexdigest()


def _entries(conn: Connection, sealer: Sealer, file_id: int) -> Iterator[nacha.Debit]:
    query = (
        select(ACH_ENTRIES)
        .where(ACH_ENTRIES.c.file_id == bindparam("file_id"))
        .order_by(
            ACH_ENTRIES.c.sent_effective_date, ACH_ENTRIES.c.reinitiated, ACH_ENTRIES.c.trace_number
        )
        .execution_options(yield_per=STREAM_ROWS)
    )
    with conn.execute(query, {"file_id": file_id}) as rows:  # closes the cursor, come what may
        yield from (_debit(sealer, row) for row in rows)


def _debit(sealer: Sealer, row: Any) -> nacha.Debit:
    return nacha.Debit(
        transaction_code=row.transaction_code,
        routing=row.routing,
        account_number=sealer.open(row.account_sealed),
        amount_cents=row.amount_cents,
        individual_id=row.individual_id,
        individual_name=row.individual_name,
        payment_type=row.payment_type,
        trace_number=row.trace_number,
        effective_date=row.sent_effective_date,
        reinitiated=row.reinitiated,
    )


def _mark_written(
    conn: Connection, file_id: int, totals: nacha.FileTotals, digest: str, now: datetime
) -> None:
    conn.execute(
        update(ACH_FILES)
        .where(ACH_FILES.c.id == file_id)
        .values(
            status=WRITTEN,
            written_at=now,
            entry_count=totals.entry_count,
            total_debit_cents=totals.total_debit_cents,
            sha256=digest,
        )
    )
    audit.record(
        conn, now, audit.SYSTEM, "ach.file_written", "ach", file_id=file_id,
        entries=totals.entry_count, total_cents=totals.total_debit_cents, sha256=digest,
    )  # fmt: skip
