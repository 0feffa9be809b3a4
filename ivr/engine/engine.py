"""Runs one webhook's worth of a call: apply one input to the flow and say what comes next.

The flow is declared once (ivr.flows.STEPS); the engine adds what every prompt shares:
'*' repeats, '0' reaches a representative, no-input and bad-input limits, and the read-back of
spoken answers before they are used for anything that costs money.
"""

from __future__ import annotations

from dataclasses import dataclass

from ivr.engine.context import CallContext
from ivr.flows import STEPS, agent_capture
from ivr.flows.back import back_from
from ivr.flows.base import (
    Ask,
    Go,
    Hangup,
    Hold,
    Input,
    Line,
    Opening,
    Outcome,
    Retry,
    Transfer,
    line,
)
from ivr.flows.money import goodbye_lines
from ivr.speech.commands import BACK, HELP, REPRESENTATIVE, spoken_command
from ivr.speech.digits import speech_to_keys

MAX_FAILURES = 3
OFFER_AFTER_SILENCES = 3
RELAY_SILENCES = 8  # relay: after this many, connect to a representative rather than wait on


@dataclass(frozen=True)
class Turn:
    """What the caller hears now (every word of it in `said`) and what happens after it."""

    said: tuple[Line, ...]
    then: Ask | Transfer | Hangup | Hold


@dataclass(frozen=True)
class Event:
    keys: str | None = None  # "" is an answer: the finish key alone
    speech: str | None = None
    hold: bool = False  # a Hold came back: poll the step
    resumed: bool = False  # the webhook that took this turn's input ran out of time

    @property
    def silent(self) -> bool:
        return self.keys is None and not (self.speech or self.hold or self.resumed)


def start(ctx: CallContext, first_step: str, welcome: tuple[Line, ...] = ()) -> Turn:
    """The call's first turn: `welcome`, said once, then the first step."""
    ctx.state["step"] = first_step
    return _follow(ctx, Go(first_step, welcome))


def handle(ctx: CallContext, event: Event) -> Turn:
    if event.hold or (event.resumed and STEPS[ctx.step].poll is not None):
        return _follow(ctx, _poll(ctx))
    if event.resumed:
        return Turn((line("error.slow"),), _ask(ctx))
    if event.silent:
        return _silence(ctx)
    ctx.state["silences"] = 0
    keys = event.keys or ""
    if event.speech and not keys:
        command = spoken_command(event.speech, ctx.lang)
        if command is not None:
            return _command(ctx, command)
        spoken = speech_to_keys(event.speech, ctx.lang)
        if not spoken:
            return _retry(ctx, Retry((line("error.not_understood"),)))
        if _worth_reading_back(_ask(ctx), spoken):
            ctx.secrets["heard"] = spoken
            ctx.state["heard_for"] = ctx.step
            return _follow(ctx, Go("confirm_heard"))
        keys = spoken
    if keys == "*":
        return Turn((), _ask(ctx))
    if keys == "0" and _ask(ctx).zero_is_representative():
        return _follow(ctx, Transfer())
    step = STEPS[ctx.step]
    if step.handle is None:
        raise LookupError(f"step {ctx.step} takes no input")
    return _follow(ctx, step.handle(ctx, keys))


def _command(ctx: CallContext, command: str) -> Turn:
    """A command said at a relay prompt: repeat, a representative, help, or go back."""
    if command == REPRESENTATIVE:
        return _follow(ctx, Transfer())
    if command == BACK:
        previous = back_from(ctx)
        if previous is not None:
            return _follow(ctx, Go(previous))
        return Turn((line("help.no_back"),), _ask(ctx))
    return Turn((line("help.relay"),) if command == HELP else (), _ask(ctx))


def _worth_reading_back(ask: Ask, spoken: str) -> bool:
    """Spoken keys are read back before a costly step uses them, when they have the step's
    shape. Anything else (a card number read at the expiry prompt) goes to the step, which
    refuses it with its own error: never read back in full, never kept."""
    if not ask.costly or spoken in {"*", "0"}:
        return False
    fewest, most = ask.length or (1, len(spoken))
    return fewest <= len(spoken) <= most


def go(ctx: CallContext, outcome: Outcome) -> Turn:
    """Follow an outcome decided outside a caller's input (an agent's capture)."""
    return _follow(ctx, outcome)


def _poll(ctx: CallContext) -> Outcome:
    poll = STEPS[ctx.step].poll
    if poll is None:
        raise LookupError(f"step {ctx.step} holds for nothing")
    return poll(ctx)


def _ask(ctx: CallContext) -> Ask:
    step = STEPS[ctx.step]
    if step.ask is None:
        raise LookupError(f"step {ctx.step} asks nothing")
    return step.ask(ctx)


def _follow(ctx: CallContext, outcome: Outcome, said: tuple[Line, ...] = ()) -> Turn:
    for _ in range(len(STEPS) + 1):  # a flow that loops without asking is a bug, not a hang
        said += outcome.said
        if isinstance(outcome, Hangup):
            return Turn(said, Hangup())
        if isinstance(outcome, Hold):
            ctx.state["step"] = outcome.step
            return Turn(said, Hold(outcome.step))
        if isinstance(outcome, Retry):
            return _retry(ctx, Retry(said))
        if isinstance(outcome, Transfer):
            outcome = _representative(ctx)
            if isinstance(outcome, Transfer):
                return Turn(said + outcome.said, Transfer())
            continue
        if outcome.step != ctx.step:
            ctx.state.setdefault("fails", {}).pop(outcome.step, None)
        ctx.state["step"] = outcome.step
        step = STEPS[outcome.step]
        following = step.enter(ctx) if step.enter else None
        if following is None:
            return Turn(said, _ask(ctx))
        outcome = following
    raise RuntimeError(f"flow did not settle after step {ctx.step}")


def _retry(ctx: CallContext, retry: Retry) -> Turn:
    fails = ctx.state.setdefault("fails", {})
    fails[ctx.step] = fails.get(ctx.step, 0) + 1
    if fails[ctx.step] >= MAX_FAILURES and ctx.state.get("capture"):
        return _follow(ctx, Transfer(retry.said))  # too many errors: back to the agent
    if fails[ctx.step] >= MAX_FAILURES and _ask(ctx).kind is Input.MENU:
        return _end(ctx, retry.said, "goodbye.wrong_keys")  # no menu is read a fourth time
    if fails[ctx.step] >= MAX_FAILURES:  # a number keyed wrong: help, or one more try
        ctx.state["resume"] = ctx.step
        return _follow(ctx, Go("offer_agent", retry.said))
    return Turn(retry.said, _ask(ctx))


def _end(ctx: CallContext, said: tuple[Line, ...], why: str) -> Turn:
    """A caller the menus cannot help: a representative while they answer; otherwise the
    call's money, when to call back, and goodbye."""
    if ctx.services.hours.is_open(ctx.now()):
        return _follow(ctx, Transfer(said))
    return Turn(said + goodbye_lines(ctx, opening=_opening(ctx), why=why), Hangup())


def _silence(ctx: CallContext) -> Turn:
    """Re-ask; after repeated silence offer a representative. Relay callers are warned and
    given more time (the renderer lengthens each wait) and are never hung up on."""
    silences = ctx.state["silences"] = ctx.state.get("silences", 0) + 1
    if ctx.step == "offer_agent":
        if ctx.relay and silences >= RELAY_SILENCES:
            if ctx.services.hours.is_open(ctx.now()):
                return _follow(ctx, Transfer((line("silence.connecting"),)))
            # After hours: when to call, what the call did with money, and a polite goodbye,
            # rather than offering a representative who is not there, again and again.
            return Turn(goodbye_lines(ctx, opening=_opening(ctx)), Hangup())
        if not ctx.relay and silences > OFFER_AFTER_SILENCES:
            return Turn(goodbye_lines(ctx), Hangup())
    elif silences >= OFFER_AFTER_SILENCES and ctx.state.get("capture"):
        return _follow(ctx, Transfer((line("silence.offer"),)))  # back to the agent
    elif silences >= OFFER_AFTER_SILENCES:
        ctx.state["resume"] = ctx.step
        return _follow(ctx, Go("offer_agent", (line("silence.offer"),)))
    key = "silence.relay_warning" if ctx.relay and silences == 1 else "silence.reprompt"
    return Turn((line(key),), _ask(ctx))


def _representative(ctx: CallContext) -> Outcome:
    """Transfer during business hours; otherwise say when to call and go back to the menu. A
    capture's caller goes back to the agent waiting in the conference."""
    if ctx.state.get("capture"):
        return agent_capture.back_to_agent(ctx)
    if ctx.state.get("back_to_agent"):
        return Transfer()  # the agent is waiting in the conference: nothing more to say
    now = ctx.now()
    hours = ctx.services.hours
    if hours.is_open(now):
        ctx.state["transferred"] = True
        return Transfer((line("agent.connecting"),))
    home = "main_menu" if ctx.state.get("verified") else ctx.state.get("home", "subscriber_id")
    ctx.state["resume"] = home
    return Go(home, (line("agent.closed", opening=_opening(ctx)),))


def _opening(ctx: CallContext) -> Opening:
    return Opening(ctx.now())
