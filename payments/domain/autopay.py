"""AutoPay's rules: which day a month's debit falls on, what it takes, when it may not run.
Pure: no database, no clock.

A member picks the 15th or the 23rd. Each month's debit falls on that day, or the next banking
day when it is a weekend or a Federal Reserve holiday, and takes the plan's balance due that day
(every bill already issued, less what is paid or in flight), so it follows premium changes by
itself. A terminated plan pauses AutoPay; reinstatement resumes it. Regulation E: when the amount
differs from the last debit, the member is told the new amount at least ten days before; a debit
never takes more than the member was last told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from payments.domain.banking import banking_days_between, on_or_after
from payments.domain.billing import add_months
from payments.domain.money import ZERO, cents
from payments.domain.plans import PlanAccount
from payments.domain.values import PlanStatus

DAYS = (15, 23)
# A change or cancellation by phone reaches a debit at least this many banking days away; an
# enrolment's first debit is the first one at least this far off.
LEAD_BANKING_DAYS = 3
NOTICE_DAYS = 10  # Regulation E: a varying amount is told at least 10 days before the debit
NOTICE_HORIZON_DAYS = 24  # notices are sent for debits from 10 to 24 days away


class AutopayStatus(StrEnum):
    ACTIVE = "active"  # debits run on their day
    PAUSED = "paused"  # no debits until the reason goes away
    CANCELLED = "cancelled"  # ended by the member
    NONE = "none"  # never set up


class PauseReason(StrEnum):
    COVERAGE_ENDED = "coverage_ended"  # the plan is terminated; reinstatement resumes it
    ACCOUNT = "account"  # the bank said the account cannot be used: a new account is needed
    AUTHORIZATION = "authorization"  # the bank said it is not authorized: a new authorization


@dataclass(frozen=True)
class Enrolment:
    """What the rules need of an enrolment."""

    day: int
    first_debit_on: date
    cancelled: bool = False
    stopped: PauseReason | None = None


def check_day(day: int) -> int:
    if day not in DAYS:
        raise ValueError(f"AutoPay runs on the 15th or the 23rd, not the {day}th")
    return day


def debit_date(month: date, day: int) -> date:
    """The banking day the debit of `month` (any day in it) falls on."""
    return on_or_after(date(month.year, month.month, check_day(day)))


def next_debit_date(day: int, not_before: date) -> date:
    """The first debit date on or after `not_before`."""
    this_month = debit_date(not_before, day)
    return this_month if this_month >= not_before else debit_date(add_months(not_before, 1), day)


def first_debit_date(day: int, today: date) -> date:
    """An enrolment's first debit: the first at least LEAD_BANKING_DAYS banking days away."""
    candidate = next_debit_date(day, today)
    while banking_days_between(today, candidate) < LEAD_BANKING_DAYS:
        candidate = debit_date(add_months(candidate, 1), day)
    return candidate


def status_of(enrolment: Enrolment | None, plan: PlanStatus) -> tuple[AutopayStatus, str | None]:
    """The enrolment's state in words an operator reads, and why it is paused."""
    if enrolment is None:
        return AutopayStatus.NONE, None
    if enrolment.cancelled:
        return AutopayStatus.CANCELLED, None
    if enrolment.stopped is not None:
        return AutopayStatus.PAUSED, enrolment.stopped.value
    if plan is PlanStatus.TERMINATED:
        return AutopayStatus.PAUSED, PauseReason.COVERAGE_ENDED.value
    return AutopayStatus.ACTIVE, None


def upcoming_debit(enrolment: Enrolment, today: date) -> date:
    """The next debit date from `today` on (never before the first allowed one)."""
    return next_debit_date(enrolment.day, max(today, enrolment.first_debit_on))


def balance_due(plan: PlanAccount, on: date) -> Decimal:
    """What a debit on `on` takes before any cap: the open amount of every bill issued by then
    (a bill is issued on the 1st of the month it is due in), less payments still in flight."""
    issued = sum(
        (bill.open_amount for bill in plan.bills if bill.due_date.replace(day=1) <= on), ZERO
    )
    return max(ZERO, cents(issued - plan.reserved)) if plan.payable else ZERO


def allowed_amount(told: list[tuple[date, Decimal]]) -> Decimal | None:
    """The most a debit may take: the amount the member was told last (`told`: the day and the
    amount of the last debit, of the amount announced with the authorization, and of each notice
    sent at least NOTICE_DAYS before this debit); None when nothing was ever told (a portal
    enrolment's first debit takes the balance due)."""
    if not told:
        return None
    return max(enumerate(told), key=lambda item: (item[1][0], item[0]))[1][1]


def timely(notices: list[tuple[date, Decimal]], debit_on: date) -> list[tuple[date, Decimal]]:
    """The notices told at least NOTICE_DAYS before `debit_on`."""
    latest = debit_on - timedelta(days=NOTICE_DAYS)
    return [notice for notice in notices if notice[0] <= latest]


@dataclass(frozen=True)
class Decision:
    """What the run does with one enrolment on its debit day."""

    amount: Decimal  # ZERO: no debit
    skipped: str | None = None  # why there is no debit
    capped: bool = False  # less than the balance due: more than the member was told


def decide(
    enrolment: Enrolment,
    plan: PlanAccount,
    on: date,
    allowed: Decimal | None,
    written_copy: bool,
) -> Decision:
    """The debit for `on`: the balance due, at most `allowed`; none while paused, before the
    first allowed date, without the written copy of the authorization, or with nothing due."""
    state, reason = status_of(enrolment, plan.status)
    if state is not AutopayStatus.ACTIVE:
        return Decision(ZERO, reason or state.value)
    if on < enrolment.first_debit_on:
        return Decision(ZERO, "before_first_debit")
    if not written_copy:
        return Decision(ZERO, "no_written_copy")
    due = balance_due(plan, on)
    if due == 0:
        return Decision(ZERO, "nothing_due")
    if allowed is not None and due > allowed:
        return Decision(allowed, capped=True)
    return Decision(due)


def needs_notice(projected: Decimal, allowed: Decimal | None) -> bool:
    """A debit of `projected` must be told ahead when it differs from what the member was told."""
    return projected > 0 and allowed is not None and projected != allowed


def next_debit(enrolment: Enrolment, today: date, last_cycle: str | None) -> date:
    """The next debit date: the upcoming one, or the month after when this month's debit has
    been made already (`last_cycle`: "YYYY-MM" of the last debit)."""
    upcoming = upcoming_debit(enrolment, today)
    if last_cycle == f"{upcoming:%Y-%m}":
        upcoming = debit_date(add_months(upcoming, 1), enrolment.day)
    return upcoming


def first_debit_after(day: int, today: date, last_cycle: str | None) -> date:
    """The first debit of a new authorization: LEAD_BANKING_DAYS away, and not in a month
    already debited."""
    first = first_debit_date(day, today)
    if last_cycle == f"{first:%Y-%m}":
        first = debit_date(add_months(first, 1), day)
    return first
