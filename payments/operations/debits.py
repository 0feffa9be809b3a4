"""Writing bank debits the line makes by itself, many at once: AutoPay's, and retries of debits
returned for funds. Each is a payment (approved and credited at once, like a bank payment taken
on a call), its allocations, its queued ACH entry and its audit event.

A debit's idempotency key is unique among payments: a key already taken is skipped, never
debited twice. Confirmation numbers are drawn at random; the few that collide are drawn again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from payments.bank.originator import QUEUED
from payments.domain.confirmation import new_confirmation
from payments.domain.money import format_amount, to_minor_units
from payments.domain.plans import Credit, PlanAccount, credit
from payments.domain.values import Channel, PaymentStatus
from payments.storage import audit
from payments.storage.conflicts import insert_new_rows
from payments.storage.tables import ACH_ENTRIES, ALLOCATIONS, PAYMENTS, PLANS

CONFIRMATION_DRAWS = 5
NAME_LENGTH = 22

_TAKEN = select(PAYMENTS.c.idempotency_key).where(
    PAYMENTS.c.idempotency_key.in_(bindparam("keys", expanding=True))
)
_UPDATE_PLAN = update(PLANS).where(PLANS.c.id == bindparam("plan_pk"))


@dataclass(frozen=True)
class Debit:
    key: str
    plan: PlanAccount  # read under the plan's lock
    subscriber_id: str
    name: str
    amount: Decimal
    account_type: str
    transaction_code: int
    routing: str
    account_sealed: str
    last4: str
    effective_date: date
    payment_type: str  # "R" recurring (AutoPay) | "S" single
    enrolment_id: int | None = None
    retry_of: int | None = None
    capped: bool = False
    reference: str | None = None  # the enrolment's, for the audit trail


def write_debits(
    conn: Connection, debits: Sequence[Debit], now: datetime, today: date
) -> list[Debit]:
    """Write `debits` (their plans locked by the caller); the ones written, each key once."""
    credits = {debit.key: credit(debit.plan, debit.amount, today) for debit in debits}
    ids = _insert_payments(conn, debits, credits, now)
    written = [debit for debit in debits if debit.key in ids]
    _write_credits(conn, written, credits, ids)
    _insert_entries(conn, written, ids, now)
    audit.record_all(conn, [_event(debit, now) for debit in written])
    return written


def _insert_payments(
    conn: Connection, debits: Sequence[Debit], credits: dict[str, Credit], now: datetime
) -> dict[str, int]:
    """Payment ids by key, for the debits whose key was free."""
    ids: dict[str, int] = {}
    waiting = list(debits)
    for _ in range(CONFIRMATION_DRAWS):
        if not waiting:
            break
        rows = [_payment(debit, credits[debit.key], now) for debit in waiting]
        inserted = insert_new_rows(conn, PAYMENTS, rows, PAYMENTS.c.idempotency_key, PAYMENTS.c.id)
        ids.update({row.idempotency_key: row.id for row in inserted})
        missing = [debit for debit in waiting if debit.key not in ids]
        taken = set(conn.scalars(_TAKEN, {"keys": [d.key for d in missing]})) if missing else set()
        waiting = [debit for debit in missing if debit.key not in taken]  # a number collided
    if waiting:
        raise RuntimeError(f"no free confirmation number for {len(waiting)} debits")
    return ids


def _payment(debit: Debit, credited: Credit, now: datetime) -> dict[str, Any]:
    return {
        "confirmation": new_confirmation(),
        "idempotency_key": debit.key,
        "plan_id": debit.plan.ref,
        "amount": debit.amount,
        "status": PaymentStatus.APPROVED.value,
        "method": "bank",
        "brand": None,
        "last4": debit.last4,
        "account_type": debit.account_type,
        "channel": Channel.AUTOPAY.value,
        "call_sid": None,
        "agent_id": None,
        "gateway_ref": None,
        "decline_reason": None,
        "unresolved": False,
        "activated_coverage_start": credited.coverage_start,
        "enrolment_id": debit.enrolment_id,
        "retry_of": debit.retry_of,
        "created_at": now,
        "updated_at": now,
    }


def _write_credits(
    conn: Connection, debits: Sequence[Debit], credits: dict[str, Credit], ids: dict[str, int]
) -> None:
    allocations, plans = [], []
    for debit in debits:
        credited = credits[debit.key]
        allocations += [
            {"payment_id": ids[debit.key], "invoice_id": bill.ref, "amount": share}
            for bill, share in credited.shares
        ]
        if credited.plan.status is not debit.plan.status or credited.coverage_start:
            plans.append(
                {
                    "plan_pk": debit.plan.ref,
                    "status": credited.plan.status.value,
                    "coverage_start": credited.plan.coverage_start,
                }
            )
    if allocations:
        conn.execute(insert(ALLOCATIONS), allocations)
    if plans:
        conn.execute(_UPDATE_PLAN, plans)


def _insert_entries(
    conn: Connection, debits: Sequence[Debit], ids: dict[str, int], now: datetime
) -> None:
    rows = [
        {
            "payment_id": ids[debit.key],
            "idempotency_key": debit.key,
            "payment_type": debit.payment_type,
            "reinitiated": debit.retry_of is not None,
            "transaction_code": debit.transaction_code,
            "routing": debit.routing,
            "account_sealed": debit.account_sealed,
            "last4": debit.last4,
            "amount_cents": to_minor_units(debit.amount),
            "individual_id": debit.subscriber_id,
            "individual_name": debit.name[:NAME_LENGTH],
            "effective_date": debit.effective_date,
            "status": QUEUED,
            "created_at": now,
            "updated_at": now,
        }
        for debit in debits
    ]
    if rows:
        conn.execute(insert(ACH_ENTRIES), rows)


def _event(debit: Debit, now: datetime) -> audit.Event:
    action = "autopay.retry_debited" if debit.retry_of is not None else "autopay.debited"
    return audit.event(
        now,
        audit.SYSTEM,
        action,
        debit.subscriber_id,
        plan_id=debit.plan.plan_id,
        amount=format_amount(debit.amount),
        key=debit.key,
        effective_date=debit.effective_date.isoformat(),
        last4=debit.last4,
        capped=debit.capped,
        reference=debit.reference,
    )
