"""One webhook of one call: load its state, apply the input, render, store.

Each action URL carries the turn number (`?t=N`). A webhook that Twilio delivers twice arrives
with a turn already answered: it gets the same TwiML again and changes nothing. A per-call
lock keeps two deliveries of the same webhook from running side by side.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ivr import engine
from ivr.callstate import CallStore, OpenCall
from ivr.config import ConfigError, to_e164
from ivr.context import CallContext, FlowServices
from ivr.flows.base import Hangup, Transfer, line
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
    silence: bool = False
    digits: str | None = None
    speech: str | None = None


def describe_input(hook: Webhook) -> str:
    """For logs: how much was keyed or said, never what (card numbers pass through here)."""
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

    def answer(self, hook: Webhook) -> str:
        with self.store.open(hook.call_sid) as call:
            state = call.state
            if state is not None and hook.turn is not None and hook.turn < state["turn"]:
                log.info("call %s: turn %s redelivered; same answer", hook.call_sid, hook.turn)
                return state["last"]
            ctx, turn = self._advance(call, hook)
            ctx.state["turn"] += 1
            twiml = self.renderer.render(turn, self._how(ctx))
            ctx.state["last"] = twiml
            call.save(ctx.state, ctx.secrets)
            log.info("call %s: %s -> %s", hook.call_sid, describe_input(hook), ctx.step)
            return twiml

    def ended(self, call_sid: str) -> None:
        self.store.forget(call_sid)
        log.info("call %s: ended; call state and secrets erased", call_sid)

    def fault(self, hook: Webhook) -> str:
        """What the caller hears when a store or the database fails: the plain truth and help.

        In English: the call's language is in the store that may be the one failing.
        """
        said = (line("fault.system"),)
        now = self.services.clock()
        if self.services.hours.is_open(now):
            outcome: Any = Transfer((line("fault.transfer"),))
        else:
            outcome = Hangup((line("fault.call_back"),))
        today = self.services.hours.local(now).date()
        rendering = Rendering("en", self._relay(hook), hook.turn or 0, today=today)
        return self.renderer.render(engine.Turn(said, outcome), rendering)

    def _advance(self, call: OpenCall, hook: Webhook) -> tuple[CallContext, engine.Turn]:
        if call.state is None:
            ctx = CallContext(hook.call_sid, self._new_state(hook), call.secrets, self.services)
            turn = engine.start(ctx, FIRST_STEP)
            if hook.turn is not None:  # the state expired mid-call: say so, start again
                turn = engine.Turn((line("session.expired"),) + turn.said, turn.then)
            return ctx, turn
        secrets = call.unseal() if call.state.get("sealed") else call.secrets
        ctx = CallContext(hook.call_sid, call.state, secrets, self.services)
        event = engine.Event() if hook.silence else engine.Event(hook.digits, hook.speech)
        return ctx, engine.handle(ctx, event)

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
        match = self._phone_match(hook.caller)
        if match:
            state["phone_match"] = match
        return state

    def _phone_match(self, caller: str) -> str | None:
        """The one member whose phone on file is the caller's number, if exactly one."""
        try:
            number = to_e164(caller)
        except ConfigError:
            return None  # withheld or malformed caller ID
        matches = self.services.payments.subscribers_for_phone(number)
        return matches[0] if len(matches) == 1 else None

    def _how(self, ctx: CallContext) -> Rendering:
        silences = ctx.state.get("silences", 0)
        return Rendering(ctx.lang, ctx.relay, ctx.state["turn"], silences, ctx.today())
