"""What Twilio keeps between the calls of one account: the live calls, so that the REST API can
steer them, and the conferences they wait in.

Every call runs on its own thread (a caller's on whoever called `Phone.call`, an agent's leg on
one the phone starts); the REST API answers on the server's. They meet here, under one lock:
the API drops messages into a call's `Inbox`, and conference changes come back as the status
callbacks they owe (`Callback`), which the call that caused them delivers, outside the lock.

Conferences follow Twilio, with one leniency the agent-assisted flow relies on: a participant
with `endConferenceOnExit` ends the conference when its *call* ends, not when the REST API moves
it elsewhere (on Twilio, any exit ends it). A conference also ends when its last participant
leaves. And since nobody sits at the agents' simulated phones, their legs hang up once every
caller (inbound call) that was in the conference has ended, whether it was in the conference
then or not (e.g. hanging up in a capture). Its `ConferenceSid` is stable per name.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime

from devtools.phone.events import CallLog
from devtools.phone.script import Answer
from devtools.phone.twiml import ConferenceSpec

# What a call's inbox carries to the thread running the call.


@dataclass(frozen=True)
class Redirect:
    """A REST call update with `Url` (or `Twiml`): stop, and run that TwiML instead."""

    url: str
    method: str = "POST"
    twiml: str | None = None


@dataclass(frozen=True)
class Complete:
    """A REST call update with `Status=completed`: hang the call up."""


@dataclass(frozen=True)
class ConferenceOver:
    """The conference the call is in has ended (its participant-leave is already owed)."""

    generation: int


@dataclass(frozen=True)
class PeerChanged:
    generation: int
    call_sid: str
    joined: bool


@dataclass(frozen=True)
class CallerInput:
    """What the person at the keypad did; `answer` None: their input has ended."""

    answer: Answer | None
    error: Exception | None = None  # reading the input failed: re-raised on the call's thread


Message = Redirect | Complete | ConferenceOver | PeerChanged | CallerInput


def is_steering(message: Message) -> bool:
    """Sent through the REST API."""
    return isinstance(message, Redirect | Complete)


class Inbox:
    """Messages for one call, taken in order of arrival among those the taker wants."""

    def __init__(self) -> None:
        self._items: deque[Message] = deque()
        self._changed = threading.Condition()

    def put(self, message: Message) -> None:
        with self._changed:
            self._items.append(message)
            self._changed.notify_all()

    def take(self, wanted: Callable[[Message], bool], timeout: float | None) -> Message | None:
        """The first wanted message, waiting up to `timeout` seconds (None: for ever)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while True:
                for index, message in enumerate(self._items):
                    if wanted(message):
                        del self._items[index]
                        return message
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return None
                self._changed.wait(remaining)


@dataclass(eq=False)
class LiveCall:
    """One call as the REST API sees it; `log` is the call's own record of what it did."""

    sid: str
    from_number: str
    to_number: str
    direction: str = "inbound"  # or "outbound-api": a leg placed through the REST API
    status: str = "ringing"  # queued, ringing, in-progress, completed
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    ended: datetime | None = None
    log: CallLog | None = None
    inbox: Inbox = field(default_factory=Inbox, repr=False)


@dataclass(frozen=True)
class Callback:
    """A conference status callback owed: signed and sent by the call that caused it."""

    url: str
    method: str
    params: dict[str, str]


class NoSuchCall(LookupError):
    pass


class CallOver(Exception):
    """The call has ended: Twilio refuses to redirect it (error 21220)."""


@dataclass
class _Conference:
    name: str
    generation: int
    callback: tuple[str, str, frozenset[str]] | None = None  # url, method, events
    members: dict[str, ConferenceSpec] = field(default_factory=dict)
    anchors: set[str] = field(default_factory=set)  # calls that joined with endConferenceOnExit
    callers: set[str] = field(default_factory=set)  # inbound calls that have joined
    started: bool = False


def conference_sid(name: str) -> str:
    return "CF" + hashlib.sha256(name.encode()).hexdigest()[:32]


class Switchboard:
    def __init__(self, account_sid: str) -> None:
        self.account_sid = account_sid
        self.api_url: str | None = None  # set while a REST API stand-in serves these calls
        self._lock = threading.Lock()
        self._calls: dict[str, LiveCall] = {}
        self._conferences: dict[str, _Conference] = {}
        self._sequence: dict[str, int] = {}
        self._generations = itertools.count(1)

    # Calls, for the REST API.

    def register(self, call: LiveCall) -> None:
        with self._lock:
            self._calls[call.sid] = call

    def get(self, call_sid: str) -> LiveCall | None:
        with self._lock:
            return self._calls.get(call_sid)

    def calls(self) -> list[LiveCall]:
        with self._lock:
            return list(self._calls.values())

    def redirect(
        self, call_sid: str, url: str, method: str = "POST", twiml: str | None = None
    ) -> LiveCall:
        return self._steer(call_sid, Redirect(url, method, twiml))

    def complete(self, call_sid: str) -> LiveCall:
        return self._steer(call_sid, Complete())

    def _steer(self, call_sid: str, message: Message) -> LiveCall:
        with self._lock:
            call = self._calls.get(call_sid)
            if call is None:
                raise NoSuchCall(call_sid)
            if call.ended is not None:
                raise CallOver(call_sid)
            call.inbox.put(message)
            return call

    def mark(self, call: LiveCall, status: str) -> None:
        with self._lock:
            if call.ended is None:
                call.status = status

    # Conferences, for the calls in them.

    def join(self, call_sid: str, spec: ConferenceSpec) -> tuple[int, list[Callback]]:
        """Put the call in the conference; its generation (to match `ConferenceOver` and
        `PeerChanged` messages with) and the callbacks owed."""
        with self._lock:
            conference = self._conferences.get(spec.name)
            if conference is None:
                conference = _Conference(spec.name, next(self._generations))
                self._conferences[spec.name] = conference
            if conference.callback is None and spec.status_callback:
                callback = (spec.status_callback, spec.status_callback_method, spec.events)
                conference.callback = callback
            self._tell_peers(conference, call_sid, joined=True)
            joiner = self._calls.get(call_sid)
            for peer in conference.members:  # and the joiner, who is already there
                if joiner is not None and peer != call_sid:
                    joiner.inbox.put(PeerChanged(conference.generation, peer, joined=True))
            conference.members[call_sid] = spec
            if spec.end_on_exit:
                conference.anchors.add(call_sid)
            if joiner is not None and joiner.direction == "inbound":
                conference.callers.add(call_sid)
            owed = [self._participant_event(conference, "participant-join", call_sid, spec)]
            if not conference.started and spec.start_on_enter:
                conference.started = True
                owed.append(self._event(conference, "conference-start", {}))
            return conference.generation, [callback for callback in owed if callback]

    def leave(self, call_sid: str, name: str) -> list[Callback]:
        """The call left the conference and goes on elsewhere (moved by the REST API)."""
        with self._lock:
            conference = self._conferences.get(name)
            if conference is None or call_sid not in conference.members:
                return []
            owed = self._remove(conference, call_sid, "in-progress")
            if not conference.members:
                owed += self._end(conference, call_sid, "last-participant-left")
            return [callback for callback in owed if callback]

    def call_ended(self, call_sid: str) -> list[Callback]:
        """The call is over: it leaves its conference, and ends those it anchors."""
        with self._lock:
            call = self._calls.get(call_sid)
            if call is not None and call.ended is None:
                call.status, call.ended = "completed", datetime.now(UTC)
            owed: list[Callback | None] = []
            for conference in list(self._conferences.values()):
                was_in = call_sid in conference.members
                owed += self._remove(conference, call_sid, "completed")
                if call_sid in conference.anchors:
                    reason = "participant-with-end-conference-on-exit-left"
                    owed += self._end(conference, call_sid, reason)
                elif was_in and not conference.members:
                    owed += self._end(conference, call_sid, "last-participant-left")
                elif call_sid in conference.callers and not self._callers_live(conference):
                    # the agents' legs hang up: their caller is gone
                    last = list(conference.members)[-1]
                    owed += self._end(conference, last, "last-participant-left", "completed")
            return [callback for callback in owed if callback]

    def _callers_live(self, conference: _Conference) -> bool:
        calls = (self._calls.get(sid) for sid in conference.callers)
        return any(call is not None and call.ended is None for call in calls)

    def _remove(
        self, conference: _Conference, call_sid: str, call_status: str
    ) -> list[Callback | None]:
        spec = conference.members.pop(call_sid, None)
        if spec is None:
            return []
        self._tell_peers(conference, call_sid, joined=False)
        extra = {"ParticipantCallStatus": call_status}
        return [self._participant_event(conference, "participant-leave", call_sid, spec, extra)]

    def _end(
        self, conference: _Conference, ending: str, reason: str, call_status: str = "in-progress"
    ) -> list[Callback | None]:
        """End the conference: its members leave (with `call_status`) and are told."""
        if self._conferences.get(conference.name) is not conference:
            return []  # already over
        owed = []
        for call_sid in list(conference.members):
            owed += self._remove(conference, call_sid, call_status)
            call = self._calls.get(call_sid)
            if call is not None:
                call.inbox.put(ConferenceOver(conference.generation))
        del self._conferences[conference.name]
        ended = {"CallSidEndingConference": ending, "ReasonConferenceEnded": reason}
        owed.append(self._event(conference, "conference-end", ended))
        return owed

    def _tell_peers(self, conference: _Conference, call_sid: str, joined: bool) -> None:
        for peer in conference.members:
            call = self._calls.get(peer)
            if peer != call_sid and call is not None:
                call.inbox.put(PeerChanged(conference.generation, call_sid, joined))

    def _participant_event(
        self,
        conference: _Conference,
        event: str,
        call_sid: str,
        spec: ConferenceSpec,
        extra: dict[str, str] | None = None,
    ) -> Callback | None:
        return self._event(
            conference,
            event,
            {
                "CallSid": call_sid,
                "Muted": "false",
                "Hold": "false",
                "Coaching": "false",
                "StartConferenceOnEnter": str(spec.start_on_enter).lower(),
                "EndConferenceOnExit": str(spec.end_on_exit).lower(),
                **(extra or {}),
            },
        )

    def _event(
        self, conference: _Conference, event: str, params: dict[str, str]
    ) -> Callback | None:
        if conference.callback is None or event not in conference.callback[2]:
            return None
        url, method, _ = conference.callback
        sequence = self._sequence.get(conference.name, 0) + 1
        self._sequence[conference.name] = sequence
        return Callback(
            url,
            method,
            {
                "AccountSid": self.account_sid,
                "ConferenceSid": conference_sid(conference.name),
                "FriendlyName": conference.name,
                "StatusCallbackEvent": event,
                **params,
                "SequenceNumber": str(sequence),
                "Timestamp": format_datetime(datetime.now(UTC)),
            },
        )
