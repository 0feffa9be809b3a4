"""An account summary as plain JSON, so a call can keep it in its state between webhooks.

The summary is read from the database once after verification and again after each payment;
in between, prompts speak from this snapshot. Payments never trust it: the core re-checks the
balance under a lock when a payment is submitted.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from payments.domain.values import (
    AccountSummary,
    AutopayView,
    BillDue,
    PlanStatus,
    PlanSummary,
    ReturnedDebit,
)

_DATES = ("due_date", "coverage_month", "coverage_start", "paid_through")
_MONEY = ("balance", "past_due", "processing")
_AUTOPAY_PLAIN = ("status", "day", "account_type", "last4", "reason", "reference")


def dump(summary: AccountSummary) -> dict[str, Any]:
    return {
        "subscriber_id": summary.subscriber_id,
        "first_name": summary.first_name,
        "last_name": summary.last_name,
        "language": summary.language,
        "plans": [_dump_plan(plan) for plan in summary.plans],
        "sms_phones": list(summary.sms_phones),
        "paid_here": summary.paid_here,
    }


def load(data: dict[str, Any]) -> AccountSummary:
    return AccountSummary(
        subscriber_id=data["subscriber_id"],
        first_name=data["first_name"],
        language=data["language"],
        plans=tuple(_load_plan(plan) for plan in data["plans"]),
        last_name=data.get("last_name", ""),
        sms_phones=tuple(data.get("sms_phones", ())),
        paid_here=data.get("paid_here", True),  # a snapshot older than the field: offer the list
    )


def _dump_plan(plan: PlanSummary) -> dict[str, Any]:
    data: dict[str, Any] = {
        "plan_id": plan.plan_id,
        "kind": plan.kind,
        "name": plan.name,
        "carrier": plan.carrier,
        "status": plan.status.value,
    }
    data.update({name: str(getattr(plan, name)) for name in _MONEY})
    for name in _DATES:
        value = getattr(plan, name)
        data[name] = value.isoformat() if value else None
    data["bills"] = [
        {
            "amount": str(bill.amount),
            "due": bill.due_date.isoformat(),
            "month": bill.coverage_month.isoformat(),
            "past_due": bill.past_due,
        }
        for bill in plan.bills
    ]
    data["autopay"] = plan.autopay.as_json()
    data["returned"] = [
        {
            "amount": str(debit.amount),
            "taken_on": debit.taken_on.isoformat(),
            "last4": debit.last4,
            "kind": debit.kind,
            "retry_on": debit.retry_on.isoformat() if debit.retry_on else None,
        }
        for debit in plan.returned
    ]
    return data


def _load_autopay(data: dict[str, Any] | None) -> AutopayView:
    if not data:
        return AutopayView("none")
    values: dict[str, Any] = {name: data.get(name) for name in _AUTOPAY_PLAIN}
    when, amount = data.get("next_debit_date"), data.get("next_amount")
    return AutopayView(
        **values,
        next_debit_date=date.fromisoformat(when) if when else None,
        next_amount=Decimal(amount) if amount is not None else None,
    )


def _load_plan(data: dict[str, Any]) -> PlanSummary:
    values: dict[str, Any] = {key: data[key] for key in ("plan_id", "kind", "name", "carrier")}
    values["status"] = PlanStatus(data["status"])
    values.update({name: Decimal(data.get(name, "0.00")) for name in _MONEY})
    values.update({name: date.fromisoformat(data[name]) if data[name] else None for name in _DATES})
    values["bills"] = tuple(
        BillDue(
            amount=Decimal(bill["amount"]),
            due_date=date.fromisoformat(bill["due"]),
            coverage_month=date.fromisoformat(bill["month"]),
            past_due=bill["past_due"],
        )
        for bill in data.get("bills", [])
    )
    values["autopay"] = _load_autopay(data.get("autopay"))
    values["returned"] = tuple(
        ReturnedDebit(
            amount=Decimal(debit["amount"]),
            taken_on=date.fromisoformat(debit["taken_on"]),
            last4=debit["last4"],
            kind=debit["kind"],
            retry_on=date.fromisoformat(debit["retry_on"]) if debit["retry_on"] else None,
        )
        for debit in data.get("returned", [])
    )
    return PlanSummary(**values)
