"""Starting the demo over: the demo members' payments, invoices and attempts are cleared and the
demo accounts loaded afresh. Only the demo members (payments.operations.demo) are touched, so it
is safe on any database; the audit trail is kept."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, delete, select

from payments.bank.sealing import Sealer
from payments.operations.demo import MEMBERS, demo_accounts
from payments.operations.importer import ImportReport, import_accounts
from payments.storage.tables import (
    ALLOCATIONS,
    AUTHORIZATIONS,
    FAILURES,
    INVOICES,
    PAYMENTS,
    PLANS,
    SANDBOX_CHARGES,
    UNKNOWN_IDS,
)
from payments.storage.tables import (
    MEMBERS as MEMBER_ROWS,
)
from payments.storage.unit_of_work import UnitOfWorkFactory

DEMO_IDS = tuple(row[0] for row in MEMBERS)
DEMO_PHONES = tuple(row[5] for row in MEMBERS)


def reset_demo(
    uow_factory: UnitOfWorkFactory,
    today: date,
    sealer: Sealer | None = None,
    service_phone: str = "1-877-623-6765",
) -> ImportReport:
    """Clear the demo members' activity, then load the demo accounts as of `today` (`sealer`
    seals the portal AutoPay's account: the importer's)."""
    with uow_factory() as uow:
        _clear(uow.connection)
        uow.commit()
    return import_accounts(
        uow_factory, demo_accounts(today), sealer=sealer, service_phone=service_phone
    )


def _clear(conn: Connection) -> None:
    plans = (
        select(PLANS.c.id)
        .join(MEMBER_ROWS, PLANS.c.member_id == MEMBER_ROWS.c.id)
        .where(MEMBER_ROWS.c.subscriber_id.in_(DEMO_IDS))
    )
    payments = select(PAYMENTS.c.id).where(PAYMENTS.c.plan_id.in_(plans))
    keys = select(PAYMENTS.c.idempotency_key).where(PAYMENTS.c.plan_id.in_(plans))
    conn.execute(delete(SANDBOX_CHARGES).where(SANDBOX_CHARGES.c.idempotency_key.in_(keys)))
    conn.execute(delete(ALLOCATIONS).where(ALLOCATIONS.c.payment_id.in_(payments)))
    conn.execute(delete(AUTHORIZATIONS).where(AUTHORIZATIONS.c.payment_id.in_(payments)))
    conn.execute(delete(PAYMENTS).where(PAYMENTS.c.plan_id.in_(plans)))
    conn.execute(delete(INVOICES).where(INVOICES.c.plan_id.in_(plans)))
    conn.execute(delete(FAILURES).where(FAILURES.c.subscriber_id.in_(DEMO_IDS)))
    conn.execute(delete(UNKNOWN_IDS).where(UNKNOWN_IDS.c.caller.in_(DEMO_PHONES)))
