"""An agent-started capture, on the caller's leg: it enters the capture sub-flow directly with
the agent's choices, and every way it ends (a result, a cancel, too many errors, a caller who
presses 0) takes the caller back to the agent with a short sentence of what happened.

A payment goes through the card or bank steps (ivr.flows.capture); an AutoPay enrolment through
the bank account steps and then the recurring authorization (ivr.flows.autopay_enrol)."""

from __future__ import annotations

from ivr.agents.capture import (
    ASKED_ONCE,
    AUTOPAY,
    CANCELLED,
    CAPTURING,
    ENROLLED,
    FAILED,
    FIELDS,
    FINAL,
    PROCESSING,
    REFUSED,
    Capture,
    all_done,
    ended_by,
)
from ivr.agents.capture import field_states as fields_of
from ivr.flows.autopay import ENROL
from ivr.flows.base import Go, Line, Outcome, Transfer, line
from payments.domain.values import PaymentOutcome
from payments.services.autopay_values import Enrolled

# What an earlier payment, enrolment or self-service step left in the call's state.
_STALE = ("card", "bank", "method", "pay_key", "processing", "confirming", "unsuccessful")
_STALE_AUTOPAY = ("purpose", "ap_plan", "ap_day", "ap_sms", "ap_first")


def begin(ctx, capture: Capture) -> Outcome:
    """Into the sub-flow with the agent's choices: a payment's plan, amount and method, or an
    AutoPay enrolment's plan and day. The caller keys the details."""
    ctx.erase_secrets()
    for stale in _STALE + _STALE_AUTOPAY:
        ctx.state.pop(stale, None)
    ctx.state.update(
        sub=capture.subscriber_id, verified=True, agent=capture.agent, capture=capture.id
    )
    if capture.purpose == AUTOPAY:
        ctx.state.update(purpose=ENROL, ap_plan=capture.plan_id, ap_day=capture.day)
        first, intro = "bank_account_type", "capture.autopay_intro"
    else:
        ctx.state.update(plan=capture.plan_id, amount=capture.amount, method=capture.method)
        first = "card_number" if capture.method == "card" else "bank_account_type"
        intro = "capture.intro"
    ctx.refresh_account()
    ctx.services.captures.update(capture.id, state=CAPTURING)
    return Go(first, (line(intro),))


def again(ctx, capture: Capture, field: str) -> Outcome:
    """The agent asked for one field again."""
    step = FIELDS[capture.form].get(field)
    if step is None or field in ASKED_ONCE:
        return Go(ctx.step)  # nothing to take again there: the caller hears the question again
    return Go(step, (line("capture.again"),))


def cancelled_by_agent(ctx, capture: Capture) -> Outcome:
    end(ctx, CANCELLED, "cancelled by the agent")
    told = "capture.autopay_cancelled" if capture.purpose == AUTOPAY else "capture.cancelled"
    return Transfer((line(told), line("capture.back")))


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


def enrolment_finished(ctx, enrolled: Enrolled | None, said: tuple[Line, ...]) -> Outcome:
    """AutoPay is set up (the caller heard its reference), or was refused with nothing changed
    (`enrolled` None); the caller goes back to the agent, who sees which."""
    if enrolled is None:
        end(ctx, REFUSED, "refused: AutoPay was not set up and nothing was changed")
    else:
        enrolment = {
            "first_debit": enrolled.first_debit.isoformat(),
            "first_amount": str(enrolled.first_amount),
            "written_copy": enrolled.written_copy,
        }
        message = "AutoPay is set up"
        end(ctx, ENROLLED, message, entered=True, reference=enrolled.reference, enrolment=enrolment)
    return Transfer((*said, line("capture.back")))


def still_processing(ctx, said: tuple[Line, ...]) -> Outcome:
    """The processor has not answered after every hold: the caller goes back to the agent, whose
    screen shows the result when it comes (Captures.with_ledger)."""
    end(ctx, PROCESSING, "the processor has not answered yet")
    return Transfer((*said, line("capture.back")))


def end(ctx, state: str, message: str, entered: bool = False, **changes: object) -> None:
    """The capture is over: recorded for the agent (each field as it ended; all of them when
    `entered`, which a hang-up meanwhile does not hide), the keyed details gone."""
    capture_id = ctx.state.pop("capture", None)
    ctx.state.pop("purpose", None)  # an AutoPay capture's steps are over too
    ctx.state["back_to_agent"] = True  # this turn's transfer returns to the agent's conference
    capture = ctx.services.captures.get(capture_id) if capture_id else None
    if capture is not None:
        fields = fields_of(capture.form, "", ctx.state, ctx.secrets)
        if entered:  # the caller accepted: every field was entered
            fields = all_done(fields)
        elif capture.payment_key is not None:  # the caller confirmed: the payment started
            fields = all_done(capture.fields)
        changes = {"fields": fields, **changes}
    ctx.erase_secrets()
    if capture_id is not None:
        captures = ctx.services.captures
        captures.update(capture_id, made=entered, state=state, message=message, **changes)


def back_to_agent(ctx) -> Outcome:
    """The caller pressed 0, or could not finish: back to the agent, nothing charged."""
    capture = ctx.services.captures.get(ctx.state.get("capture", ""))
    if capture is not None and capture.state not in FINAL:
        end(ctx, CANCELLED, "the caller went back to the agent")
    autopay = capture is not None and capture.purpose == AUTOPAY
    told = "autopay.not_done" if autopay else "capture.not_made"
    return Transfer((line(told), line("capture.back")))
