"""An agent-started capture, on the caller's leg: it enters the capture sub-flow directly with
the agent's choices, and every way it ends (a result, a cancel, too many errors, a caller who
presses 0) takes the caller back to the agent with a short sentence of what happened."""

from __future__ import annotations

from ivr.capture import (
    CANCELLED,
    CAPTURING,
    FAILED,
    FIELDS,
    FINAL,
    PROCESSING,
    Capture,
    all_done,
    ended_by,
)
from ivr.capture import field_states as fields_of
from ivr.flows.base import Go, Line, Outcome, Transfer, line
from payments.domain.values import PaymentOutcome


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


def charging(ctx, key: str) -> None:
    """The payment is about to start under `key`: from now on its record is the capture's truth
    (the caller may hang up, or the line fail, before hearing the result)."""
    ctx.services.captures.note_payment(ctx.state["capture"], key)


def finished(ctx, outcome: PaymentOutcome, said: tuple[Line, ...]) -> Outcome:
    """The payment's truth is told; the caller goes back to the agent, who sees the result."""
    end(ctx, **ended_by(outcome))
    return Transfer((*said, line("capture.back")))


def refused(ctx, said: tuple[Line, ...]) -> Outcome:
    """The payments core refused the payment before charging (the balance changed, a limit was
    reached, the card expired since it was keyed): nothing charged; back to the agent."""
    end(ctx, FAILED, "refused before charging: nothing was charged")
    return Transfer((*said, line("capture.back")))


def still_processing(ctx, said: tuple[Line, ...]) -> Outcome:
    """The processor has not answered after every hold: the caller goes back to the agent, whose
    screen shows the result when it comes (Captures.with_ledger)."""
    end(ctx, PROCESSING, "the processor has not answered yet")
    return Transfer((*said, line("capture.back")))


def end(ctx, state: str, message: str, **changes: object) -> None:
    """The capture is over: recorded for the agent (each field as it ended), the keyed details
    gone."""
    capture_id = ctx.state.pop("capture", None)
    ctx.state["back_to_agent"] = True  # this turn's transfer returns to the agent's conference
    capture = ctx.services.captures.get(capture_id) if capture_id else None
    if capture is not None:
        fields = fields_of(capture.method, "", ctx.state, ctx.secrets)
        if capture.payment_key is not None:  # the caller confirmed: the payment started
            fields = all_done(capture.fields)
        changes = {"fields": fields, **changes}
    ctx.erase_secrets()
    if capture_id is not None:
        ctx.services.captures.update(capture_id, state=state, message=message, **changes)


def back_to_agent(ctx) -> Outcome:
    """The caller pressed 0, or could not finish: back to the agent, nothing charged."""
    capture = ctx.services.captures.get(ctx.state.get("capture", ""))
    if capture is not None and capture.state not in FINAL:
        end(ctx, CANCELLED, "the caller went back to the agent")
    return Transfer((line("capture.not_made"), line("capture.back")))
