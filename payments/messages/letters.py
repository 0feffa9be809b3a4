"""The print queue (`ivr letters export --out FILE`): letters to members as a CSV file a print
and mail vendor takes, one row per letter with the member's name and mailing address.

The file is written next to FILE and renamed into place; the letters in it are then marked
exported in the same transaction, and an AutoPay authorization's written copy is recorded as
sent by letter. A letter for a member with no mailing address on file is held, and goes out
with the first export after the billing feed brings one.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from payments.domain.clock import Clock, system_clock
from payments.messages import outbox
from payments.storage.enrolments import record_written_copy
from payments.storage.tables import MEMBERS, OUTBOX
from payments.storage.unit_of_work import UnitOfWorkFactory

COLUMNS = (
    "letter_id", "kind", "language", "subscriber_id", "name", "address_line1", "address_line2",
    "city", "state", "zip", "body",
)  # fmt: skip

_WAITING = (
    select(OUTBOX, MEMBERS.c.first_name, MEMBERS.c.last_name, MEMBERS.c.mailing_address)
    .join(MEMBERS, MEMBERS.c.subscriber_id == OUTBOX.c.subscriber_id)
    .where(
        OUTBOX.c.channel == outbox.LETTER,
        OUTBOX.c.status.in_((outbox.QUEUED, outbox.HELD)),
    )
    .order_by(OUTBOX.c.id)
    .with_for_update(of=OUTBOX)
)
_MARK = (
    update(OUTBOX)
    .where(OUTBOX.c.id.in_(bindparam("ids", expanding=True)))
    .values(status=bindparam("new_status"), sent_at=bindparam("now"))
)


@dataclass(frozen=True)
class LetterReport:
    exported: int
    held: int  # no mailing address on file


def export_letters(
    uow_factory: UnitOfWorkFactory, out: Path, clock: Clock = system_clock
) -> LetterReport:
    now = clock()
    with uow_factory() as uow:
        conn = uow.connection
        rows = conn.execute(_WAITING).mappings().all()
        ready = [row for row in rows if row["mailing_address"]]
        held = [row["id"] for row in rows if not row["mailing_address"]]
        if ready:
            _write(out, ready)
        _mark(conn, [row["id"] for row in ready], outbox.EXPORTED, now)
        _mark(conn, held, outbox.HELD, None)
        for row in ready:
            if row["authorization_id"] is not None:
                record_written_copy(conn, row["authorization_id"], now, outbox.LETTER)
        uow.commit()
    return LetterReport(len(ready), len(held))


def _mark(conn: Connection, ids: list[int], status: str, now: datetime | None) -> None:
    if ids:
        conn.execute(_MARK, {"ids": ids, "new_status": status, "now": now})


def _write(out: Path, rows: list[Any]) -> None:
    partial = out.with_name(f".{out.name}.partial")
    try:
        with partial.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream)
            writer.writerow(COLUMNS)
            writer.writerows(_line(row) for row in rows)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)


def _line(row: Any) -> list[str]:
    address = row["mailing_address"]
    return [
        str(row["id"]),
        row["kind"],
        row["language"],
        row["subscriber_id"],
        f"{row['first_name']} {row['last_name']}",
        address.get("line1", ""),
        address.get("line2", ""),
        address.get("city", ""),
        address.get("state", ""),
        address.get("zip", ""),
        row["body"],
    ]
