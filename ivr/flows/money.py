"""What the call says about money, derived from the payments' records, never from the step the
call is at: the result of one payment, news of a payment the processor answered late, and the
whole call's payments when it ends, when a payment is cancelled, or when something fails.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import cast

from ivr.flows.base import (
    Chars,
    Day,
    Digits,
    Line,
    Money,
    Month,
    MonthDay,
    Opening,
    Term,
    When,
    line,
)
from payments.domain.values import (
    BillDue,
    CallPayment,
    PaymentOutcome,
    PaymentStatus,
    PlanStatus,
    PlanSummary,
)

log = logging.getLogger(__name__)


def result_lines(
    outcome: PaymentOutcome,
    method: str,
    bank: dict[str, str] | None = None,
    today: date | None = None,
) -> tuple[Line, ...]:
    """What the caller hears about a payment the processor has answered (by card or bank). A
    bank debit is not money yet: it is told as scheduled, and coverage as going on once it
    clears, never "covered through"."""
    if outcome.charged and method == "bank" and bank is not None and today is not None:
        return _scheduled_lines(outcome, bank, today)
    if outcome.charged:
        lines = [line("result.approved", confirmation=Chars(outcome.confirmation or ""))]
        if outcome.coverage_start:
            lines.append(line("result.coverage_starts", start=Day(outcome.coverage_start)))
        elif outcome.paid_through and outcome.remaining_balance == 0:
            lines.append(line("result.paid_through", through=MonthDay(outcome.paid_through)))
        if outcome.plan is not None:
            lines += left_owing(outcome.plan, outcome.plan.bills, "result.still")
        return tuple(lines)
    reason = outcome.decline_reason.value if outcome.decline_reason else "generic"
    key = "result.failed" if outcome.status is PaymentStatus.FAILED else f"result.declined.{reason}"
    if key == "result.declined.generic":
        key += f".{method}"  # the card's issuer, or the bank: whoever said no
    return (line(key), line("result.not_charged"))


def _scheduled_lines(
    outcome: PaymentOutcome, bank: dict[str, str], today: date
) -> tuple[Line, ...]:
    account = {"account_type": Term(f"account.{bank['type']}"), "last4": Digits(bank["last4"])}
    lines = [
        line("result.scheduled", day=MonthDay(today), **account),
        line("result.confirmation", confirmation=Chars(outcome.confirmation or "")),
    ]
    if outcome.coverage_start:
        lines.append(line("result.coverage_starts_clears", start=Day(outcome.coverage_start)))
    else:
        lines.append(line("result.clears"))
    if outcome.plan is not None:
        lines += left_owing(outcome.plan, outcome.plan.bills, "result.still")
    return tuple(lines)


def left_owing(plan: PlanSummary, left: tuple[BillDue, ...], prefix: str) -> tuple[Line, ...]:
    """What is still owed on `plan` once its bills stand as `left`, said as it is: what is past
    due and that coverage is at risk; a first bill that must be paid in full before coverage
    starts; or the next amount due and when. Nothing when nothing is left."""
    if not left:
        return ()
    past_due = sum((bill.amount for bill in left if bill.past_due), Decimal("0.00"))
    if past_due > 0:
        return (line(f"{prefix}_past_due", amount=Money(past_due)),)
    first = left[0]
    amount, due, month = Money(first.amount), When(first.due_date), Month(first.coverage_month)
    if plan.status is PlanStatus.PENDING:
        return (line(f"{prefix}_binder", amount=amount, due=due),)
    return (line(f"{prefix}_due", amount=amount, due=due, month=month),)


def methods_term(ctx) -> Term:
    """The payment methods this line takes, as words: "card", "bank account", or both."""
    settings = ctx.settings
    if settings.both_methods:
        return Term("method.card_or_bank")
    return Term(f"method.{'card' if settings.card_enabled else 'bank'}")


def late_news(outcome: PaymentOutcome) -> tuple[Line, ...]:
    """A payment the caller was told is still being processed, now answered."""
    about = _about(outcome.amount, outcome.plan_kind)
    if outcome.charged:
        confirmation = Chars(cast(str, outcome.confirmation))  # a charged payment has one
        return (
            line("news.approved", **about),
            line("result.confirmation", confirmation=confirmation),
        )
    return (line("news.not_charged", **about),)


def _about(amount: Decimal, kind: str) -> dict[str, Money | Term]:
    """The words naming a payment: its amount and its plan's kind."""
    return {"amount": Money(amount), "kind": Term(f"kind.{kind}")}


def recap(payments: list[CallPayment], nothing_line: str | None) -> tuple[Line, ...]:
    """Each payment of the call that took money or is still being processed, by amount and plan;
    `nothing_line` when there is none (None: say nothing then)."""
    lines: tuple[Line, ...] = ()
    for payment in payments:
        about = _about(payment.amount, payment.plan_kind)
        if payment.status.charged:
            lines += (line("recap.went_through", **about),)
        elif payment.status is PaymentStatus.PENDING:
            lines += (line("recap.processing", **about),)
    if not lines and nothing_line:
        lines = (line(nothing_line),)
    return lines


def recovered_lines(ctx) -> tuple[Line, ...]:
    """The call's state was lost: its payments as recorded, before anything else is said. One
    still being processed is watched (`untold`), so its result is told later in the call."""
    lines: tuple[Line, ...] = ()
    for payment in call_payments(ctx):
        about = _about(payment.amount, payment.plan_kind)
        if payment.status.charged:
            confirmation = Chars(payment.confirmation)
            lines += (
                line("recap.went_through", **about),
                line("result.confirmation", confirmation=confirmation),
            )
        elif payment.status is PaymentStatus.PENDING:
            lines += (line("recap.in_flight", **about),)
            ctx.state.setdefault("untold", []).append(payment.idempotency_key)
        else:
            lines += (line("recap.not_charged", **about),)
    return lines


def call_payments(ctx) -> list[CallPayment]:
    """The payments confirmed in this call, as recorded."""
    return ctx.payments.payments_of_call(ctx.call_sid)


def goodbye_lines(
    ctx, opening: Opening | None = None, why: str = "goodbye.silence"
) -> tuple[Line, ...]:
    """The call ends (on the caller's silence, or `why`): what it did with money, when
    representatives can be reached (`opening`, when they are closed), then goodbye."""
    money = recap(call_payments(ctx), "recap.nothing")
    hours = (line("agent.closed", opening=opening),) if opening is not None else ()
    return (line(why), *money, *hours, line("goodbye.bye"))


def cancelled_lines(ctx) -> tuple[Line, ...]:
    """A payment was cancelled at its read-back; earlier ones in the call still stand."""
    return (line("confirm.cancelled"), *recap(call_payments(ctx), None))


def payment_news(ctx) -> tuple[Line, ...]:
    """Payments the caller was told are still being processed, whose answer has come since."""
    untold: list[str] = ctx.state.get("untold") or []
    lines: tuple[Line, ...] = ()
    for key in list(untold):
        found = ctx.payments.outcome(key)
        if found is not None and found.status.answered:
            untold.remove(key)
            lines += late_news(found)
    if not untold:
        ctx.state.pop("untold", None)
    return lines


def fault_lines(ctx) -> tuple[Line, ...]:
    """What a failing webhook can truthfully say about the call's money.

    A confirmation whose payment was never handed to the processor (`confirming` still set:
    services.PaymentService.start_payment raised) was not charged. The call's other payments
    are told from their records; when those cannot be read, the caller is told where to learn
    the result, if the call had any payment.
    """
    confirming = ctx.state.get("confirming")
    lines = (line("fault.not_started"),) if confirming else ()
    try:
        payments = [p for p in call_payments(ctx) if p.idempotency_key != confirming]
    except Exception:  # noqa: BLE001 - the database may be what failed
        log.warning("call %s: payments of the call unreadable during a fault", ctx.call_sid)
        had_payment = any(ctx.state.get(k) for k in ("processing", "untold", "result"))
        return lines + ((line("fault.unknown"),) if had_payment else ())
    return lines + recap(payments, None)
