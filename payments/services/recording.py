"""Recording the gateway's answer on a pending payment: its status, allocations, plan status.

What the answer changes is worked out first from the plan's ledger, read under the plan's row
lock (`answer_changes`, no database), then written in a few statements (`write_changes`). The
ledger the caller is told about afterwards is the one worked out: nothing is read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from payments.domain.billing import allocate, apply_allocations, open_total, status_after_payment
from payments.domain.clock import eastern_date
from payments.domain.money import format_amount
from payments.domain.values import DeclineReason, PaymentStatus
from payments.services.charging import ChargeResult
from payments.storage import audit
from payments.storage.ledger import PlanLedger
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
    ledger: PlanLedger  # the plan as it stands afterwards
    allocations: list[dict[str, Any]] = field(default_factory=list)
    plan: dict[str, Any] = field(default_factory=dict)  # plan columns to set
    events: list[audit.Event] = field(default_factory=list)


def actor_of(payment: Mapping[str, Any]) -> str:
    return payment["agent_id"] or audit.CALLER


def answer_changes(
    payment: Mapping[str, Any],
    subject: str,
    ledger: PlanLedger,
    result: ChargeResult,
    now: datetime,
    actor: str,
) -> Changes:
    """The answer applied to a PENDING payment of `ledger`'s plan (of member `subject`)."""
    response = result.response
    released = replace(ledger, reserved=ledger.reserved - payment["amount"])  # no longer held
    changes = Changes({"updated_at": now, "unresolved": result.unresolved}, released)
    if response.approved:
        changes.payment["status"] = PaymentStatus.APPROVED.value
        changes.payment["gateway_ref"] = response.transaction_id
        _credit(changes, payment, subject, now, actor)
    else:
        reason = response.decline_reason or DeclineReason.GENERIC
        failed = reason is DeclineReason.PROCESSING_ERROR
        changes.payment["status"] = PaymentStatus.FAILED if failed else PaymentStatus.DECLINED
        changes.payment["decline_reason"] = reason.value
    changes.events.append(
        _answer_event({**payment, **changes.payment}, ledger, subject, now, actor)
    )
    return changes


def _answer_event(
    payment: Mapping[str, Any], ledger: PlanLedger, subject: str, now: datetime, actor: str
) -> audit.Event:
    return audit.event(
        now,
        actor,
        f"payment.{payment['status']}",
        subject,
        confirmation=payment["confirmation"],
        plan_id=ledger.plan_id,
        amount=format_amount(payment["amount"]),
        decline_reason=payment["decline_reason"],
        gateway_ref=payment["gateway_ref"],
        unresolved=payment["unresolved"],
        channel=payment["channel"],
        call_sid=payment["call_sid"],
    )


def _credit(
    changes: Changes, payment: Mapping[str, Any], subject: str, now: datetime, actor: str
) -> None:
    """Apply an approved payment to the oldest open invoices; move the plan's status on."""
    bills = changes.ledger.bills
    # The amount was checked against the balance when reserved; should the billing feed have
    # marked invoices paid since, the money is already taken: keep the rest as an audited credit.
    applicable = min(payment["amount"], open_total(bills))
    shares = allocate(bills, applicable) if applicable > 0 else []
    changes.allocations = [
        {"payment_id": payment["id"], "invoice_id": bill.ref, "amount": share}
        for bill, share in shares
    ]
    if applicable < payment["amount"]:
        unapplied = format_amount(payment["amount"] - applicable)
        changes.events.append(
            audit.event(now, actor, "payment.unapplied", subject, amount=unapplied)
        )
    changes.ledger = replace(changes.ledger, bills=tuple(apply_allocations(bills, shares)))
    _move_plan_status(changes, payment, subject, now, actor)


def _move_plan_status(
    changes: Changes, payment: Mapping[str, Any], subject: str, now: datetime, actor: str
) -> None:
    """Binder and grace rules once the payment is credited (payments.domain.billing)."""
    ledger = changes.ledger
    before = ledger.status
    # Credited on the day the caller confirmed, even if the answer is recorded later.
    after, start = status_after_payment(before, ledger.bills, eastern_date(payment["created_at"]))
    if start is not None:
        changes.plan["coverage_start"] = start
        changes.payment["activated_coverage_start"] = start
        changes.ledger = replace(changes.ledger, coverage_start=start)
    if after is not before:
        changes.plan["status"] = after.value
        changes.ledger = replace(changes.ledger, status=after)
        changes.events.append(
            audit.event(
                now,
                actor,
                "plan.status_changed",
                subject,
                plan_id=ledger.plan_id,
                old=before.value,
                new=after.value,
                coverage_start=start.isoformat() if start else None,
            )
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
    if changes.plan:
        conn.execute(_UPDATE_PLAN, {"plan_pk": changes.ledger.pk, **changes.plan})
    audit.record_all(conn, changes.events)
    return True
