"""Recording the processor's answer on a pending payment: its status, allocations, plan status.

What the answer changes is worked out first from the plan's account, read under the plan's row
lock (`answer_changes`, pure: payments.domain.plans does the arithmetic), then written in a few
statements (`write_changes`). What the caller is told afterwards (`outcome_of`) comes from the
record as written: nothing is read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from payments.domain.clock import eastern_date
from payments.domain.money import format_amount
from payments.domain.plans import PlanAccount, credit, release, summarize
from payments.domain.values import DeclineReason, PaymentOutcome, PaymentStatus
from payments.services.charging import ChargeResult
from payments.storage import audit
from payments.storage.tables import ALLOCATIONS, PAYMENTS, PLANS

_UPDATE_PENDING_PAYMENT = update(PAYMENTS).where(
    PAYMENTS.c.id == bindparam("payment_pk"), PAYMENTS.c.status == PaymentStatus.PENDING.value
)
_UPDATE_PLAN = update(PLANS).where(PLANS.c.id == bindparam("plan_pk"))
_INSERT_ALLOCATIONS = insert(ALLOCATIONS).inline()  # no RETURNING of ids


@dataclass
class Changes:
    """What recording an answer changes, before it is written."""

    payment: dict[str, Any]  # payment columns to set
    plan: PlanAccount  # the plan as it stands afterwards
    allocations: list[dict[str, Any]] = field(default_factory=list)
    plan_columns: dict[str, Any] = field(default_factory=dict)  # plan columns to set
    events: list[audit.Event] = field(default_factory=list)


def actor_of(payment: Mapping[Any, Any]) -> str:
    return payment["agent_id"] or audit.CALLER


def answer_changes(
    payment: Mapping[Any, Any],
    subject: str,
    plan: PlanAccount,
    result: ChargeResult,
    now: datetime,
    actor: str,
) -> Changes:
    """The answer applied to a PENDING payment of `plan` (of member `subject`)."""
    response = result.response
    changes = Changes(
        {"updated_at": now, "unresolved": result.unresolved}, release(plan, payment["amount"])
    )
    if response.approved:
        changes.payment.update(
            status=PaymentStatus.APPROVED.value, gateway_ref=response.transaction_id
        )
        _credit(changes, payment, subject, now, actor)
    else:
        reason = response.decline_reason or DeclineReason.GENERIC
        failed = reason is DeclineReason.PROCESSING_ERROR
        status = PaymentStatus.FAILED if failed else PaymentStatus.DECLINED
        changes.payment.update(status=status.value, decline_reason=reason.value)
    answered = {**payment, **changes.payment}
    changes.events.insert(0, _answer_event(answered, plan.plan_id, subject, now, actor))
    return changes


def _answer_event(
    payment: Mapping[str, Any], plan_id: str, subject: str, now: datetime, actor: str
) -> audit.Event:
    return audit.event(
        now,
        actor,
        f"payment.{payment['status']}",
        subject,
        confirmation=payment["confirmation"],
        plan_id=plan_id,
        amount=format_amount(payment["amount"]),
        decline_reason=payment.get("decline_reason"),
        gateway_ref=payment.get("gateway_ref"),
        unresolved=payment["unresolved"],
        channel=payment["channel"],
        call_sid=payment["call_sid"],
    )


def _credit(
    changes: Changes, payment: Mapping[str, Any], subject: str, now: datetime, actor: str
) -> None:
    """Credit an approved payment on the day the caller confirmed it (payments.domain.plans)."""
    before = changes.plan
    credited = credit(before, payment["amount"], eastern_date(payment["created_at"]))
    changes.plan = credited.plan
    changes.allocations = [
        {"payment_id": payment["id"], "invoice_id": bill.ref, "amount": share}
        for bill, share in credited.shares
    ]
    if credited.unapplied > 0:
        unapplied = format_amount(credited.unapplied)
        changes.events.append(
            audit.event(now, actor, "payment.unapplied", subject, amount=unapplied)
        )
    if credited.coverage_start is not None:
        changes.plan_columns["coverage_start"] = credited.coverage_start
        changes.payment["activated_coverage_start"] = credited.coverage_start
    if credited.plan.status is not before.status:
        changes.plan_columns["status"] = credited.plan.status.value
        changes.events.append(_status_event(before, credited.plan, subject, now, actor))


def _status_event(
    before: PlanAccount, after: PlanAccount, subject: str, now: datetime, actor: str
) -> audit.Event:
    start = after.coverage_start if before.status is not after.status else None
    return audit.event(
        now,
        actor,
        "plan.status_changed",
        subject,
        plan_id=before.plan_id,
        old=before.status.value,
        new=after.status.value,
        coverage_start=start.isoformat() if start else None,
    )


def write_changes(conn: Connection, payment_pk: int, changes: Changes) -> bool:
    """Write what `answer_changes` worked out, if the payment is still PENDING (else nothing).

    The caller holds the plan lock and commits.
    """
    params = {"payment_pk": payment_pk, **changes.payment}
    if conn.execute(_UPDATE_PENDING_PAYMENT, params).rowcount != 1:
        return False
    if changes.allocations:
        conn.execute(_INSERT_ALLOCATIONS, changes.allocations)
    if changes.plan_columns:
        conn.execute(_UPDATE_PLAN, {"plan_pk": changes.plan.ref, **changes.plan_columns})
    audit.record_all(conn, changes.events)
    return True


def outcome_of(payment: Mapping[Any, Any], plan: PlanAccount, today: date) -> PaymentOutcome:
    """What the caller is told about `payment`, with its plan as `plan` has it."""
    summary = summarize(plan, today)
    reason = payment["decline_reason"]
    status = PaymentStatus(payment["status"])
    return PaymentOutcome(
        status=status,
        confirmation=payment["confirmation"] if status.charged else None,
        amount=payment["amount"],
        plan_kind=plan.kind,
        decline_reason=DeclineReason(reason) if reason else None,
        plan_status=summary.status,
        remaining_balance=summary.balance,
        coverage_start=payment["activated_coverage_start"],
        paid_through=summary.paid_through,
        plan=summary,
    )
