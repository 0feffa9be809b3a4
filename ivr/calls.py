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
from dataclasses import dataclass, replace
from typing import Any

from ivr.agents.agent_calls import (
    WAITING,
    CallDirectory,
    CallInfo,
    call_of_conference,
    conference_name,
)
from ivr.agents.capture import ABANDONED, HUNG_UP, PROCESSING, Capture, all_done, field_states
from ivr.channels.render import Renderer, Rendering
from ivr.channels.twilio_rest import TwilioCalls, TwilioUnavailable, conference_twiml
from ivr.config import ConfigError, to_e164
from ivr.engine import engine
from ivr.engine.callstate import CallStore, OpenCall, StoreUnavailable, TurnNotSaved
from ivr.engine.context import CallContext, FlowServices
from ivr.flows import agent_capture
from ivr.flows.base import Hangup, Line, Transfer, line
from ivr.flows.money import fault_lines, payment_news, recovered_lines
from ivr.flows.submit import confirmed_before
from payments.domain.values import ATTESTED, Channel

log = logging.getLogger("ivr.calls")
FIRST_STEP = "greeting"
PHONE_ACCOUNT_STEP = "use_phone_account"  # the first step of a caller recognised by caller ID
_WELCOME = {FIRST_STEP: "greeting.welcome", PHONE_ACCOUNT_STEP: "phone_account.welcome"}


# A call-state store out of reach during a turn is waited out like a busy turn: each round is a
# second's pause plus the store's own 1 s timeout, so about 10 s before the fault line.
STORE_RETRIES = 6


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
    base_url: str = ""  # the service's external base URL, for URLs Twilio must call back
    stir_verstat: str = ""  # Twilio's verdict on the caller ID (SHAKEN/STIR), "" when none


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
    def __init__(
        self,
        store: CallStore,
        services: FlowServices,
        renderer: Renderer,
        directory: CallDirectory | None = None,
        twilio: TwilioCalls | None = None,
    ) -> None:
        self.store = store
        self.services = services
        self.renderer = renderer
        self.directory = directory or CallDirectory(store.kv)
        self.twilio = twilio

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
        self.directory.ended(call_sid)
        captures = self.services.captures
        active = captures.active_for(call_sid) if captures is not None else None
        if active is not None:
            self._abandoned(active)
        log.info("call %s: ended; call state and secrets erased", call_sid)

    def _abandoned(self, capture: Capture) -> None:
        """The caller hung up during a capture: nothing was charged unless its payment had
        started, and then the payment's record decides (Captures.with_ledger)."""
        captures = self.services.captures
        fields = [  # what the caller was keying was never finished
            {**view, "state": "waiting"} if view["state"] == "entering" else view
            for view in capture.fields
        ]
        abandoned = captures.update(capture.id, state=ABANDONED, message=HUNG_UP, fields=fields)
        if abandoned is not None:
            captures.with_ledger(abandoned, self.services.payments)

    def conference_event(self, name: str, event: str, leg: str) -> None:
        """A leg joined or left a caller's conference: the call is connected while both the
        caller and an agent's leg are in it."""
        caller = call_of_conference(name)
        if caller is None or event not in ("participant-join", "participant-leave"):
            return
        joined = event == "participant-join"
        if leg == caller:
            self.directory.caller_present(caller, joined)
        elif joined:
            self.directory.agent_joined(caller, leg)
        else:
            self.directory.agent_left(caller, leg)

    def capture(self, hook: Webhook, capture_id: str, action: str, field: str) -> str:
        """The caller's leg, moved here by the agent: start the capture, cancel it, or ask for
        one field again. The turn runs like any other (the call's lock, its state, its turn)."""
        with self.store.open(hook.call_sid) as call:
            capture = self.services.captures.get(capture_id)
            if call.ended or call.state is None or capture is None:
                return self.renderer.render(engine.Turn((), Hangup()), self._plain(hook))
            if capture.call_sid != hook.call_sid:
                raise PermissionError(f"capture {capture_id} is not this call's")
            ctx = self._context(call, hook, None)
            if action == "cancel":
                outcome = agent_capture.cancelled_by_agent(ctx, capture)
            elif action == "again":
                outcome = agent_capture.again(ctx, capture, field)
            else:
                outcome = agent_capture.begin(ctx, capture)
            return self._finish(call, ctx, hook, engine.go(ctx, outcome))

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
        return self.renderer.busy(hook.turn, hook.retry + 1)

    def _context(self, call: OpenCall, hook: Webhook, deadline: float | None) -> CallContext:
        if call.state is None:
            return CallContext(hook.call_sid, self._new_state(hook), {}, self.services, deadline)
        secrets = call.unseal() if call.state.get("sealed") else call.secrets
        return CallContext(hook.call_sid, call.state, secrets, self.services, deadline)

    def _turn(self, ctx: CallContext, hook: Webhook, fresh: bool) -> engine.Turn:
        if fresh:
            turn = engine.start(ctx, ctx.state["step"], (line(_WELCOME[ctx.step]),))
            if hook.turn is not None:  # the state was lost mid-call: its money, then start again
                said = recovered_lines(ctx) + (line("session.expired"),)
                turn = engine.Turn(said + turn.said, turn.then)
            return turn
        news, event = payment_news(ctx), _event(hook)
        confirmed = confirmed_before(ctx) if event.resumed else None
        turn = engine.go(ctx, confirmed) if confirmed else engine.handle(ctx, event)
        return engine.Turn(news + turn.said, turn.then) if news else turn

    def _finish(self, call: OpenCall, ctx: CallContext, hook: Webhook, turn: engine.Turn) -> str:
        ctx.state["turn"] += 1
        how = self._how(ctx, hook)
        twiml = self.renderer.render(turn, how)
        if isinstance(turn.then, Transfer) and how.conference:
            self._to_representatives(ctx, hook)
        ctx.state.pop("back_to_agent", None)
        self._show_progress(ctx)
        ctx.state["last"] = twiml
        try:
            call.save(ctx.state, ctx.secrets)
        except StoreUnavailable as error:
            if hook.retry < STORE_RETRIES:  # a blip: the same turn again, replayed
                log.warning("call %s: state not saved; turn asked for again", hook.call_sid)
                raise TurnNotSaved(str(error)) from error
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
        if caller and hook.stir_verstat == ATTESTED:
            # Only a caller ID the carrier vouches for may hear which account it is on file for.
            state["attested"] = True
            matches = self.services.payments.subscribers_for_phone(caller)
            if len(matches) == 1:  # the one member whose phone on file is the caller's number
                # Offered at once, in the language on file: no language menu first.
                state["phone_match"], state["lang"] = matches[0]
                state["step"], state["lang_from_file"] = PHONE_ACCOUNT_STEP, True
        return state

    def _how(self, ctx: CallContext, hook: Webhook | None = None) -> Rendering:
        silences = ctx.state.get("silences", 0)
        plain = Rendering(ctx.lang, ctx.relay, ctx.state["turn"], silences, ctx.today())
        if hook is None or not self._in_conferences(ctx):
            return plain
        status_url = f"{hook.base_url}/webhooks/voice/conference"
        return replace(plain, conference=conference_name(ctx.call_sid), status_url=status_url)

    def _show_progress(self, ctx: CallContext) -> None:
        """A capture's fields as the agent may see them, after every turn of it."""
        capture_id = ctx.state.get("capture")
        if not capture_id:
            return
        capture = self.services.captures.get(capture_id)
        if capture is None:
            return
        if ctx.step == "payment_processing":  # confirmed: every field was entered
            fields, state = all_done(capture.fields), PROCESSING
        else:
            fields = field_states(capture.form, ctx.step, ctx.state, ctx.secrets)
            state = capture.state
        self.services.captures.update(capture_id, fields=fields, state=state)

    def _in_conferences(self, ctx: CallContext) -> bool:
        """Representatives take calls in conferences when reached by a number (their phones are
        dialled in), and always for a capture's caller going back to the agent."""
        settings = self.services.settings
        target = settings.relay_agent_number if ctx.relay else settings.agent_number
        return target.startswith("+") or bool(
            ctx.state.get("capture") or ctx.state.get("back_to_agent")
        )

    def _to_representatives(self, ctx: CallContext, hook: Webhook) -> None:
        """List the call for the agents and, the first time, dial an agent's phone into it."""
        first_time = self.directory.get(ctx.call_sid) is None
        verified = bool(ctx.state.get("verified"))
        self.directory.enter(
            CallInfo(
                call_sid=ctx.call_sid,
                caller=ctx.state.get("caller", ""),
                language=ctx.lang,
                channel=ctx.channel.value if not ctx.state.get("capture") else "voice",
                state=WAITING,
                verified=verified,
                subscriber_id=ctx.state.get("sub") if verified else None,
                since=ctx.now().isoformat(),
                webhook_base=hook.base_url,
            )
        )
        if first_time and self.twilio is not None and self.twilio.configured:
            self._dial_agent(ctx, hook)

    def _dial_agent(self, ctx: CallContext, hook: Webhook) -> None:
        settings = self.services.settings
        target = settings.relay_agent_number if ctx.relay else settings.agent_number
        twiml = conference_twiml(
            conference_name(ctx.call_sid), f"{hook.base_url}/webhooks/voice/conference"
        )
        try:
            self.twilio.dial_into_conference(target, hook.called, twiml)  # type: ignore[union-attr]
        except TwilioUnavailable:
            log.exception("call %s: no agent could be dialled; listed for agents", ctx.call_sid)

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
