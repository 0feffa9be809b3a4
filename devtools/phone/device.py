"""The phone itself: who calls whom, where, and how each request is signed."""

from __future__ import annotations

import math
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from devtools.phone.caller import Nobody, caller_for
from devtools.phone.events import CallLog, Event
from devtools.phone.script import Answer, parse_entry
from devtools.phone.session import CallSession, Inline, Request, TwimlSource
from devtools.phone.switchboard import LiveCall, Switchboard
from devtools.phone.transport import Transport
from devtools.phone.twiml import TwimlError

DEFAULT_FROM = "+16175550100"
DEFAULT_TO = "+18776236765"  # the member line
DEFAULT_RELAY_TO = "+18776236766"
VOICE_PATH = "/webhooks/voice"
STATUS_PATH = "/webhooks/voice/status"


class Phone:
    """Places simulated Twilio calls to the IVR through `transport`.

    `public_base_url` is the base the server believes Twilio called (its PUBLIC_BASE_URL);
    signatures are computed over it. It defaults to the transport's base URL.
    `answer_delay` is how long each answer takes (a relay operator is slow); an answer slower
    than a Gather's timeout is heard as silence and arrives at the next Gather instead.
    `stir_verstat` is what Twilio reports of the caller ID's SHAKEN/STIR attestation on an
    inbound call (for example `TN-Validation-Passed-A`); None sends no such parameter.

    A call that reaches `<Dial><Conference>` or `<Enqueue>` waits there until the caller hangs up
    (a script entry `h`, the end of the script or of the input), the REST API moves it on or
    hangs it up (`devtools.phone.rest.LocalTwilio` serves it for this phone's calls), or
    `conference_wait` seconds pass (None: no limit); then it ends there as a transfer. A scripted
    call that nothing could move on (no REST API serving the phone, no limit) ends there at once,
    as a transfer. `switchboard` holds the live calls and conferences.
    """

    def __init__(
        self,
        transport: Transport,
        auth_token: str,
        *,
        from_number: str = DEFAULT_FROM,
        to_number: str = DEFAULT_TO,
        public_base_url: str | None = None,
        answer_delay: float = 0.0,
        account_sid: str | None = None,
        speech_confidence: float = 0.87,
        max_requests: int = 100,
        conference_wait: float | None = None,
        stir_verstat: str | None = None,
    ) -> None:
        if answer_delay < 0:
            raise ValueError("answer_delay cannot be negative")
        if conference_wait is not None and conference_wait < 0:
            raise ValueError("conference_wait cannot be negative")
        self.transport = transport
        self.auth_token = auth_token
        self.validator = RequestValidator(auth_token)
        self.from_number = from_number
        self.to_number = to_number
        self.public_base_url = (public_base_url or transport.base_url).rstrip("/")
        self.answer_delay = answer_delay
        self.account_sid = account_sid or _sid("AC")
        self.speech_confidence = speech_confidence
        self.max_requests = max_requests
        self.conference_wait = conference_wait
        self.stir_verstat = stir_verstat
        self.switchboard = Switchboard(self.account_sid)
        self._legs: list[threading.Thread] = []

    @property
    def voice_url(self) -> str:
        return self.public_base_url + VOICE_PATH

    @property
    def status_url(self) -> str:
        return self.public_base_url + STATUS_PATH

    def call(
        self, script: Iterable[str], on_event: Callable[[Event], None] | None = None
    ) -> CallLog:
        """Place one call, answering each Gather with the next script entry.

        A list or tuple is checked before dialling; any other iterable is read lazily (one entry
        per Gather), which is how the interactive front-end feeds keyboard input.
        """
        if isinstance(script, str):
            raise TypeError("script is a list of entries, e.g. ['1', '100000000001#']")
        call = LiveCall(self.new_call_sid(), self.from_number, self.to_number)
        reprompt = getattr(script, "reprompt", None)  # a keyboard: ask again after a redirect
        session = CallSession(
            self,
            call,
            caller_for(_answers(script), call.inbox, reprompt),
            on_event,
            first=Request(self.voice_url),
            status_callback=(self.status_url, "POST"),
            wait_limit=self.conference_wait,
        )
        return session.run()

    def place_outbound(
        self,
        to_number: str,
        from_number: str,
        *,
        url: str | None = None,
        method: str = "POST",
        twiml: str | None = None,
        status_callback: tuple[str, str] | None = None,
        on_event: Callable[[Event], None] | None = None,
    ) -> LiveCall:
        """A call placed through the REST API (an agent's phone): answered at once, it runs
        `twiml` or the TwiML at `url` on a thread of its own; nobody presses keys on it."""
        if (url is None) == (twiml is None):
            raise ValueError("an outbound call needs a url or twiml, not both")
        call = LiveCall(
            self.new_call_sid(), from_number, to_number, "outbound-api", status="in-progress"
        )
        first: TwimlSource = Inline(twiml) if twiml is not None else Request(str(url), method)
        session = CallSession(
            self,
            call,
            Nobody(call.inbox),
            on_event,
            first=first,
            status_callback=status_callback,
            wait_limit=None,
        )
        self.switchboard.register(call)  # before the REST API answers: it can be updated at once
        leg = threading.Thread(target=session.run, name=f"leg-{call.sid}", daemon=True)
        self._legs = [thread for thread in self._legs if thread.is_alive()] + [leg]
        leg.start()
        return call

    def join_legs(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for the outbound legs to end; True if they all have."""
        for leg in list(self._legs):
            leg.join(timeout)
        return not any(leg.is_alive() for leg in self._legs)

    def new_call_sid(self) -> str:
        return _sid("CA")

    def call_params(
        self,
        call_sid: str,
        call_status: str,
        *,
        from_number: str | None = None,
        to_number: str | None = None,
        direction: str = "inbound",
    ) -> dict[str, str]:
        """The parameters Twilio sends with every request of a call (by default, the phone's
        inbound call from `from_number` to `to_number`)."""
        caller = from_number or self.from_number
        called = to_number or self.to_number
        params = {
            "CallSid": call_sid,
            "AccountSid": self.account_sid,
            "From": caller,
            "Caller": caller,
            "To": called,
            "Called": called,
            "CallStatus": call_status,
            "Direction": direction,
            "ApiVersion": "2010-04-01",
        }
        if self.stir_verstat is not None and direction == "inbound":
            params["StirVerstat"] = self.stir_verstat
        return params

    def status_params(self, log: CallLog) -> dict[str, str]:
        """What the status callback adds when the call has ended."""
        return {
            "CallDuration": str(math.ceil(log.duration)),
            "Timestamp": format_datetime(datetime.now(UTC)),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": "0",
        }

    def deliver(self, method: str, url: str, params: Mapping[str, str]) -> tuple[int, str]:
        """Send signed; GET puts the parameters in the query string, as Twilio does."""
        body: Mapping[str, str] | None = params
        if method == "GET":
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
            body = None
        signature = self.validator.compute_signature(url, dict(body or {}))
        headers = {"X-Twilio-Signature": signature}
        return self.transport.request(method, self._transport_path(url), body, headers)

    def _transport_path(self, url: str) -> str:
        base = self.public_base_url
        if url == base or url.startswith((base + "/", base + "?")):
            return url[len(base) :] or "/"
        raise TwimlError(f"{url} is not under {base}, the only server this phone can reach")


def _sid(prefix: str) -> str:
    return prefix + secrets.token_hex(16)


def _answers(script: Iterable[str]) -> Sequence[Answer] | Iterator[Answer]:
    """A list or tuple is checked before dialling; any other iterable is read lazily."""
    if isinstance(script, Sequence):
        return [parse_entry(entry) for entry in script]
    return (parse_entry(entry) for entry in script)
