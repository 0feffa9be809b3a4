"""Reading the bank's returns file (`ivr ach returns FILE`): each return names the original
entry by its trace number.

For each returned debit, in one transaction: the entry and its payment become `returned`; the
amount goes back on the invoices it paid and the plan's status follows (payments.services.
reversal); AutoPay stops when the account cannot be used or the debit was not authorized;
a debit returned for funds is presented again when the rules allow (payments.domain.ach); the
member is sent a message. Reading the same file again changes nothing: a file already read is
known by its content, and an entry already returned is left alone.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, bindparam, func, select, update

from payments.bank import nacha
from payments.bank.originator import EXPORTED, RETURNED, SETTLED
from payments.bank.return_effects import after_return
from payments.domain.clock import Clock, eastern_date, system_clock
from payments.domain.values import PaymentStatus
from payments.services.reversal import reverse_credit
from payments.storage import audit
from payments.storage.conflicts import insert_new
from payments.storage.tables import ACH_ENTRIES, ACH_RETURN_FILES
from payments.storage.unit_of_work import UnitOfWorkFactory


@dataclass
class ReturnsReport:
    already_read: bool = False  # this very file was read before: nothing changed
    returned: int = 0
    already_returned: int = 0
    unmatched: list[str] = field(default_factory=list)  # trace numbers this line never sent
    retries: int = 0
    by_code: Counter[str] = field(default_factory=Counter)


_SENT_ENTRY = (
    select(ACH_ENTRIES).where(ACH_ENTRIES.c.trace_number == bindparam("trace")).with_for_update()
)
_MARK_RETURNED = (
    update(ACH_ENTRIES)
    .where(ACH_ENTRIES.c.id == bindparam("entry_id"))
    .values(
        status=RETURNED,
        return_code=bindparam("code"),
        returned_at=bindparam("now"),
        account_sealed=None,
        updated_at=bindparam("now"),
    )
)


def read_returns_file(
    uow_factory: UnitOfWorkFactory, content: bytes, phone: str, clock: Clock = system_clock
) -> ReturnsReport:
    """Apply every return in `content` (a NACHA returns file); ValueError if it is not one."""
    digest = hashlib.sha256(content).hexdigest()
    with uow_factory.reader() as uow:
        seen = uow.connection.scalar(
            select(func.count()).where(ACH_RETURN_FILES.c.sha256 == digest)
        )
    if seen:
        return ReturnsReport(already_read=True)
    returns = nacha.read_returns(content.decode("ascii").splitlines(keepends=True))
    report = ReturnsReport()
    for item in returns:
        with uow_factory() as uow:
            _apply(uow.connection, item, phone, clock(), report)
            uow.commit()
    _remember(uow_factory, digest, report, clock())
    return report


def _apply(
    conn: Connection, item: nacha.ReturnEntry, phone: str, now: datetime, report: ReturnsReport
) -> None:
    entry = conn.execute(_SENT_ENTRY, {"trace": item.original_trace}).mappings().first()
    if entry is None or entry["status"] not in (EXPORTED, SETTLED, RETURNED):
        report.unmatched.append(item.original_trace)
        return
    if entry["status"] == RETURNED:
        report.already_returned += 1
        return
    code = item.return_code.upper()
    conn.execute(_MARK_RETURNED, {"entry_id": entry["id"], "code": code, "now": now})
    reversed_ = reverse_credit(
        conn, entry["payment_id"], PaymentStatus.RETURNED, now, audit.SYSTEM,
        return_code=code, trace=item.original_trace,
    )  # fmt: skip
    report.returned += 1
    report.by_code[code] += 1
    if reversed_ is not None:
        today = eastern_date(now)
        report.retries += after_return(conn, dict(entry), reversed_, code, today, now, phone)


def _remember(
    uow_factory: UnitOfWorkFactory, digest: str, report: ReturnsReport, now: datetime
) -> None:
    with uow_factory() as uow:
        row = {
            "sha256": digest,
            "read_at": now,
            "returned": report.returned,
            "unmatched": len(report.unmatched),
        }
        insert_new(uow.connection, ACH_RETURN_FILES, [row], ACH_RETURN_FILES.c.id)
        audit.record(
            uow.connection, now, audit.SYSTEM, "ach.returns_read", "ach", sha256=digest,
            returned=report.returned, unmatched=len(report.unmatched),
            already_returned=report.already_returned, retries=report.retries,
        )  # fmt: skip
        uow.commit()
