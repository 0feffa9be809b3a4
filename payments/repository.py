"""Queries the service layer shares. Functions take a Session; callers own the transaction."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from payments.api import PaymentStatus
from payments.billing import Bill
from payments.models import Invoice, Member, Payment, PaymentAllocation, Plan
from payments.money import ZERO, cents

# Payments whose allocations count as money received on their invoices.
CREDITED = (PaymentStatus.APPROVED.value, PaymentStatus.SETTLED.value)


def member_by_subscriber(session: Session, subscriber_id: str) -> Member | None:
    return session.scalar(select(Member).where(Member.subscriber_id == subscriber_id))


def member_plans(session: Session, member: Member) -> list[Plan]:
    query = select(Plan).where(Plan.member_id == member.id).order_by(Plan.kind.desc(), Plan.plan_id)
    return list(session.scalars(query))  # health before dental


def members_plan(session: Session, subscriber_id: str, plan_id: str, lock: bool) -> Plan | None:
    """The plan `plan_id` if it belongs to `subscriber_id`; `lock` takes its row lock."""
    query = (
        select(Plan)
        .join(Member, Plan.member_id == Member.id)
        .where(Plan.plan_id == plan_id, Member.subscriber_id == subscriber_id)
    )
    if lock:
        query = query.with_for_update(of=Plan)
    return session.scalar(query)


def lock_plan(session: Session, plan_pk: int) -> Plan:
    query = select(Plan).where(Plan.id == plan_pk).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()


def payment_by_key(session: Session, key: str, lock: bool = False) -> Payment | None:
    query = select(Payment).where(Payment.idempotency_key == key)
    if lock:
        query = query.with_for_update()
    return session.scalar(query)


def lock_payment(session: Session, payment_pk: int) -> Payment:
    query = select(Payment).where(Payment.id == payment_pk).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()


def plan_bills(session: Session, plan: Plan) -> list[Bill]:
    """The plan's invoices as bills: paid = paid elsewhere + this line's credited allocations."""
    rows = session.execute(
        select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount))
        .join(Payment, PaymentAllocation.payment_id == Payment.id)
        .where(Payment.plan_id == plan.id, Payment.status.in_(CREDITED))
        .group_by(PaymentAllocation.invoice_id)
    )
    credited = {invoice_id: amount for invoice_id, amount in rows}
    invoices = session.scalars(
        select(Invoice).where(Invoice.plan_id == plan.id).order_by(Invoice.period)
    )
    return [
        Bill(
            period=invoice.period,
            amount=invoice.amount,
            due_date=invoice.due_date,
            paid=cents(invoice.paid_external + (credited.get(invoice.id) or ZERO)),
            ref=invoice.id,
        )
        for invoice in invoices
    ]


def reserved_amount(session: Session, plan: Plan) -> Decimal:
    """Money held by payments still waiting for the gateway's answer."""
    total = session.scalar(
        select(func.sum(Payment.amount)).where(
            Payment.plan_id == plan.id, Payment.status == PaymentStatus.PENDING.value
        )
    )
    return cents(total or ZERO)


def confirmation_taken(session: Session, confirmation: str) -> bool:
    query = select(Payment.id).where(Payment.confirmation == confirmation)
    return session.scalar(query) is not None
