"""What plans owe, each read in one statement: the plan, its invoices as bills (paid elsewhere plus
this line's credited allocations), and the money held by payments still waiting for the gateway.

Core statements built once: the hot paths of a call read and write through these and
payments.storage.tables rather than through ORM objects.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, or_, select

from payments.domain.billing import Bill
from payments.domain.money import ZERO, cents
from payments.domain.values import PaymentStatus, PlanStatus
from payments.storage.tables import ALLOCATIONS, INVOICES, MEMBERS, PAYMENTS, PLANS

# Payments whose allocations count as money received on their invoices.
CREDITED = (PaymentStatus.APPROVED.value, PaymentStatus.SETTLED.value)


@dataclass(frozen=True)
class PlanLedger:
    pk: int
    plan_id: str
    kind: str
    name: str
    carrier: str
    status: PlanStatus
    coverage_start: date | None
    bills: tuple[Bill, ...]  # oldest coverage month first
    reserved: Decimal  # held by PENDING payments


@dataclass(frozen=True)
class MemberLedgers:
    first_name: str
    language: str
    plans: tuple[PlanLedger, ...]  # health before dental


_credited = (
    select(func.sum(ALLOCATIONS.c.amount))
    .join(PAYMENTS, ALLOCATIONS.c.payment_id == PAYMENTS.c.id)
    .where(
        ALLOCATIONS.c.invoice_id == INVOICES.c.id,
        PAYMENTS.c.plan_id == PLANS.c.id,
        or_(*(PAYMENTS.c.status == status for status in CREDITED)),  # no IN list to expand
    )
    .scalar_subquery()
)
_reserved = (
    select(func.sum(PAYMENTS.c.amount))
    .where(PAYMENTS.c.plan_id == PLANS.c.id, PAYMENTS.c.status == PaymentStatus.PENDING.value)
    .scalar_subquery()
)
_LEDGER_COLUMNS = (
    PLANS.c.id,
    PLANS.c.plan_id,
    PLANS.c.kind,
    PLANS.c.name,
    PLANS.c.carrier,
    PLANS.c.status,
    PLANS.c.coverage_start,
    _reserved.label("reserved"),
    INVOICES.c.id.label("invoice_id"),
    INVOICES.c.period,
    INVOICES.c.amount,
    INVOICES.c.due_date,
    INVOICES.c.paid_external,
    _credited.label("credited"),
)
_PLANS_AND_INVOICES = PLANS.outerjoin(INVOICES, INVOICES.c.plan_id == PLANS.c.id)
_ORDER = (PLANS.c.kind.desc(), PLANS.c.plan_id, INVOICES.c.period)  # health before dental

_PLAN_LEDGER = (
    select(*_LEDGER_COLUMNS)
    .select_from(_PLANS_AND_INVOICES)
    .where(PLANS.c.id == bindparam("plan_pk"))
    .order_by(*_ORDER)
)
# The plan's ledger, and whether a payment holds an idempotency key: one round trip for both
# reads a reservation makes under the plan's lock.
_KEY_TAKEN = select(PAYMENTS.c.id).where(PAYMENTS.c.idempotency_key == bindparam("key")).exists()
_PLAN_LEDGER_AND_KEY = _PLAN_LEDGER.add_columns(_KEY_TAKEN.label("key_taken"))
_MEMBER_LEDGERS = (
    select(MEMBERS.c.first_name, MEMBERS.c.language, *_LEDGER_COLUMNS)
    .select_from(MEMBERS.outerjoin(_PLANS_AND_INVOICES, PLANS.c.member_id == MEMBERS.c.id))
    .where(MEMBERS.c.subscriber_id == bindparam("subscriber_id"))
    .order_by(*_ORDER)
)


def plan_ledger(conn: Connection, plan_pk: int) -> PlanLedger:
    rows = conn.execute(_PLAN_LEDGER, {"plan_pk": plan_pk}).all()
    (ledger,) = _ledgers(rows)
    return ledger


def plan_ledger_and_key(conn: Connection, plan_pk: int, key: str) -> tuple[PlanLedger, bool]:
    """The plan's ledger, and whether a payment already holds the idempotency key `key`."""
    rows = conn.execute(_PLAN_LEDGER_AND_KEY, {"plan_pk": plan_pk, "key": key}).all()
    (ledger,) = _ledgers(rows)
    return ledger, bool(rows[0].key_taken)


def member_ledgers(conn: Connection, subscriber_id: str) -> MemberLedgers | None:
    """The member's plans, or None for an unknown Subscriber ID."""
    rows = conn.execute(_MEMBER_LEDGERS, {"subscriber_id": subscriber_id}).all()
    if not rows:
        return None
    plans = _ledgers([row[2:] for row in rows if row.id is not None])
    return MemberLedgers(rows[0].first_name, rows[0].language, tuple(plans))


def _ledgers(rows: Iterable[Row[Any] | tuple[Any, ...]]) -> list[PlanLedger]:
    """One ledger per plan from rows starting with _LEDGER_COLUMNS, one row per invoice (or
    one row with no invoice)."""
    ledgers = []
    for _, plan_rows in groupby(rows, key=lambda row: row[0]):
        group = list(plan_rows)
        pk, plan_id, kind, name, carrier, status, coverage_start, reserved = group[0][:8]
        bills = tuple(_bill(*row[8:14]) for row in group if row[8] is not None)
        plan = (pk, plan_id, kind, name, carrier, PlanStatus(status), coverage_start)
        ledgers.append(PlanLedger(*plan, bills, cents(reserved or ZERO)))
    return ledgers


def _bill(
    invoice_id: int, period: date, amount: Decimal, due: date, paid: Decimal, credited: Any
) -> Bill:
    return Bill(period, amount, due, cents(paid + (credited or ZERO)), invoice_id)
