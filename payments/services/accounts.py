"""Read models: what a member owes and has paid, as the plain values of payments.domain.values."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from sqlalchemy import Connection, bindparam, or_, select
from sqlalchemy.orm import Session

from payments.domain.billing import (
    binder_coverage_start,
    by_period,
    open_bills,
    open_total,
    paid_through,
    past_due_total,
)
from payments.domain.money import ZERO
from payments.domain.values import (
    AccountSummary,
    Channel,
    DeclineReason,
    PaymentOutcome,
    PaymentStatus,
    PaymentView,
    PlanStatus,
    PlanSummary,
)
from payments.storage.ledger import PlanLedger, member_ledgers
from payments.storage.models import Member, Payment, Plan
from payments.storage.tables import MEMBERS, PAYMENTS, PLANS

CHARGED = (PaymentStatus.APPROVED, PaymentStatus.SETTLED)

# Shown to members as "recent payments": attempts that took no money are left out.
MONEY_MOVED = tuple(
    s.value for s in PaymentStatus if s not in (PaymentStatus.DECLINED, PaymentStatus.FAILED)
)


def plan_summary(ledger: PlanLedger, today: date) -> PlanSummary:
    bills = ledger.bills
    status = ledger.status
    due = open_bills(bills)
    payable = status is not PlanStatus.TERMINATED  # a terminated plan cannot be paid by phone
    first = by_period(bills)[0] if bills else None
    starts = None
    if status is PlanStatus.PENDING:
        starts = (
            binder_coverage_start(first.period, today)
            if first is not None and first.is_open
            else ledger.coverage_start
        )
    return PlanSummary(
        plan_id=ledger.plan_id,
        kind=ledger.kind,
        name=ledger.name,
        carrier=ledger.carrier,
        status=status,
        balance=max(ZERO, open_total(bills) - ledger.reserved) if payable else ZERO,
        due_date=due[0].due_date if due and payable else None,
        coverage_month=due[0].period if due and payable else None,
        past_due=past_due_total(bills, today) if payable else ZERO,
        coverage_start=starts,
        paid_through=paid_through(bills, ledger.coverage_start),
    )


def account_summary(conn: Connection, subscriber_id: str, today: date) -> AccountSummary | None:
    """The member's plans as of `today`, or None for an unknown Subscriber ID."""
    member = member_ledgers(conn, subscriber_id)
    if member is None:
        return None
    plans = tuple(plan_summary(plan, today) for plan in member.plans)
    return AccountSummary(subscriber_id, member.first_name, member.language, plans)


def member_payments(
    session: Session, member: Member, limit: int | None, statuses: tuple[str, ...] | None = None
) -> list[Payment]:
    """The member's payments, newest first."""
    query = (
        select(Payment)
        .join(Plan, Payment.plan_id == Plan.id)
        .where(Plan.member_id == member.id)
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .limit(limit)
    )
    if statuses is not None:
        query = query.where(Payment.status.in_(statuses))
    return list(session.scalars(query))


_RECENT = (
    select(
        PAYMENTS.c.confirmation,
        PLANS.c.plan_id,
        PLANS.c.kind,
        PAYMENTS.c.amount,
        PAYMENTS.c.status,
        PAYMENTS.c.method,
        PAYMENTS.c.last4,
        PAYMENTS.c.channel,
        PAYMENTS.c.created_at,
    )
    .join(PLANS, PAYMENTS.c.plan_id == PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(
        MEMBERS.c.subscriber_id == bindparam("subscriber_id"),
        or_(*(PAYMENTS.c.status == status for status in MONEY_MOVED)),
    )
    .order_by(PAYMENTS.c.created_at.desc(), PAYMENTS.c.id.desc())
    .limit(bindparam("limit"))
)


def recent_payments(conn: Connection, subscriber_id: str, limit: int) -> list[PaymentView]:
    """Newest first; declined and failed attempts are left out."""
    rows = conn.execute(_RECENT, {"subscriber_id": subscriber_id, "limit": limit})
    return [
        PaymentView(
            confirmation,
            plan_id,
            kind,
            amount,
            PaymentStatus(status),
            method,
            last4,
            Channel(channel),
            created_at,
        )
        for confirmation, plan_id, kind, amount, status, method, last4, channel, created_at in rows
    ]


def outcome_of(payment: Mapping[str, Any], ledger: PlanLedger, today: date) -> PaymentOutcome:
    """What the caller is told about `payment`, with its plan as `ledger` has it."""
    summary = plan_summary(ledger, today)
    status = PaymentStatus(payment["status"])
    charged = status in CHARGED
    reason = payment["decline_reason"]
    return PaymentOutcome(
        status=status,
        charged=charged,
        confirmation=payment["confirmation"] if charged else None,
        decline_reason=DeclineReason(reason) if reason else None,
        plan_status=summary.status,
        remaining_balance=summary.balance,
        coverage_start=payment["activated_coverage_start"],
        paid_through=summary.paid_through,
    )
