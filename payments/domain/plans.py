"""A plan's account and the rules applied to it: what it owes, whether an amount may be paid,
and what crediting a payment changes. Pure: no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from payments.domain.billing import (
    Bill,
    allocate,
    apply_allocations,
    binder_coverage_start,
    by_period,
    open_bills,
    open_total,
    paid_through,
    past_due_total,
    status_after_payment,
)
from payments.domain.errors import AmountNotAllowed
from payments.domain.money import ZERO, cents, format_amount
from payments.domain.values import BillDue, PlanStatus, PlanSummary


@dataclass(frozen=True)
class PlanAccount:
    """One plan as the rules see it: its bills and the money held by payments in flight."""

    ref: int  # the plan's database id
    plan_id: str
    kind: str  # "health" | "dental"
    name: str
    carrier: str
    status: PlanStatus
    coverage_start: date | None
    bills: tuple[Bill, ...]  # oldest coverage month first
    reserved: Decimal = ZERO  # held by payments still waiting for the processor
    subsidized: bool = False  # ConnectorCare or advance premium tax credit: a grace period

    @property
    def payable(self) -> bool:
        """A terminated plan cannot be paid by phone."""
        return self.status is not PlanStatus.TERMINATED

    def balance(self) -> Decimal:
        """What may be paid now: everything open, less payments in flight."""
        return max(ZERO, cents(open_total(self.bills) - self.reserved)) if self.payable else ZERO


@dataclass(frozen=True)
class Credit:
    """What crediting an approved payment changes on its plan."""

    shares: list[tuple[Bill, Decimal]]  # the amount split over invoices, oldest first
    plan: PlanAccount  # the plan afterwards
    unapplied: Decimal  # more than was open (the billing feed marked bills paid meanwhile)
    coverage_start: date | None  # set when this payment activated a pending plan


def summarize(plan: PlanAccount, today: date) -> PlanSummary:
    """The plan as a caller hears it on `today`."""
    due = open_bills(plan.bills) if plan.payable else []
    return PlanSummary(
        plan_id=plan.plan_id,
        kind=plan.kind,
        name=plan.name,
        carrier=plan.carrier,
        status=plan.status,
        balance=plan.balance(),
        due_date=due[0].due_date if due else None,
        coverage_month=due[0].period if due else None,
        past_due=past_due_total(plan.bills, today) if plan.payable else ZERO,
        coverage_start=_start_if_paid(plan, today),
        paid_through=paid_through(plan.bills, plan.coverage_start),
        bills=tuple(
            BillDue(bill.open_amount, bill.due_date, bill.period, bill.is_past_due(today))
            for bill in due
        ),
        processing=plan.reserved,
    )


def left_after(bills: tuple[BillDue, ...], amount: Decimal) -> tuple[BillDue, ...]:
    """The open bills once `amount` is paid against them, oldest first."""
    left: list[BillDue] = []
    for bill in bills:
        share = min(bill.amount, amount)
        amount -= share
        if bill.amount > share:
            left.append(replace(bill, amount=cents(bill.amount - share)))
    return tuple(left)


def _start_if_paid(plan: PlanAccount, today: date) -> date | None:
    """For a pending plan: when coverage starts if its first bill is paid in full today."""
    if plan.status is not PlanStatus.PENDING:
        return None
    first = by_period(plan.bills)[0] if plan.bills else None
    if first is not None and first.is_open:
        return binder_coverage_start(first.period, today)
    return plan.coverage_start


def check_payable(plan: PlanAccount, amount: Decimal) -> None:
    """Raise AmountNotAllowed unless `amount` may be paid on `plan` by phone now."""
    if not plan.payable:
        raise AmountNotAllowed("a terminated plan cannot be paid by phone")
    if amount > plan.balance():
        raise AmountNotAllowed(f"at most {format_amount(plan.balance())} can be paid now")


def release(plan: PlanAccount, amount: Decimal) -> PlanAccount:
    """The plan once a payment of `amount` no longer holds money in flight."""
    return replace(plan, reserved=max(ZERO, plan.reserved - amount))


def credit(plan: PlanAccount, amount: Decimal, paid_on: date) -> Credit:
    """Credit an approved payment to the oldest open bills; move the plan's status on.

    `paid_on` is the day the caller confirmed, even when the answer is recorded later. The amount
    was checked against the balance when reserved; should the billing feed have marked bills paid
    since, the money is already taken: what no bill can take is returned as `unapplied`.
    """
    applicable = min(amount, open_total(plan.bills))
    shares = allocate(plan.bills, applicable) if applicable > 0 else []
    bills = tuple(apply_allocations(plan.bills, shares))
    status, start = status_after_payment(plan.status, bills, paid_on)
    after = replace(plan, bills=bills, status=status)
    if start is not None:
        after = replace(after, coverage_start=start)
    return Credit(shares, after, cents(amount - applicable), start)


def status_after_reversal(plan: PlanAccount, binder_undone: bool, today: date) -> PlanStatus:
    """The plan's status once a payment's credit is taken back (a returned bank debit): a binder
    that no longer pays the first bill leaves the plan waiting for it again; a subsidized plan
    with a bill past due is back in its grace period."""
    bills = by_period(plan.bills)
    if plan.status is PlanStatus.ACTIVE and binder_undone and bills and bills[0].is_open:
        return PlanStatus.PENDING
    past_due = any(bill.is_past_due(today) for bill in bills)
    if plan.status is PlanStatus.ACTIVE and plan.subsidized and past_due:
        return PlanStatus.GRACE
    return plan.status
