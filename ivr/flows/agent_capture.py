"""An agent-started capture, on the caller's leg: it enters the capture sub-flow directly with
the agent's choices, and every way it ends (a result, a cancel, too many errors, a caller who
presses 0) takes the caller back to the agent with a short sentence of what happened."""

from __future__ import annotations

from ivr.capture import CANCELLED, CAPTURING, FIELDS, FINAL, Capture
from ivr.flows.base import Go, Line, Outcome, Transfer, line
from payments.domain.values import PaymentOutcome, PaymentStatus


def begin(ctx, capture: Capture) -> Outcome:
    """Into the sub-flow: the agent's plan, amount and method; the caller keys the details."""
    ctx.erase_secrets()
    for stale in ("card", "bank", "pay_key", "processing", "confirming", "unsuccessful"):
        ctx.state.pop(stale, None)
    ctx.state.update(
        sub=capture.subscriber_id,
        verified=True,
        plan=capture.plan_id,
        amount=capture.amount,
        method=capture.method,
        agent=capture.agent,
        capture=capture.id,
    )
    ctx.refresh_account()
    ctx.services.captures.update(capture.id, state=CAPTURING)
    first = "card_number" if capture.method == "card" else "bank_account_type"
    return Go(first, (line("capture.intro"),))


def again(ctx, capture: Capture, field: str) -> Outcome:
    """The agent asked for one field again."""
    step = FIELDS[capture.method].get(field)
    if step is None or step in ("confirm_payment", "bank_authorization"):
        return Go(ctx.step)  # nothing to take again there: the caller hears the question again
    return Go(step, (line("capture.again"),))


def cancelled_by_agent(ctx, capture: Capture) -> Outcome:
    end(ctx, CANCELLED, "cancelled by the agent")
    return Transfer((line("capture.cancelled"), line("capture.back")))


def finished(ctx, outcome: PaymentOutcome, said: tuple[Line, ...]) -> Outcome:
    """The payment's truth is told; the caller goes back to the agent, who sees the result."""
    plan = outcome.plan
    end(
        ctx,
        outcome.status.value if outcome.status is not PaymentStatus.PENDING else "processing",
        outcome.status.value,
        confirmation=outcome.confirmation,
        payment={
            "status": outcome.status.value,
            "amount": str(outcome.amount),
            "remaining_balance": str(plan.balance) if plan else None,
        },
    )
    return Transfer((*said, line("capture.back")))


def end(ctx, state: str, message: str, **changes: object) -> None:
    """The capture is over: recorded for the agent, the keyed details gone."""
    capture_id = ctx.state.pop("capture", None)
    ctx.state["back_to_agent"] = True  # this turn's transfer returns to the agent's conference
    ctx.erase_secrets()
    if capture_id is not None:
        ctx.services.captures.update(capture_id, state=state, message=message, **changes)


def back_to_agent(ctx) -> Outcome:
    """The caller pressed 0, or could not finish: back to the agent, nothing charged."""
    capture = ctx.services.captures.get(ctx.state.get("capture", ""))
    if capture is not None and capture.state not in FINAL:
        end(ctx, CANCELLED, "the caller went back to the agent")
    return Transfer((line("capture.not_made"), line("capture.back")))
