"""One call from ring to status callback: sends signed webhooks and runs the TwiML they return.

`<Dial><Conference>` and `<Enqueue>` make the call wait there (see `_wait`) until the caller hangs
up, the REST API moves it on (`Redirect`) or hangs it up (`Complete`), the conference ends (the
call goes on with the verb after `<Dial>`; a `<Dial action>` is not fetched), or the phone's
`conference_wait` passes (the call ends there as a transfer). Before each verb, and while a
Gather listens, a REST message that has arrived takes over: the rest of the document, or the
Gather's answer, is dropped.
"""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Protocol

from devtools.phone.caller import Caller
from devtools.phone.events import (
    Answered,
    CallLog,
    Conferenced,
    Ended,
    EndReason,
    Enqueued,
    Error,
    Event,
    Gathered,
    Ignored,
    Left,
    Peer,
    Redirected,
    Sent,
    TimedOut,
    Transferred,
)
from devtools.phone.gather import collect
from devtools.phone.script import Answer, HangUp, Keys, Silence, Speech, describe
from devtools.phone.switchboard import (
    Callback,
    Complete,
    ConferenceOver,
    LiveCall,
    Message,
    PeerChanged,
    Redirect,
    Switchboard,
)
from devtools.phone.transport import TransportError
from devtools.phone.twiml import (
    ConferenceSpec,
    TwimlError,
    parse_document,
    read_conference,
    read_enqueue,
    read_gather,
    read_pause,
    read_play,
    read_redirect,
    read_say,
    read_transfer,
    speaking_time,
)


class Line(Protocol):
    """What a call's session needs of the phone it is placed from (devtools.phone.device.Phone):
    the switchboard its calls share, its limits and manners, and its signed requests."""

    switchboard: Switchboard
    public_base_url: str
    max_requests: int
    answer_delay: float
    speech_confidence: float

    def call_params(
        self,
        call_sid: str,
        call_status: str,
        *,
        from_number: str | None = None,
        to_number: str | None = None,
        direction: str = "inbound",
    ) -> dict[str, str]: ...

    def status_params(self, log: CallLog) -> dict[str, str]: ...

    def deliver(self, method: str, url: str, params: Mapping[str, str]) -> tuple[int, str]: ...


_PROMPT_VERBS = frozenset({"Say", "Play", "Pause"})


@dataclass(frozen=True)
class Request:
    url: str
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Inline:
    """TwiML given with a REST request (`Twiml`) instead of a URL to fetch."""

    twiml: str


@dataclass(frozen=True)
class _End:
    reason: EndReason
    detail: str = ""


TwimlSource = Request | Inline
_Step = Request | Inline | _End | None  # None: carry on with the next verb


class CallSession:
    """Runs `call` (registered with the phone's switchboard, so the REST API can reach it).

    `first` is where its TwiML comes from; `status_callback` (url, method) gets the completed
    status at the end, if given; `wait_limit` is how long it may wait in a conference or queue.
    """

    def __init__(
        self,
        phone: Line,
        call: LiveCall,
        caller: Caller,
        on_event: Callable[[Event], None] | None,
        *,
        first: TwimlSource,
        status_callback: tuple[str, str] | None,
        wait_limit: float | None,
    ) -> None:
        self.phone = phone
        self.call = call
        self.log = CallLog(call_sid=call.sid)
        call.log = self.log
        self._caller = caller
        self._on_event = on_event
        self._first = first
        self._status_callback = status_callback
        self._wait_limit = wait_limit
        self._late: Answer | None = None  # came after Twilio stopped listening: for the next Gather

    def run(self) -> CallLog:
        switchboard = self.phone.switchboard
        switchboard.register(self.call)
        try:
            step: TwimlSource | _End = self._first
            while isinstance(step, Request | Inline):
                step = self._fetch_and_run(step)
        except BaseException:
            switchboard.call_ended(self.call.sid)  # the callbacks owed are lost with the call
            raise
        self._record(Ended(step.reason, step.detail))
        self._deliver(switchboard.call_ended(self.call.sid))
        self._send_status_callback()
        return self.log

    def _record(self, event: Event) -> None:
        self.log.events.append(event)
        if self._on_event is not None:
            self._on_event(event)

    def _fetch_and_run(self, step: TwimlSource) -> TwimlSource | _End:
        if self.log.requests >= self.phone.max_requests:
            limit = self.phone.max_requests
            return self._fail(f"over {limit} webhook requests: is the flow looping?")
        try:
            if isinstance(step, Inline):
                where = "TwiML given to the REST API"
                document, url = parse_document(200, step.twiml), self.phone.public_base_url + "/"
            else:
                where = f"{step.method} {step.url}"
                ringing = self.call.direction == "inbound" and self.call.status == "ringing"
                status = "ringing" if ringing else "in-progress"
                document, url = parse_document(*self._send(step, status)), step.url
            self.phone.switchboard.mark(self.call, "in-progress")
            return self._run_document(document, url)
        except (TransportError, TwimlError) as error:
            return self._fail(f"{where}: {error}")

    def _fail(self, message: str) -> _End:
        self._record(Error(message))
        return _End("error", message)

    def _send(self, request: Request, call_status: str) -> tuple[int, str]:
        call = self.call
        params = {
            **self.phone.call_params(
                call.sid,
                call_status,
                from_number=call.from_number,
                to_number=call.to_number,
                direction=call.direction,
            ),
            **request.params,
        }
        try:
            status, body = self.phone.deliver(request.method, request.url, params)
        except TransportError:
            self._record(Sent(request.url, params, request.method, None))
            raise
        self._record(Sent(request.url, params, request.method, status))
        return status, body

    def _run_document(self, document: ET.Element, url: str) -> TwimlSource | _End:
        for verb in document:
            steered = self._caller.steered()
            if steered is not None:
                return self._obey(steered)
            step = self._run_verb(verb, url)
            if step is not None:
                return step
        return _End("end-of-twiml")

    def _obey(self, message: Redirect | Complete) -> TwimlSource | _End:
        if isinstance(message, Complete):
            return _End("server-hangup", "REST API: Status=completed")
        if message.twiml is not None:
            self._record(Redirected("(inline TwiML)", message.method))
            return Inline(message.twiml)
        self._record(Redirected(message.url, message.method))
        return Request(message.url, message.method)

    def _run_verb(self, verb: ET.Element, url: str) -> _Step:
        if verb.tag in _PROMPT_VERBS:
            self._prompt(verb)
            return None
        if verb.tag == "Gather":
            return self._gather(verb, url)
        if verb.tag == "Redirect":
            return Request(*read_redirect(verb, url))
        if verb.tag in ("Hangup", "Reject"):
            return _End("server-hangup", "rejected" if verb.tag == "Reject" else "")
        if verb.tag == "Dial":
            conference = read_conference(verb, url)
            if conference is not None:
                return self._conference(conference)
            transfer = read_transfer(verb)
            self._record(transfer)
            return _End("transfer", transfer.target)
        if verb.tag == "Enqueue":
            name = read_enqueue(verb)
            self._record(Enqueued(name))
            return self._wait(name, "queue", None)
        self._record(Ignored(f"<{verb.tag}>", "verb not simulated by the terminal phone"))
        return None

    def _prompt(self, verb: ET.Element) -> None:
        if verb.tag == "Say":
            said = read_say(verb)
            self._record(said)
            self.log.duration += speaking_time(said)
        elif verb.tag == "Play":
            self._record(read_play(verb))
        else:
            pause = read_pause(verb)
            self._record(pause)
            self.log.duration += pause.seconds

    def _conference(self, spec: ConferenceSpec) -> _Step:
        self._record(Conferenced(spec.name))
        if not self._can_wait():
            return self._transfer(spec.name, "conference")
        generation, owed = self.phone.switchboard.join(self.call.sid, spec)
        self._deliver(owed)
        step = self._wait(spec.name, "conference", generation)
        if isinstance(step, Request | Inline):
            self._deliver(self.phone.switchboard.leave(self.call.sid, spec.name))
        return step

    def _can_wait(self) -> bool:
        """A scripted call waits only if something can end the wait: the REST API, or a limit.
        Otherwise it ends at once as a transfer, as it always had."""
        return (
            not self._caller.scripted
            or self._wait_limit is not None
            or self.phone.switchboard.api_url is not None
        )

    def _wait(self, name: str, kind: str, generation: int | None) -> _Step:
        """Wait in the conference or queue `name` (in conference `generation`, if joined)."""
        if not self._can_wait():
            return self._transfer(name, kind)

        def ours(message: Message) -> bool:
            return generation is not None and (
                isinstance(message, ConferenceOver | PeerChanged)
                and message.generation == generation
            )

        started = time.monotonic()
        deadline = None if self._wait_limit is None else started + self._wait_limit
        try:
            got = self._caller.wait(deadline, ours, self._record)
            while isinstance(got, PeerChanged):
                self._record(Peer(name, got.call_sid, got.joined))
                got = self._caller.wait(deadline, ours, self._record)
        finally:
            self.log.duration += time.monotonic() - started
        if got is None:
            self._record(Left(name, f"waited {self._wait_limit:g}s"))
            return self._transfer(name, kind)
        if isinstance(got, ConferenceOver):
            self._record(Left(name, "the conference ended"))
            return None
        if isinstance(got, HangUp):
            self._record(Answered(*describe(got)))
            self._record(Left(name, "hung up"))
            return _End("caller-hangup", got.why)
        if isinstance(got, Redirect | Complete):
            self._record(Left(name, "hung up" if isinstance(got, Complete) else "moved on"))
            return self._obey(got)
        raise AssertionError(f"unexpected while waiting: {got!r}")

    def _transfer(self, name: str, kind: str) -> _End:
        self._record(Transferred(name, kind))
        return _End("transfer", name)

    def _gather(self, verb: ET.Element, url: str) -> _Step:
        gather = read_gather(verb, url)
        self._record(gather)
        late, self._late = self._late, None
        if late is None:
            self._nested_prompts(verb)
            taken = self._next_answer()
            if isinstance(taken, Redirect | Complete):
                return self._obey(taken)  # the Gather sends nothing
            answer, delay = taken, self.phone.answer_delay
        else:
            self._interrupted_prompt(verb)
            answer, delay = late, 0.0
        if isinstance(answer, HangUp):
            return _End("caller-hangup", answer.why)
        if not isinstance(answer, Silence) and delay > gather.timeout:
            self._record(TimedOut(gather.timeout, delay))
            self._late = answer
            self.log.duration += gather.timeout
            return self._no_input(gather)
        return self._answer(gather, answer, delay)

    def _answer(self, gather: Gathered, answer: Keys | Speech | Silence, delay: float) -> _Step:
        outcome = collect(gather, answer, self.phone.speech_confidence)
        for note in outcome.notes:
            self._record(note)
        self.log.duration += delay + outcome.waited
        if outcome.params is None:
            return self._no_input(gather)
        return Request(gather.action, gather.method, outcome.params)

    def _no_input(self, gather: Gathered) -> _Step:
        if gather.action_on_empty_result:
            return Request(gather.action, gather.method, {"Digits": ""})
        return None  # Twilio falls through to the verb after the Gather

    def _nested_prompts(self, verb: ET.Element) -> None:
        for child in verb:
            if child.tag in _PROMPT_VERBS:
                self._prompt(child)
            else:
                self._record(Ignored(f"<{child.tag}> in <Gather>", "only Say, Play, Pause nest"))

    def _interrupted_prompt(self, verb: ET.Element) -> None:
        """A late answer arrives as key-ahead: the first prompt starts and is cut short."""
        first = next((child for child in verb if child.tag == "Say"), None)
        if first is not None:
            self._record(replace(read_say(first), interrupted=True))

    def _next_answer(self) -> Answer | Redirect | Complete:
        answer = self._caller.answer()
        if isinstance(answer, Redirect | Complete):
            return answer
        kind, value = describe(answer)
        self._record(Answered(kind, value))
        return answer

    def _deliver(self, owed: list[Callback]) -> None:
        """Conference status callbacks: signed like webhooks; a failure is an error but the call
        goes on, as on Twilio."""
        for callback in owed:
            try:
                status, _ = self.phone.deliver(callback.method, callback.url, callback.params)
            except (TransportError, TwimlError) as error:
                self._record(Sent(callback.url, callback.params, callback.method, None))
                self._record(Error(f"conference status callback {callback.url}: {error}"))
                continue
            self._record(Sent(callback.url, callback.params, callback.method, status))
            if not 200 <= status < 300:
                self._record(Error(f"conference status callback {callback.url}: HTTP {status}"))

    def _send_status_callback(self) -> None:
        if self._status_callback is None:
            return
        url, method = self._status_callback
        request = Request(url, method, self.phone.status_params(self.log))
        try:
            status, _ = self._send(request, "completed")
        except TransportError as error:
            self._record(Error(f"status callback {request.url}: {error}"))
            return
        if not 200 <= status < 300:
            self._record(Error(f"status callback {request.url}: HTTP {status}"))
