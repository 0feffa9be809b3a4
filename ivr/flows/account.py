"""The verified member's account: what each plan owes, bill by bill; the main menu; the
balance; recent payments."""

from __future__ import annotations

from datetime import date
from typing import cast

from ivr.flows import autopay
from ivr.flows.autopay import state_lines
from ivr.flows.base import (
    Ask,
    Chars,
    Day,
    Digits,
    Go,
    Input,
    Line,
    Money,
    Month,
    MonthDay,
    Outcome,
    Retry,
    Step,
    Term,
    When,
    line,
)
from payments.domain.values import BillDue, PlanStatus, PlanSummary


def bill_lines(kind: Term | None, bills: tuple[BillDue, ...]) -> tuple[Line, ...]:
    """Each open bill with its own amount, due date and month, past due first; the first
    names the plan (`kind`) unless the member has only the one (None)."""
    lines: list[Line] = []
    for index, bill in enumerate(bills):
        which = "next" if index else ("first" if kind else "only")
        key = f"summary.{which}" + ("_past_due" if bill.past_due else "_due")
        values = {"amount": Money(bill.amount), "due": When(bill.due_date)}
        lines.append(line(key, kind=kind, month=Month(bill.coverage_month), **values))
    if any(bill.past_due for bill in bills):
        lines.append(line("summary.at_risk"))
    return tuple(lines)


def returned_lines(plan: PlanSummary) -> tuple[Line, ...]:
    """Bank debits the member's bank sent back lately, and what happens now."""
    kind = Term(f"kind.{plan.kind}")
    lines: list[Line] = []
    for debit in plan.returned:
        about = {"amount": Money(debit.amount), "day": MonthDay(debit.taken_on), "kind": kind}
        if debit.retry_on is not None:
            lines.append(line("summary.returned_retry", when=When(debit.retry_on), **about))
        else:
            lines.append(line("summary.returned", **about))
    return tuple(lines)


def plan_lines(plan: PlanSummary, autopay: bool = False, named: bool = True) -> tuple[Line, ...]:
    """What the plan owes, what its AutoPay is doing and any debit returned lately;
    `autopay`: also say when AutoPay is not set up (the balance choice); `named`: the bills
    say which plan they are for (not needed when the member has no other)."""
    said = _owing_lines(plan, named) + state_lines(plan) + returned_lines(plan)
    if autopay and plan.autopay.status in ("none", "cancelled"):
        said += (line("summary.no_autopay", kind=Term(f"kind.{plan.kind}")),)
    return said


def _owing_lines(plan: PlanSummary, named: bool) -> tuple[Line, ...]:
    kind = Term(f"kind.{plan.kind}")
    if plan.status is PlanStatus.TERMINATED:
        return (line("summary.terminated", kind=kind),)
    processing: tuple[Line, ...] = ()
    if plan.processing > 0:  # held for a charge the processor has not answered: not paid yet
        processing = (line("summary.processing", kind=kind, amount=Money(plan.processing)),)
        if plan.balance <= 0:
            return processing
    lines: tuple[Line, ...]
    if plan.status is PlanStatus.PENDING and plan.balance > 0:
        # A pending plan with a balance has its first bill: a due date and a start.
        start = Day(cast(date, plan.coverage_start))
        amount, due = Money(plan.balance), When(cast(date, plan.due_date))
        lines = (line("summary.pending", kind=kind, amount=amount, due=due, start=start),)
    elif plan.balance > 0:
        lines = bill_lines(kind if named else None, plan.bills)
    elif plan.paid_through:
        lines = (line("summary.paid_through", kind=kind, through=Day(plan.paid_through)),)
    else:
        lines = (line("summary.nothing_due", kind=kind),)
    return processing + lines


def summary_then_menu(ctx, said: tuple[Line, ...] = (), autopay: bool = False) -> Outcome:
    """The account summary, then the main menu, which leaves out the balance choice just
    answered (its key still works, and `*` repeats the menu with it)."""
    ctx.summary_said = True
    return Go("main_menu", said + summary_lines(ctx, autopay))


def summary_lines(ctx, autopay: bool = False) -> tuple[Line, ...]:
    lines: tuple[Line, ...] = ()
    named = len(ctx.account.plans) > 1
    for plan in ctx.account.plans:
        lines += plan_lines(plan, autopay, named)
    return lines


def _main_menu_ask(ctx) -> Ask:
    """Only the choices there are now: no "To pay" with nothing due, no "0" when closed, no
    balance right after it was said, no recent payments when this line took none. (The keys
    still work: they answer what there is.)"""
    account = ctx.account
    lines: tuple[Line, ...] = (line("main_menu.pay"),) if account.payable_plans else ()
    if not ctx.summary_said:
        lines += (line("main_menu.balance"),)
    if account.paid_here:
        lines += (line("main_menu.recent"),)
    if autopay.offered(ctx):
        lines += (line("main_menu.autopay"),)
    if ctx.services.hours.is_open(ctx.now()):
        lines += (line("main_menu.agent"),)
    return Ask(lines, Input.MENU)


def _main_menu(ctx, keys: str) -> Outcome:
    targets = {"1": "choose_plan", "2": "balance", "3": "recent_payments"}
    if autopay.offered(ctx):
        targets["4"] = "autopay"
    if keys not in targets:
        return Retry((line("error.choice"),))
    return Go(targets[keys])


def _balance(ctx) -> Outcome:
    ctx.refresh_account()
    return summary_then_menu(ctx, autopay=True)


def _recent_payments(ctx) -> Outcome:
    """What this line knows, and that payments made elsewhere are not listed."""
    payments = ctx.payments.recent_payments(ctx.state["sub"], limit=3)
    lines = tuple(
        line(
            f"payments.item.{p.status}",
            amount=Money(p.amount),
            day=Day(ctx.services.hours.local(p.created_at).date()),
            kind=Term(f"kind.{p.kind}"),
            method=Term(f"method.{p.method}"),
            last4=Digits(p.last4),
            confirmation=Chars(p.confirmation),
        )
        for p in payments
    )
    return Go("main_menu", (lines or (line("payments.none"),)) + (line("payments.elsewhere"),))


STEPS = (
    Step("main_menu", ask=_main_menu_ask, handle=_main_menu),
    Step("balance", enter=_balance),
    Step("recent_payments", enter=_recent_payments),
)
