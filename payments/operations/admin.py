"""The operator's view of an account (`ivr account show --json`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, select

from payments.domain.clock import eastern_date, eastern_iso, require_aware, system_clock
from payments.domain.money import format_amount
from payments.domain.plans import PlanAccount, summarize
from payments.services.accounts import member_by_subscriber, member_payments
from payments.services.autopay_views import view_of
from payments.storage.enrolments import enrolments_of_member
from payments.storage.ledger import member_ledgers
from payments.storage.models import Member, Payment
from payments.storage.tables import ACH_ENTRIES
from payments.storage.unit_of_work import UnitOfWorkFactory

# Statuses of payments the caller was told were approved, with their confirmation number.
TOLD_A_NUMBER = ("approved", "settled", "returned")


def account_as_json(
    uow_factory: UnitOfWorkFactory, subscriber_id: str, now: datetime | None = None
) -> dict[str, Any] | None:
    """The `ivr account show --json` document, or None for an unknown subscriber."""
    today = eastern_date(require_aware(now) if now is not None else system_clock())
    with uow_factory.reader() as uow:
        ledgers = member_ledgers(uow.connection, subscriber_id)
        member = member_by_subscriber(uow.session, subscriber_id)
        if ledgers is None or member is None:
            return None
        payments = member_payments(uow.session, member, limit=None)
        plan_ids = {plan.ref: plan.plan_id for plan in ledgers.plans}
        conn = uow.connection
        enrolments = enrolments_of_member(conn, subscriber_id)
        traces = _traces(conn, [payment.id for payment in payments])
        return {
            **_member_fields(member),
            "plans": [
                {
                    **_plan_fields(plan, today),
                    "autopay": view_of(conn, enrolments.get(plan.ref), plan, today).as_json(),
                }
                for plan in ledgers.plans
            ],
            "payments": [
                {**_payment_fields(payment, plan_ids), "ach_trace": traces.get(payment.id)}
                for payment in payments
            ],
        }


def _traces(conn: Connection, payment_ids: list[int]) -> dict[int, str]:
    """The trace number each bank debit went to the bank with (none before it is exported)."""
    if not payment_ids:
        return {}
    query = select(ACH_ENTRIES.c.payment_id, ACH_ENTRIES.c.trace_number).where(
        ACH_ENTRIES.c.payment_id.in_(payment_ids), ACH_ENTRIES.c.trace_number.is_not(None)
    )
    return {payment_id: trace for payment_id, trace in conn.execute(query)}


def _member_fields(member: Member) -> dict[str, Any]:
    return {
        "subscriber_id": member.subscriber_id,
        "first_name": member.first_name,
        "last_name": member.last_name,
        "date_of_birth": member.date_of_birth.isoformat(),
        "zip": member.zip,
        "phones": [phone.e164 for phone in member.phones],
        "language": member.language,
    }


def _plan_fields(plan: PlanAccount, today: date) -> dict[str, Any]:
    summary = summarize(plan, today)
    return {
        "plan_id": plan.plan_id,
        "kind": plan.kind,
        "name": plan.name,
        "carrier": plan.carrier,
        "status": summary.status.value,
        "balance": format_amount(summary.balance),
        "past_due": format_amount(summary.past_due),
        "due_date": _iso(summary.due_date),
        "coverage_start": _iso(plan.coverage_start),
        "paid_through": _iso(summary.paid_through),
        "invoices": [
            {
                "period": bill.period.strftime("%Y-%m"),
                "amount": format_amount(bill.amount),
                "due_date": bill.due_date.isoformat(),
                "paid": format_amount(bill.paid),  # elsewhere and on this line
            }
            for bill in plan.bills
        ],
    }


def _payment_fields(payment: Payment, plan_ids: dict[int, str]) -> dict[str, Any]:
    told = payment.status in TOLD_A_NUMBER
    return {
        "confirmation": payment.confirmation if told else None,  # none the caller never heard
        "plan_id": plan_ids[payment.plan_id],
        "amount": format_amount(Decimal(payment.amount)),
        "status": payment.status,
        "method": payment.method,
        "last4": payment.last4,
        "channel": payment.channel,
        "created_at": eastern_iso(payment.created_at),
    }


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None
