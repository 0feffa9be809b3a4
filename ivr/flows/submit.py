"""Hand a confirmed payment to the payments core and word its result."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from ivr.flows.base import Chars, Day, Go, Line, Money, Outcome, Retry, line
from payments.domain.instruments import AccountType, BankDetails, CardDetails, Instrument
from payments.domain.values import (
    AmountNotAllowed,
    PaymentError,
    PaymentInProgress,
    PaymentOutcome,
    PaymentRequest,
    PaymentStatus,
    PlanSummary,
    TelAuthorization,
)

MAX_PAYMENT_TRIES = 3


def chosen_plan(ctx) -> PlanSummary:
    return ctx.account.plan(ctx.state["plan"])


def chosen_amount(ctx) -> Decimal:
    return Decimal(ctx.state["amount"])


def _instrument(ctx) -> Instrument:
    if ctx.state["method"] == "card":
        card = ctx.state["card"]
        return CardDetails(
            number=ctx.secrets["card_number"],
            exp_month=card["exp_month"],
            exp_year=card["exp_year"],
            security_code=ctx.secrets["security_code"],
            postal_code=card["zip"],
        )
    bank = ctx.state["bank"]
    return BankDetails(
        account_type=AccountType(bank["type"]),
        routing_number=bank["routing"],
        account_number=ctx.secrets["account_number"],
    )


def submit(ctx, authorization: TelAuthorization | None = None) -> Outcome:
    """Charge once per confirmation; the idempotency key makes a redelivered webhook harmless."""
    if not _has_details(ctx):
        return Go("choose_method", (line("pay.details_expired"),))
    tries = ctx.state["tries"] = ctx.state.get("tries", 0) + 1
    request = PaymentRequest(
        subscriber_id=ctx.state["sub"],
        plan_id=ctx.state["plan"],
        amount=chosen_amount(ctx),
        instrument=_instrument(ctx),
        channel=ctx.channel,
        idempotency_key=f"{ctx.call_sid}-{tries}",
        call_sid=ctx.call_sid,
        agent_id=ctx.state.get("agent"),
        authorization=authorization,
    )
    try:
        outcome = ctx.payments.submit_payment(request)
    except AmountNotAllowed:
        ctx.refresh_account()
        return Go("main_menu", (line("pay.balance_changed"), line("result.not_charged")))
    except PaymentInProgress:
        return Go("main_menu", (line("pay.in_progress"),))
    except PaymentError:
        # Refused before any charge (e.g. the card expired since it was keyed): say so plainly.
        return Go("retry_payment", (line("pay.refused"), line("result.not_charged")))
    finally:
        ctx.erase_secrets()
    ctx.refresh_account()
    return _after(ctx, outcome, tries)


def answer_readback(ctx, keys: str, pay: Callable[[], Outcome]) -> Outcome:
    """The answers to a payment read-back: 1 pays, 2 changes the method, 3 cancels."""
    if keys == "1":
        return pay()
    if keys not in {"2", "3"}:
        return Retry((line("error.choice"),))
    ctx.erase_secrets()
    if keys == "2":
        return Go("choose_method")
    return Go("main_menu", (line("confirm.cancelled"),))


def _has_details(ctx) -> bool:
    needed = (
        ("card_number", "security_code")
        if ctx.state.get("method") == "card"
        else ("account_number",)
    )
    return all(ctx.secrets.get(name) for name in needed)


def _after(ctx, outcome: PaymentOutcome, tries: int) -> Outcome:
    said = result_lines(outcome)
    if outcome.status in {PaymentStatus.APPROVED, PaymentStatus.SETTLED}:
        ctx.state["result"] = {"confirmation": outcome.confirmation}
        ctx.state["tries"] = 0
        return Go("payment_result", said)
    if tries >= MAX_PAYMENT_TRIES:
        ctx.state["resume"] = "main_menu"
        return Go("offer_agent", said + (line("pay.too_many_tries"),))
    return Go("retry_payment", said)


def result_lines(outcome: PaymentOutcome) -> tuple[Line, ...]:
    """What the caller hears about a finished payment: the truth about money taken."""
    if outcome.status in {PaymentStatus.APPROVED, PaymentStatus.SETTLED}:
        lines = [line("result.approved", confirmation=Chars(outcome.confirmation or ""))]
        if outcome.coverage_start:
            lines.append(line("result.coverage_starts", start=Day(outcome.coverage_start)))
        elif outcome.paid_through and outcome.remaining_balance == 0:
            lines.append(line("result.paid_through", through=Day(outcome.paid_through)))
        if outcome.remaining_balance > 0:
            lines.append(line("result.remaining", amount=Money(outcome.remaining_balance)))
        return tuple(lines)
    reason = outcome.decline_reason.value if outcome.decline_reason else "generic"
    key = "result.failed" if outcome.status is PaymentStatus.FAILED else f"result.declined.{reason}"
    return (line(key), line("result.not_charged"))
