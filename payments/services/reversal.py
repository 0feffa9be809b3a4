"""Taking back the credit of a bank debit that brought no money: returned by the member's bank,
or voided before it was sent (AutoPay cancelled). The amount goes back on the invoices it paid
(its allocations stop counting once the payment is no longer charged) and the plan's status
follows (payments.domain.plans.status_after_reversal)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, RowMapping, update

from payments.domain.clock import eastern_date
from payments.domain.money import format_amount
from payments.domain.plans import PlanAccount, status_after_reversal
from payments.domain.values import PaymentStatus
from payments.storage import audit
from payments.storage.ledger import plan_ledger
from payments.storage.repository import lock_plan_of_payment
from payments.storage.tables import PAYMENTS, PLANS


@dataclass(frozen=True)
class Reversed:
    subscriber_id: str
    payment: RowMapping  # as it was before
    plan: PlanAccount  # afterwards


def reverse_credit(
    conn: Connection,
    payment_id: int,
    status: PaymentStatus,
    now: datetime,
    actor: str,
    **details: Any,
) -> Reversed | None:
    """Mark a charged payment `status` (RETURNED, REFUNDED) and let its plan follow; None when
    it is not charged (reversed already). The caller commits."""
    subscriber_id, payment = lock_plan_of_payment(conn, payment_id)
    if not PaymentStatus(payment["status"]).charged:
        return None
    conn.execute(
        update(PAYMENTS)
        .where(PAYMENTS.c.id == payment_id)
        .values(status=status.value, updated_at=now)
    )
    plan = plan_ledger(conn, payment["plan_id"])
    binder = payment["activated_coverage_start"] is not None
    new_status = status_after_reversal(plan, binder, eastern_date(now))
    events = [_event(now, actor, status, subscriber_id, payment, plan.plan_id, details)]
    if new_status is not plan.status:
        conn.execute(update(PLANS).where(PLANS.c.id == plan.ref).values(status=new_status.value))
        events.append(
            audit.event(
                now,
                actor,
                "plan.status_changed",
                subscriber_id,
                plan_id=plan.plan_id,
                old=plan.status.value,
                new=new_status.value,
                because=payment["confirmation"],
            )  # fmt: skip
        )
        plan = replace(plan, status=new_status)
    audit.record_all(conn, events)
    return Reversed(subscriber_id, payment, plan)


def _event(
    now: datetime,
    actor: str,
    status: PaymentStatus,
    subscriber_id: str,
    payment: RowMapping,
    plan_id: str,
    details: dict[str, Any],
) -> audit.Event:
    return audit.event(
        now, actor, f"payment.{status.value}", subscriber_id,
        confirmation=payment["confirmation"], plan_id=plan_id,
        amount=format_amount(payment["amount"]), **details,
    )  # fmt: skip
