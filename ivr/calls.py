"""One webhook of one call: load its state, apply the input, render, store.

Each action URL carries the turn number (`?t=N`). A webhook that Twilio delivers twice arrives
with a turn already answered: it gets the same TwiML again and changes nothing. A per-call
lock keeps two deliveries of the same webhook from running side by side.

Whatever fails, the caller hears valid TwiML: what this turn had to say, that the system has a
problem, the truth about the call's money (ivr.flows.money.fault_lines) and a representative
or when to call back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ivr import engine
from ivr.callstate import CallStore, OpenCall, StoreUnavailable
from ivr.config import ConfigError, to_e164
from ivr.context import CallContext, FlowServices
from ivr.flows.base import Hangup, Line, Transfer, line
from ivr.flows.money import fault_lines, payment_news
from ivr.render import Renderer, Rendering
from payments.domain.values import Channel

log = logging.getLogger("ivr.calls")
FIRST_STEP = "greeting"


@dataclass(frozen=True)
class Webhook:
    call_sid: str
    caller: str = ""
    called: str = ""
    turn: int | None = None
    silence: bool = False  # the Gather timed out with nothing keyed or said
    hold: bool = False  # a Hold came back
    retry: int = 0  # a webhook answered "busy" came back this many times
    digits: str | None = None  # "" when only the finish key was pressed
    speech: str | None = None


def describe_input(hook: Webhook) -> str:
    """For logs: how much was keyed or said, never what (card numbers pass through here)."""
    if hook.hold or hook.retry:
        return "hold" if hook.hold else f"retry {hook.retry}"
    if hook.silence:
        return "silence"
    if hook.speech:
        return f"speech[{len(hook.speech)} chars]"
    digits = hook.digits or ""
    if len(digits) == 1 and digits in "*0123456789#":
        return f"key {digits}"
    return f"keys[{len(digits)}]"


class CallHandler:
    def __init__(self, store: CallStore, services: FlowServices, renderer: Renderer) -> None:
        self.store = store
        self.services = services
        self.renderer = renderer

    def answer(self, hook: Webhook, deadline: float | None = None) -> str:
        with self.store.open(hook.call_sid) as call:
            if call.ended:
                log.info("call %s: webhook after the call ended; hanging up", hook.call_sid)
                return self.renderer.render(engine.Turn((), Hangup()), self._plain(hook))
            state = call.state
            if state is not None and hook.turn is not None and hook.turn < state["turn"]:
                log.info("call %s: turn %s redelivered; same answer", hook.call_sid, hook.turn)
                return state["last"]
            ctx = self._context(call, hook, deadline)
            try:
                turn = self._turn(ctx, hook, fresh=state is None)
            except Exception:  # noqa: BLE001 - the caller must hear the truth and help
                log.exception("call %s: turn failed at step %s", hook.call_sid, ctx.step)
                return self._failed(call, ctx, hook)
            return self._finish(call, ctx, hook, turn)

    def ended(self, call_sid: str) -> None:
        self.store.forget(call_sid)
        log.info("call %s: ended; call state and secrets erased", call_sid)

    def fault(
        self, hook: Webhook, ctx: CallContext | None = None, said: tuple[Line, ...] = ()
    ) -> str:
        """The plain truth and help when a store or the database fails."""
        lines = said + (line("fault.system"),)
        if ctx is not None:
            lines += fault_lines(ctx)
        elif hook.turn:  # mid-call, and the call's state is out of reach
            lines += (line("fault.unknown"),)
        if self.services.hours.is_open(self.services.clock()):
            turn = engine.Turn(lines + (line("fault.transfer"),), Transfer())
        else:
            turn = engine.Turn(lines + (line("fault.call_back"),), Hangup())
        how = self._how(ctx) if ctx is not None else self._plain(hook)
        return self.renderer.render(turn, how)

    def busy(self, hook: Webhook) -> str:
        """The turn is taking too long: a short wait, then the same turn asked for again."""
        return self.renderer.busy(hook.turn or 0, hook.retry + 1)

    def _context(self, call: OpenCall, hook: Webhook, deadline: float | None) -> CallContext:
        if call.state is None:
            return CallContext(hook.call_sid, self._new_state(hook), {}, self.services, deadline)
        secrets = call.unseal() if call.state.get("sealed") else call.secrets
        return CallContext(hook.call_sid, call.state, secrets, self.services, deadline)

    def _turn(self, ctx: CallContext, hook: Webhook, fresh: bool) -> engine.Turn:
        if fresh:
            turn = engine.start(ctx, FIRST_STEP, (line("greeting.welcome"),))
            if hook.turn is not None:  # the state expired mid-call: say so, start again
                turn = engine.Turn((line("session.expired"),) + turn.said, turn.then)
            return turn
        news = payment_news(ctx)
        turn = engine.handle(ctx, _event(hook))
        return engine.Turn(news + turn.said, turn.then) if news else turn

    def _finish(self, call: OpenCall, ctx: CallContext, hook: Webhook, turn: engine.Turn) -> str:
        ctx.state["turn"] += 1
        twiml = self.renderer.render(turn, self._how(ctx))
        ctx.state["last"] = twiml
        try:
            call.save(ctx.state, ctx.secrets)
        except StoreUnavailable:
            log.exception(
                "call %s: state not saved; caller told what this turn said", hook.call_sid
            )
            return self.fault(hook, ctx, said=turn.said)
        log.info("call %s: %s -> %s", hook.call_sid, describe_input(hook), ctx.step)
        return twiml

    def _failed(self, call: OpenCall, ctx: CallContext, hook: Webhook) -> str:
        """Answer a failed turn; keep that answer for a redelivery, with no secrets kept."""
        twiml = self.fault(hook, ctx)
        ctx.state.update(turn=ctx.state["turn"] + 1, last=twiml, step="fault")
        try:
            call.save(ctx.state, {})
        except StoreUnavailable:
            log.warning("call %s: fault answer not saved", hook.call_sid)
        return twiml

    def _relay(self, hook: Webhook) -> bool:
        return hook.called in self.services.settings.relay_numbers

    def _new_state(self, hook: Webhook) -> dict[str, Any]:
        relay = self._relay(hook)
        state: dict[str, Any] = {
            "turn": 0,
            "step": FIRST_STEP,
            "lang": "en",
            "channel": (Channel.RELAY if relay else Channel.VOICE).value,
        }
        caller = _e164_or_none(hook.caller)
        if caller:
            state["caller"] = caller
            match = self._phone_match(caller)
            if match:
                state["phone_match"] = match
        return state

    def _phone_match(self, caller: str) -> str | None:
        """The one member whose phone on file is the caller's number, if exactly one."""
        matches = self.services.payments.subscribers_for_phone(caller)
        return matches[0] if len(matches) == 1 else None

    def _how(self, ctx: CallContext) -> Rendering:
        silences = ctx.state.get("silences", 0)
        return Rendering(ctx.lang, ctx.relay, ctx.state["turn"], silences, ctx.today())

    def _plain(self, hook: Webhook) -> Rendering:
        today = self.services.hours.local(self.services.clock()).date()
        return Rendering("en", self._relay(hook), hook.turn or 0, today=today)


def _event(hook: Webhook) -> engine.Event:
    if hook.hold:
        return engine.Event(hold=True)
    if hook.retry and hook.digits is None and not hook.speech:
        return engine.Event(resumed=True)  # the input of the turn that timed out is gone
    if hook.silence:
        return engine.Event()
    return engine.Event(hook.digits, hook.speech)


def _e164_or_none(number: str) -> str | None:
    try:
        return to_e164(number)
    except ConfigError:
        return None  # withheld or malformed caller ID
