"""Hand a confirmed payment to the payments core; tell the caller what its record says.

Every read-back draws its own idempotency key when it is asked (`draw_payment_key`), so any
number of payments work in one call, and a confirmation handled twice (a redelivered webhook, a
retry after a fault) is charged once. The key is forgotten only once the payment is handed over.

The confirming webhook waits for the processor a moment (`Settings.processor_wait`); past that
the caller hears a hold (Twilio's pause does the waiting, no server thread does) and the call
comes back to `poll_payment` until the answer is recorded. After MAX_HOLDS the caller is told
the payment is still being processed and goes on; the answer is told as soon as it is known
(ivr.flows.money.payment_news).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from decimal import Decimal

from ivr.flows import agent_capture
from ivr.flows.base import Go, Hold, Line, Outcome, Retry, line
from ivr.flows.money import cancelled_lines, result_lines
from payments.domain.errors import AmountNotAllowed, PaymentError, TooManyDeclines
from payments.domain.instruments import AccountType, BankDetails, CardDetails, Instrument
from payments.domain.limits import DECLINES_PER_CALL
from payments.domain.values import (
    Channel,
    PaymentOutcome,
    PaymentRequest,
    PlanSummary,
    TelAuthorization,
)

log = logging.getLogger(__name__)

MAX_HOLDS = 10
PROCESSING = "payment_processing"


def chosen_plan(ctx) -> PlanSummary:
    return ctx.account.plan(ctx.state["plan"])


def chosen_amount(ctx) -> Decimal:
    return Decimal(ctx.state["amount"])


def draw_payment_key(ctx) -> None:
    """A fresh idempotency key for the read-back about to be asked."""
    ctx.state["pay_key"] = f"{ctx.call_sid}-{secrets.token_hex(6)}"


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
    """The caller confirmed: start the payment under this read-back's key and wait briefly."""
    if not _has_details(ctx):
        return Go("choose_method", (line("pay.details_expired"),))
    if "pay_key" not in ctx.state:
        draw_payment_key(ctx)
    request = _request(ctx, ctx.state["pay_key"], authorization)
    # Until the payment is handed over or refused: a failure meanwhile means not charged.
    ctx.state["confirming"] = request.idempotency_key
    if ctx.state.get("capture"):
        agent_capture.charging(ctx, request.idempotency_key)
    try:
        ctx.payments.start_payment(request)
    except PaymentError as refused:
        ctx.state.pop("confirming")
        return _refused(ctx, refused)
    finally:
        ctx.erase_secrets()
    ctx.state.pop("confirming")
    ctx.state["processing"] = ctx.state.pop("pay_key")
    ctx.state["holds"] = 0
    return poll_payment(ctx, wait=True)


def _refused(ctx, refused: PaymentError) -> Outcome:
    """The core refused the payment before anything was charged: say why, plainly."""
    if isinstance(refused, AmountNotAllowed):
        ctx.refresh_account()
        said: tuple[Line, ...] = (line("pay.balance_changed"), line("result.not_charged"))
    elif isinstance(refused, TooManyDeclines):
        said = (line(f"pay.limit.{refused.scope}"),)
    else:  # e.g. the card expired since it was keyed
        said = (line("pay.refused"), line("result.not_charged"))
    if ctx.state.get("capture"):
        return agent_capture.refused(ctx, said)
    if isinstance(refused, TooManyDeclines):
        return _limit_reached(ctx, refused.scope)
    if isinstance(refused, AmountNotAllowed):
        return Go("main_menu", said)
    return Go("retry_payment", said)


def _request(ctx, key: str, authorization: TelAuthorization | None) -> PaymentRequest:
    return PaymentRequest(
        subscriber_id=ctx.state["sub"],
        plan_id=ctx.state["plan"],
        amount=chosen_amount(ctx),
        instrument=_instrument(ctx),
        channel=Channel.AGENT if ctx.state.get("capture") else ctx.channel,
        idempotency_key=key,
        call_sid=ctx.call_sid,
        agent_id=ctx.state.get("agent"),
        authorization=authorization,
    )


def poll_payment(ctx, wait: bool = False) -> Outcome:
    """The processing payment's outcome if answered; else a hold, or after MAX_HOLDS, go on.
    `wait`: the confirming webhook waits a moment for a fast processor; a hold never does."""
    key = ctx.state["processing"]
    found = ctx.payments.outcome(key, wait=ctx.processor_wait() if wait else 0.0)
    if found is not None and found.status.answered:
        return told(ctx, found)
    holds = ctx.state["holds"] = ctx.state.get("holds", 0) + 1
    if holds == 1:
        return Hold(PROCESSING, (line("pay.processing"),))
    if holds < MAX_HOLDS:
        return Hold(PROCESSING, (line("pay.still_processing"),))
    if ctx.state.get("capture"):
        ctx.state.pop("processing")
        return agent_capture.still_processing(ctx, (line("capture.still_processing"),))
    ctx.state.setdefault("untold", []).append(ctx.state.pop("processing"))
    return Go("main_menu", (line("pay.will_tell"),))


def told(ctx, outcome: PaymentOutcome) -> Outcome:
    """Tell an answered payment's truth and move on."""
    ctx.state.pop("processing", None)
    ctx.refresh_account()
    method = ctx.state.get("method", "card")
    said = result_lines(outcome, method, ctx.state.get("bank"), ctx.today())
    if ctx.state.get("capture"):
        return agent_capture.finished(ctx, outcome, said)
    if outcome.charged:
        ctx.state["result"] = {"confirmation": outcome.confirmation}
        return Go("payment_result", said)
    unsuccessful = ctx.state["unsuccessful"] = ctx.state.get("unsuccessful", 0) + 1
    if unsuccessful >= DECLINES_PER_CALL:
        return _limit_reached(ctx, "call", said)
    return Go("retry_payment", said)


def _limit_reached(ctx, scope: str, said: tuple[Line, ...] = ()) -> Outcome:
    """No more attempts: say so plainly and offer a representative."""
    ctx.state["resume"] = "main_menu"
    return Go("offer_agent", said + (line(f"pay.limit.{scope}"),))


def answer_readback(ctx, keys: str, pay: Callable[[], Outcome]) -> Outcome:
    """The answers to a payment read-back: 1 pays, 2 changes the method, 3 cancels.

    A read-back whose key already holds a payment is told instead (`confirmed_before`).
    """
    if keys == "1":
        return pay()
    if keys not in {"2", "3"}:
        return Retry((line("error.choice"),))
    ctx.erase_secrets()
    confirmed = confirmed_before(ctx)
    if confirmed is not None:
        return confirmed
    ctx.state.pop("pay_key", None)
    if ctx.state.get("capture"):  # the agent chose the method: changing or cancelling ends it
        return agent_capture.back_to_agent(ctx)
    if keys == "2":
        return Go("choose_method")
    return Go("main_menu", cancelled_lines(ctx))


def confirmed_before(ctx) -> Outcome | None:
    """The read-back was confirmed by an earlier webhook whose answer the caller never heard (it
    failed, timed out, or its state was lost in a store blip): the payment under its key
    started, and its truth is told instead of the read-back again. None when there is none."""
    key = ctx.state.get("pay_key")
    if key is None or ctx.payments.outcome(key) is None:
        return None
    log.warning("call %s: a read-back answered after its payment started", ctx.call_sid)
    ctx.erase_secrets()
    ctx.state["processing"] = ctx.state.pop("pay_key")
    ctx.state["holds"] = 0
    return poll_payment(ctx)


def _has_details(ctx) -> bool:
    needed = (
        ("card_number", "security_code")
        if ctx.state.get("method") == "card"
        else ("account_number",)
    )
    return all(ctx.secrets.get(name) for name in needed)
