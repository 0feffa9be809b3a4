"""Settlement (`ivr ach settle --date D`): a debit sent to the bank with no return two banking
days after its effective date has settled: its payment becomes `settled` and the sealed account
number it carried is erased (an AutoPay enrolment keeps its own). A later unauthorized return
(R10 and its kind, up to 60 days) still reverses a settled debit (payments.bank.returns)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from payments.bank.originator import EXPORTED, SETTLED
from payments.domain.ach import settled_by
from payments.domain.clock import Clock, system_clock
from payments.domain.values import PaymentStatus
from payments.storage import audit
from payments.storage.db import for_batch_work
from payments.storage.tables import ACH_ENTRIES, PAYMENTS
from payments.storage.unit_of_work import UnitOfWorkFactory

BATCH = 1000

_SENT = (
    select(ACH_ENTRIES.c.id, ACH_ENTRIES.c.payment_id, ACH_ENTRIES.c.sent_effective_date)
    .where(
        ACH_ENTRIES.c.status == EXPORTED,
        ACH_ENTRIES.c.sent_effective_date < bindparam("today"),
        ACH_ENTRIES.c.id > bindparam("after"),
    )
    .order_by(ACH_ENTRIES.c.id)
    .limit(BATCH)
)
_SETTLE_ENTRIES = (
    update(ACH_ENTRIES)
    .where(ACH_ENTRIES.c.id.in_(bindparam("ids", expanding=True)), ACH_ENTRIES.c.status == EXPORTED)
    .values(
        status=SETTLED,
        settled_at=bindparam("now"),
        account_sealed=None,
        updated_at=bindparam("now"),
    )
)
_SETTLE_PAYMENTS = (
    update(PAYMENTS)
    .where(
        PAYMENTS.c.id.in_(bindparam("ids", expanding=True)),
        PAYMENTS.c.status == PaymentStatus.APPROVED.value,
    )
    .values(status=PaymentStatus.SETTLED.value, updated_at=bindparam("now"))
)


@dataclass
class SettleReport:
    settled: int = 0
    still_waiting: int = 0  # sent, but not yet two banking days past their effective date


def settle(
    uow_factory: UnitOfWorkFactory, today: date, clock: Clock = system_clock
) -> SettleReport:
    """Settle every debit with no return two banking days after its effective date."""
    report, after = SettleReport(), 0
    while True:
        with uow_factory() as uow:
            conn = uow.connection
            for_batch_work(conn)
            rows = conn.execute(_SENT, {"today": today, "after": after}).all()
            if not rows:
                return report
            after = rows[-1].id
            due = [row for row in rows if settled_by(row.sent_effective_date, today)]
            report.still_waiting += len(rows) - len(due)
            report.settled += _settle(conn, due, clock())
            uow.commit()


def _settle(conn: Connection, due: Sequence[Any], now: datetime) -> int:
    if not due:
        return 0
    conn.execute(_SETTLE_ENTRIES, {"ids": [row.id for row in due], "now": now})
    conn.execute(_SETTLE_PAYMENTS, {"ids": [row.payment_id for row in due], "now": now})
    audit.record(conn, now, audit.SYSTEM, "ach.settled", "ach", entries=len(due))
    return len(due)
