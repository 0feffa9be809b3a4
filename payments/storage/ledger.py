"""What plans owe, each read in one statement: the plan, its invoices as bills (paid elsewhere plus
this line's credited allocations), and the money held by payments still waiting for the processor.

Core statements built once: the hot paths of a call read and write through these and
payments.storage.tables rather than through ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, or_, select

from payments.domain.billing import Bill
from payments.domain.money import ZERO, cents
from payments.domain.plans import PlanAccount
from payments.domain.values import PaymentStatus, PlanStatus
from payments.storage.sqltypes import AnyRow
from payments.storage.tables import ALLOCATIONS, INVOICES, MEMBERS, PAYMENTS, PLANS

# Payments whose allocations count as money received on their invoices.
CREDITED = tuple(status.value for status in PaymentStatus if status.charged)
# Shown to members as "recent payments": attempts that took no money are left out.
MONEY_MOVED = tuple(
    s.value for s in PaymentStatus if s not in (PaymentStatus.DECLINED, PaymentStatus.FAILED)
)


@dataclass(frozen=True)
class MemberLedgers:
    first_name: str
    last_name: str
    language: str
    plans: tuple[PlanAccount, ...]  # health before dental
    paid_here: bool = False  # a payment through this line moved money: recent payments lists it


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
    PLANS.c.id.label("plan_ref"),
    PLANS.c.plan_id,
    PLANS.c.kind,
    PLANS.c.name,
    PLANS.c.carrier,
    PLANS.c.status,
    PLANS.c.coverage_start,
    PLANS.c.subsidized,
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
_PLAN_LEDGERS = (
    select(*_LEDGER_COLUMNS)
    .select_from(_PLANS_AND_INVOICES)
    .where(PLANS.c.id.in_(bindparam("plan_pks", expanding=True)))
    .order_by(PLANS.c.id, INVOICES.c.period)
)
_PLAN_LEDGER_AND_KEY = _PLAN_LEDGER.add_columns(_KEY_TAKEN.label("key_taken"))
_PLANS_OF_MEMBER = PLANS.alias("of_member")
_PAID_HERE = (
    select(PAYMENTS.c.id)
    .join(_PLANS_OF_MEMBER, PAYMENTS.c.plan_id == _PLANS_OF_MEMBER.c.id)
    .where(
        _PLANS_OF_MEMBER.c.member_id == MEMBERS.c.id,
        or_(*(PAYMENTS.c.status == status for status in MONEY_MOVED)),
    )
    .exists()
)
_MEMBER_LEDGERS = (
    select(
        MEMBERS.c.first_name,
        MEMBERS.c.last_name,
        MEMBERS.c.language,
        _PAID_HERE.label("paid_here"),
        *_LEDGER_COLUMNS,
    )
    .select_from(MEMBERS.outerjoin(_PLANS_AND_INVOICES, PLANS.c.member_id == MEMBERS.c.id))
    .where(MEMBERS.c.subscriber_id == bindparam("subscriber_id"))
    .order_by(*_ORDER)
)


def plan_ledger(conn: Connection, plan_ref: int) -> PlanAccount:
    rows = conn.execute(_PLAN_LEDGER, {"plan_pk": plan_ref}).all()
    (plan,) = _accounts(rows)
    return plan


def plan_ledgers(conn: Connection, plan_refs: Sequence[int]) -> dict[int, PlanAccount]:
    """Many plans' accounts in one statement (the AutoPay run), by plan id."""
    if not plan_refs:
        return {}
    rows = conn.execute(_PLAN_LEDGERS, {"plan_pks": list(plan_refs)}).all()
    return {plan.ref: plan for plan in _accounts(rows)}


def plan_ledger_and_key(conn: Connection, plan_ref: int, key: str) -> tuple[PlanAccount, bool]:
    """The plan's account, and whether a payment already holds the idempotency key `key`."""
    rows = conn.execute(_PLAN_LEDGER_AND_KEY, {"plan_pk": plan_ref, "key": key}).all()
    (plan,) = _accounts(rows)
    return plan, bool(rows[0].key_taken)


def member_ledgers(conn: Connection, subscriber_id: str) -> MemberLedgers | None:
    """The member's plans, or None for an unknown Subscriber ID."""
    rows = conn.execute(_MEMBER_LEDGERS, {"subscriber_id": subscriber_id}).all()
    if not rows:
        return None
    plans = _accounts([row for row in rows if row.plan_ref is not None])
    first = rows[0]
    return MemberLedgers(
        first.first_name, first.last_name, first.language, tuple(plans), bool(first.paid_here)
    )


def _accounts(rows: Sequence[AnyRow]) -> list[PlanAccount]:
    """One account per plan from rows of _LEDGER_COLUMNS: one row per invoice, or one row with
    no invoice."""
    return [
        _account(list(plan_rows)) for _, plan_rows in groupby(rows, key=lambda row: row.plan_ref)
    ]


def _account(rows: list[Row[Any]]) -> PlanAccount:
    first = rows[0]
    return PlanAccount(
        ref=first.plan_ref,
        plan_id=first.plan_id,
        kind=first.kind,
        name=first.name,
        carrier=first.carrier,
        status=PlanStatus(first.status),
        coverage_start=first.coverage_start,
        bills=tuple(_bill(row) for row in rows if row.invoice_id is not None),
        reserved=cents(first.reserved or ZERO),
        subsidized=bool(first.subsidized),
    )


def _bill(row: Row[Any]) -> Bill:
    paid = cents(row.paid_external + (row.credited or ZERO))
    return Bill(row.period, row.amount, row.due_date, paid, row.invoice_id)
