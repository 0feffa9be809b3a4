"""What happened on a simulated call: typed events, and the call log that holds them in order."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

EndReason = Literal["server-hangup", "caller-hangup", "transfer", "end-of-twiml", "error"]
AnswerKind = Literal["keys", "speech", "silence", "hangup"]


@dataclass(frozen=True)
class Said:
    """A <Say>, top-level or nested in a <Gather>."""

    text: str
    language: str = "en-US"
    voice: str | None = None
    loop: int = 1
    interrupted: bool = False  # the caller keyed ahead and cut it short


@dataclass(frozen=True)
class Played:
    """A <Play>: the phone cannot hear audio, so it keeps the URL (shown as "[audio]")."""

    url: str


@dataclass(frozen=True)
class Paused:
    seconds: int


@dataclass(frozen=True)
class Gathered:
    """A <Gather> started listening; `action` is already resolved to an absolute URL."""

    action: str
    method: str = "POST"
    input: str = "dtmf"
    timeout: int = 5
    finish_on_key: str = "#"
    num_digits: int | None = None
    speech_timeout: str | None = None
    hints: str | None = None
    language: str = "en-US"
    action_on_empty_result: bool = False
    attrs: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def accepts_dtmf(self) -> bool:
        return "dtmf" in self.input.split()

    @property
    def accepts_speech(self) -> bool:
        return "speech" in self.input.split()


@dataclass(frozen=True)
class Answered:
    """The caller did something when asked: keys, speech, silence or hanging up."""

    kind: AnswerKind
    value: str = ""


@dataclass(frozen=True)
class TimedOut:
    """Twilio heard nothing within the Gather's timeout (or the answer came too late)."""

    timeout: int
    answer_took: float | None = None

    def __str__(self) -> str:
        if self.answer_took is None:
            return f"timed out after {self.timeout}s (no input)"
        return f"timed out after {self.timeout}s (answer took {self.answer_took:g}s)"


@dataclass(frozen=True)
class Ignored:
    """Something Twilio would drop: an unsimulated verb, keys after a Gather, unheard speech."""

    what: str
    reason: str


@dataclass(frozen=True)
class Sent:
    """One signed HTTP request to the server; `status` is None when it could not be delivered."""

    url: str
    params: dict[str, str]
    method: str = "POST"
    status: int | None = None


@dataclass(frozen=True)
class Transferred:
    """The call was handed on and the phone stops following it: a number was dialled, or a wait
    in a conference or queue ended there (`Phone(conference_wait=…)`, or nothing could move the
    call on)."""

    target: str
    kind: str = "number"  # number, queue, sip, client, conference


@dataclass(frozen=True)
class Conferenced:
    """The call joined the conference `name` (`<Dial><Conference>`) and waits there."""

    name: str


@dataclass(frozen=True)
class Enqueued:
    """The call waits in the queue `name` (`<Enqueue>`)."""

    name: str


@dataclass(frozen=True)
class Peer:
    """Another call joined (or left) the conference this call waits in, e.g. an agent's leg."""

    conference: str
    call_sid: str
    joined: bool = True


@dataclass(frozen=True)
class Left:
    """The call stopped waiting in the conference or queue `name`, and why."""

    name: str
    why: str


@dataclass(frozen=True)
class Redirected:
    """The REST API moved the live call on (a call update with `Url`, or `Twiml`)."""

    url: str  # "(inline TwiML)" for an update with Twiml
    method: str = "POST"


@dataclass(frozen=True)
class Error:
    """What Twilio would answer with "an application error has occurred"."""

    message: str


@dataclass(frozen=True)
class Ended:
    reason: EndReason
    detail: str = ""


Event = (
    Said
    | Played
    | Paused
    | Gathered
    | Answered
    | TimedOut
    | Ignored
    | Sent
    | Transferred
    | Conferenced
    | Enqueued
    | Peer
    | Left
    | Redirected
    | Error
    | Ended
)


@dataclass
class CallLog:
    """Everything one call did, in order; `duration` is simulated seconds."""

    call_sid: str
    events: list[Event] = field(default_factory=list)
    duration: float = 0.0

    @property
    def spoken(self) -> str:
        """Every <Say> text, one per line."""
        return _joined_speech(self.events)

    def said_after(self, n: int) -> str:
        """Everything said in reply to the n-th request and later (n counts from 1; 0 is all)."""
        return _joined_speech(self.events[self._index_of_request(n) :])

    def said_in(self, n: int) -> str:
        """Only what the reply to the n-th request said."""
        start = self._index_of_request(n)
        end = self._index_of_request(n + 1) if n < self.requests else len(self.events)
        return _joined_speech(self.events[start:end])

    @property
    def sent(self) -> list[Sent]:
        return [event for event in self.events if isinstance(event, Sent)]

    @property
    def requests(self) -> int:
        """HTTP requests made, the status callback included."""
        return len(self.sent)

    @property
    def gathers(self) -> list[Gathered]:
        return [event for event in self.events if isinstance(event, Gathered)]

    def gather_prompts(self) -> list[str]:
        """What each Gather said while it listened (the prompts nested in it), in order: words
        said outside a Gather are heard before any key counts."""
        prompts: list[list[str]] = []
        inside = False
        for event in self.events:
            if isinstance(event, Gathered):
                prompts.append([])
                inside = True
            elif isinstance(event, Said) and inside:
                prompts[-1].append(event.text)
            elif not isinstance(event, Said | Played | Paused):
                inside = False
        return ["\n".join(texts) for texts in prompts]

    @property
    def timeouts(self) -> list[TimedOut]:
        return [event for event in self.events if isinstance(event, TimedOut)]

    @property
    def errors(self) -> list[Error]:
        return [event for event in self.events if isinstance(event, Error)]

    @property
    def transfers(self) -> list[Transferred]:
        return [event for event in self.events if isinstance(event, Transferred)]

    @property
    def conferences(self) -> list[str]:
        """The conferences the call joined, in order (a name twice if it joined twice)."""
        return [event.name for event in self.events if isinstance(event, Conferenced)]

    @property
    def ended_by(self) -> EndReason | None:
        ends = [event for event in self.events if isinstance(event, Ended)]
        return ends[0].reason if ends else None

    def _index_of_request(self, n: int) -> int:
        if n == 0:
            return 0
        if not 1 <= n <= self.requests:
            raise IndexError(f"request {n} of {self.requests}")
        positions = [i for i, event in enumerate(self.events) if isinstance(event, Sent)]
        return positions[n - 1] + 1


def _joined_speech(events: list[Event]) -> str:
    return "\n".join(event.text for event in events if isinstance(event, Said))
