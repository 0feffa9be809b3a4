"""Billing rules of the marketplace (Massachusetts practice): pure functions, no database.

A premium for coverage month M is due on the 23rd of month M-1. Payments go to the oldest open
invoice first; partial payments are allowed; a payment may never exceed what is open.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from payments.domain.money import ZERO, cents
from payments.domain.values import PlanStatus

DUE_DAY = 23


class OverpaymentError(ValueError):
    """An amount larger than everything open on the plan."""


@dataclass(frozen=True)
class Bill:
    """One invoice as the rules see it: the premium for one coverage month."""

    period: date  # first day of the coverage month
    amount: Decimal
    due_date: date
    paid: Decimal = ZERO
    ref: int | None = None  # the invoice's database id, so allocations can point at it

    @property
    def open_amount(self) -> Decimal:
        return max(ZERO, cents(self.amount - self.paid))

    @property
    def is_open(self) -> bool:
        return self.open_amount > 0

    def is_past_due(self, today: date) -> bool:
        return self.is_open and self.due_date < today


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def due_date_for(coverage_month: date) -> date:
    """Premium for coverage month M is due on the 23rd of month M-1."""
    previous = add_months(coverage_month, -1)
    return previous.replace(day=DUE_DAY)


def binder_coverage_start(coverage_month: date, paid_on: date) -> date:
    """When coverage starts for a new enrolment whose first invoice is paid on `paid_on`.

    Paid on or before the 23rd of a month, coverage starts the 1st of the next month; paid later,
    the 1st of the month after that; never before the invoice's own coverage month.
    """
    months_ahead = 1 if paid_on.day <= DUE_DAY else 2
    return max(add_months(coverage_month, 0), add_months(paid_on, months_ahead))


def by_period(bills: Iterable[Bill]) -> list[Bill]:
    return sorted(bills, key=lambda bill: bill.period)


def open_bills(bills: Iterable[Bill]) -> list[Bill]:
    """Open bills, oldest coverage month first."""
    return [bill for bill in by_period(bills) if bill.is_open]


def open_total(bills: Iterable[Bill]) -> Decimal:
    return cents(sum((bill.open_amount for bill in bills), ZERO))


def past_due_total(bills: Iterable[Bill], today: date) -> Decimal:
    return cents(sum((b.open_amount for b in bills if b.is_past_due(today)), ZERO))


def allocate(bills: Iterable[Bill], amount: Decimal) -> list[tuple[Bill, Decimal]]:
    """Split `amount` over the open bills, oldest first; refuses zero, negative and overpayment."""
    if amount <= 0:
        raise ValueError("a payment must be more than zero")
    pending = open_bills(bills)
    if amount > open_total(pending):
        raise OverpaymentError(f"{amount} is more than the {open_total(pending)} open")
    allocations: list[tuple[Bill, Decimal]] = []
    remaining = cents(amount)
    for bill in pending:
        if remaining == 0:
            break
        share = min(bill.open_amount, remaining)
        allocations.append((bill, share))
        remaining -= share
    return allocations


def apply_allocations(
    bills: Iterable[Bill], allocations: Sequence[tuple[Bill, Decimal]]
) -> list[Bill]:
    """The bills as they stand once `allocations` are credited."""
    extra: dict[date, Decimal] = {}
    for bill, share in allocations:
        extra[bill.period] = extra.get(bill.period, ZERO) + share
    return [replace(b, paid=cents(b.paid + extra.get(b.period, ZERO))) for b in by_period(bills)]


def paid_through(bills: Iterable[Bill], coverage_start: date | None = None) -> date | None:
    """Last day of the last coverage month paid in full, counting contiguously from the oldest bill.

    When coverage started after the oldest bill's month (a late binder payment moves the start),
    the paid months are counted from the coverage start instead.
    """
    ordered = by_period(bills)
    months_paid = 0
    for bill in ordered:
        if bill.is_open:
            break
        months_paid += 1
    if months_paid == 0:
        return None
    first = ordered[0].period
    if coverage_start is not None:
        first = max(first, add_months(coverage_start, 0))
    return month_end(add_months(first, months_paid - 1))


def status_after_payment(
    status: PlanStatus, bills: Iterable[Bill], today: date
) -> tuple[PlanStatus, date | None]:
    """The plan's status once its bills stand as given, and the coverage start if it just began."""
    ordered = by_period(bills)
    if status is PlanStatus.PENDING and ordered and not ordered[0].is_open:
        return PlanStatus.ACTIVE, binder_coverage_start(ordered[0].period, today)
    if status is PlanStatus.GRACE and not any(bill.is_past_due(today) for bill in ordered):
        return PlanStatus.ACTIVE, None
    return status, None
