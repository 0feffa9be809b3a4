"""Recording the gateway's answer on a pending payment: its status, allocations, plan status."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from payments import audit
from payments.accounts import plan_summary
from payments.api import DeclineReason, PaymentOutcome, PaymentStatus, PlanStatus
from payments.billing import (
    Bill,
    allocate,
    apply_allocations,
    open_total,
    status_after_payment,
)
from payments.charging import ChargeResult
from payments.clock import eastern_date
from payments.models import Payment, PaymentAllocation
from payments.money import format_amount
from payments.repository import plan_bills

CHARGED = (PaymentStatus.APPROVED, PaymentStatus.SETTLED)


def actor_of(payment: Payment) -> str:
    return payment.agent_id or audit.CALLER


def record_answer(
    session: Session, payment: Payment, result: ChargeResult, now: datetime, actor: str
) -> None:
    """Apply the answer to a PENDING payment. The caller holds the plan lock and commits."""
    response = result.response
    payment.updated_at = now
    payment.unresolved = result.unresolved
    if response.approved:
        payment.status = PaymentStatus.APPROVED.value
        payment.gateway_ref = response.transaction_id
        _credit(session, payment, now, actor)
    else:
        reason = response.decline_reason or DeclineReason.GENERIC
        failed = reason is DeclineReason.PROCESSING_ERROR
        payment.status = (PaymentStatus.FAILED if failed else PaymentStatus.DECLINED).value
        payment.decline_reason = reason.value
    audit.record(
        session,
        now,
        actor,
        f"payment.{payment.status}",
        payment.plan.member.subscriber_id,
        confirmation=payment.confirmation,
        plan_id=payment.plan.plan_id,
        amount=format_amount(payment.amount),
        decline_reason=payment.decline_reason,
        gateway_ref=payment.gateway_ref,
        unresolved=payment.unresolved,
        channel=payment.channel,
        call_sid=payment.call_sid,
    )


def _credit(session: Session, payment: Payment, now: datetime, actor: str) -> None:
    """Apply an approved payment to the oldest open invoices; move the plan's status on."""
    bills = plan_bills(session, payment.plan)
    # The amount was checked against the balance when reserved; should the billing feed have
    # marked invoices paid since, the money is already taken: keep the rest as an audited credit.
    applicable = min(payment.amount, open_total(bills))
    shares = allocate(bills, applicable) if applicable > 0 else []
    for bill, share in shares:
        session.add(PaymentAllocation(payment_id=payment.id, invoice_id=bill.ref, amount=share))
    if applicable < payment.amount:
        unapplied = format_amount(payment.amount - applicable)
        subject = payment.plan.member.subscriber_id
        audit.record(session, now, actor, "payment.unapplied", subject, amount=unapplied)
    _move_plan_status(session, payment, apply_allocations(bills, shares), now, actor)


def _move_plan_status(
    session: Session, payment: Payment, bills: list[Bill], now: datetime, actor: str
) -> None:
    """Binder and grace rules once the payment is credited (payments.billing)."""
    plan = payment.plan
    before = PlanStatus(plan.status)
    # Credited on the day the caller confirmed, even if the answer is recorded later.
    after, start = status_after_payment(before, bills, eastern_date(payment.created_at))
    if start is not None:
        plan.coverage_start = start
        payment.activated_coverage_start = start
    if after is not before:
        plan.status = after.value
        audit.record(
            session,
            now,
            actor,
            "plan.status_changed",
            plan.member.subscriber_id,
            plan_id=plan.plan_id,
            old=before.value,
            new=after.value,
            coverage_start=start.isoformat() if start else None,
        )


def outcome_of(session: Session, payment: Payment, today: date) -> PaymentOutcome:
    """What the caller is told about `payment`, with its plan as it stands now."""
    summary = plan_summary(session, payment.plan, today)
    status = PaymentStatus(payment.status)
    charged = status in CHARGED
    return PaymentOutcome(
        status=status,
        charged=charged,
        confirmation=payment.confirmation if charged else None,
        decline_reason=DeclineReason(payment.decline_reason) if payment.decline_reason else None,
        plan_status=summary.status,
        remaining_balance=summary.balance,
        coverage_start=payment.activated_coverage_start,
        paid_through=summary.paid_through,
    )
