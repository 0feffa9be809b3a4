"""Read models: what a member owes and has paid, as the plain values of payments.api."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments.api import (
    AccountSummary,
    Channel,
    PaymentStatus,
    PaymentView,
    PlanStatus,
    PlanSummary,
)
from payments.billing import (
    binder_coverage_start,
    by_period,
    open_bills,
    open_total,
    paid_through,
    past_due_total,
)
from payments.models import Member, Payment, Plan
from payments.money import ZERO
from payments.repository import member_plans, plan_bills, reserved_amount

# Shown to members as "recent payments": attempts that took no money are left out.
MONEY_MOVED = tuple(
    s.value for s in PaymentStatus if s not in (PaymentStatus.DECLINED, PaymentStatus.FAILED)
)


def plan_summary(session: Session, plan: Plan, today: date) -> PlanSummary:
    bills = plan_bills(session, plan)
    status = PlanStatus(plan.status)
    due = open_bills(bills)
    payable = status is not PlanStatus.TERMINATED  # a terminated plan cannot be paid by phone
    first = by_period(bills)[0] if bills else None
    starts = None
    if status is PlanStatus.PENDING:
        starts = (
            binder_coverage_start(first.period, today)
            if first is not None and first.is_open
            else plan.coverage_start
        )
    return PlanSummary(
        plan_id=plan.plan_id,
        kind=plan.kind,
        name=plan.name,
        carrier=plan.carrier,
        status=status,
        balance=max(ZERO, open_total(bills) - reserved_amount(session, plan)) if payable else ZERO,
        due_date=due[0].due_date if due and payable else None,
        coverage_month=due[0].period if due and payable else None,
        past_due=past_due_total(bills, today) if payable else ZERO,
        coverage_start=starts,
        paid_through=paid_through(bills, plan.coverage_start),
    )


def account_summary(session: Session, member: Member, today: date) -> AccountSummary:
    plans = tuple(plan_summary(session, plan, today) for plan in member_plans(session, member))
    return AccountSummary(member.subscriber_id, member.first_name, member.language, plans)


def payment_view(payment: Payment) -> PaymentView:
    return PaymentView(
        confirmation=payment.confirmation,
        plan_id=payment.plan.plan_id,
        kind=payment.plan.kind,
        amount=payment.amount,
        status=PaymentStatus(payment.status),
        method=payment.method,
        last4=payment.last4,
        channel=Channel(payment.channel),
        created_at=payment.created_at,
    )


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


def recent_payments(session: Session, member: Member, limit: int) -> list[PaymentView]:
    """Newest first; declined and failed attempts are left out."""
    return [payment_view(p) for p in member_payments(session, member, limit, MONEY_MOVED)]
