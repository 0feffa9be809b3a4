"""One call from ring to status callback: sends signed webhooks and runs the TwiML they return."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from devtools.phone.events import (
    Answered,
    CallLog,
    Ended,
    EndReason,
    Error,
    Event,
    Gathered,
    Ignored,
    Sent,
    TimedOut,
)
from devtools.phone.gather import collect
from devtools.phone.script import Answer, HangUp, Keys, Silence, Speech, describe
from devtools.phone.transport import TransportError
from devtools.phone.twiml import (
    TwimlError,
    parse_document,
    read_gather,
    read_pause,
    read_play,
    read_redirect,
    read_say,
    read_transfer,
    speaking_time,
)

if TYPE_CHECKING:
    from devtools.phone.device import Phone

_PROMPT_VERBS = frozenset({"Say", "Play", "Pause"})


@dataclass(frozen=True)
class _Request:
    url: str
    method: str = "POST"
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _End:
    reason: EndReason
    detail: str = ""


_Step = _Request | _End | None  # None: carry on with the next verb


class CallSession:
    def __init__(
        self, phone: Phone, answers: Iterator[Answer], on_event: Callable[[Event], None] | None
    ) -> None:
        self.phone = phone
        self.log = CallLog(call_sid=phone.new_call_sid())
        self._answers = answers
        self._on_event = on_event
        self._late: Answer | None = None  # came after Twilio stopped listening: for the next Gather

    def run(self) -> CallLog:
        step: _Request | _End = _Request(self.phone.voice_url)
        while isinstance(step, _Request):
            step = self._fetch_and_run(step)
        self._record(Ended(step.reason, step.detail))
        self._send_status_callback()
        return self.log

    def _record(self, event: Event) -> None:
        self.log.events.append(event)
        if self._on_event is not None:
            self._on_event(event)

    def _fetch_and_run(self, request: _Request) -> _Request | _End:
        if self.log.requests >= self.phone.max_requests:
            limit = self.phone.max_requests
            return self._fail(f"over {limit} webhook requests: is the flow looping?")
        status = "ringing" if self.log.requests == 0 else "in-progress"
        try:
            document = parse_document(*self._send(request, status))
            return self._run_document(document, request.url)
        except (TransportError, TwimlError) as error:
            return self._fail(f"{request.method} {request.url}: {error}")

    def _fail(self, message: str) -> _End:
        self._record(Error(message))
        return _End("error", message)

    def _send(self, request: _Request, call_status: str) -> tuple[int, str]:
        params = {**self.phone.call_params(self.log.call_sid, call_status), **request.params}
        try:
            status, body = self.phone.deliver(request.method, request.url, params)
        except TransportError:
            self._record(Sent(request.url, params, request.method, None))
            raise
        self._record(Sent(request.url, params, request.method, status))
        return status, body

    def _run_document(self, document: ET.Element, url: str) -> _Request | _End:
        for verb in document:
            step = self._run_verb(verb, url)
            if step is not None:
                return step
        return _End("end-of-twiml")

    def _run_verb(self, verb: ET.Element, url: str) -> _Step:
        if verb.tag in _PROMPT_VERBS:
            self._prompt(verb)
            return None
        if verb.tag == "Gather":
            return self._gather(verb, url)
        if verb.tag == "Redirect":
            return _Request(*read_redirect(verb, url))
        if verb.tag in ("Hangup", "Reject"):
            return _End("server-hangup", "rejected" if verb.tag == "Reject" else "")
        if verb.tag in ("Dial", "Enqueue"):
            transfer = read_transfer(verb)
            self._record(transfer)
            return _End("transfer", transfer.target)
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

    def _gather(self, verb: ET.Element, url: str) -> _Step:
        gather = read_gather(verb, url)
        self._record(gather)
        late, self._late = self._late, None
        if late is None:
            self._nested_prompts(verb)
            answer, delay = self._next_answer(), self.phone.answer_delay
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
        return _Request(gather.action, gather.method, outcome.params)

    def _no_input(self, gather: Gathered) -> _Step:
        if gather.action_on_empty_result:
            return _Request(gather.action, gather.method, {"Digits": ""})
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

    def _next_answer(self) -> Answer:
        answer = next(self._answers, None)
        if answer is None:
            answer = HangUp(why="script ended")
        kind, value = describe(answer)
        self._record(Answered(kind, value))
        return answer

    def _send_status_callback(self) -> None:
        request = _Request(self.phone.status_url, params=self.phone.status_params(self.log))
        try:
            status, _ = self._send(request, "completed")
        except TransportError as error:
            self._record(Error(f"status callback {request.url}: {error}"))
            return
        if not 200 <= status < 300:
            self._record(Error(f"status callback {request.url}: HTTP {status}"))
