"""The operator's view of an account (`ivr account show --json`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from payments.domain.clock import eastern_date, eastern_iso, require_aware, system_clock
from payments.domain.money import format_amount
from payments.services.accounts import account_summary, member_by_subscriber, member_payments
from payments.storage.models import Member, Payment
from payments.storage.unit_of_work import UnitOfWorkFactory


def account_as_json(
    uow_factory: UnitOfWorkFactory, subscriber_id: str, now: datetime | None = None
) -> dict[str, Any] | None:
    """The `ivr account show --json` document, or None for an unknown subscriber."""
    moment = require_aware(now) if now is not None else system_clock()
    with uow_factory.reader() as uow:
        summary = account_summary(uow.connection, subscriber_id, eastern_date(moment))
        member = member_by_subscriber(uow.session, subscriber_id)
        if summary is None or member is None:
            return None
        payments = member_payments(uow.session, member, limit=None)
        return {
            **_member_fields(member),
            "plans": [
                {
                    "plan_id": plan.plan_id,
                    "kind": plan.kind,
                    "status": plan.status.value,
                    "balance": format_amount(plan.balance),
                    "due_date": plan.due_date.isoformat() if plan.due_date else None,
                }
                for plan in summary.plans
            ],
            "payments": [_payment_fields(payment) for payment in payments],
        }


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


def _payment_fields(payment: Payment) -> dict[str, Any]:
    return {
        "confirmation": payment.confirmation,
        "amount": format_amount(Decimal(payment.amount)),
        "status": payment.status,
        "method": payment.method,
        "last4": payment.last4,
        "channel": payment.channel,
        "created_at": eastern_iso(payment.created_at),
    }
