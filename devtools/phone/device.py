"""The phone itself: who calls whom, where, and how each request is signed."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from urllib.parse import urlencode

from twilio.request_validator import RequestValidator

from devtools.phone.events import CallLog, Event
from devtools.phone.script import Answer, parse_entry
from devtools.phone.session import CallSession
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
    ) -> None:
        if answer_delay < 0:
            raise ValueError("answer_delay cannot be negative")
        self.transport = transport
        self.validator = RequestValidator(auth_token)
        self.from_number = from_number
        self.to_number = to_number
        self.public_base_url = (public_base_url or transport.base_url).rstrip("/")
        self.answer_delay = answer_delay
        self.account_sid = account_sid or _sid("AC")
        self.speech_confidence = speech_confidence
        self.max_requests = max_requests

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
        return CallSession(self, _answers(script), on_event).run()

    def new_call_sid(self) -> str:
        return _sid("CA")

    def call_params(self, call_sid: str, call_status: str) -> dict[str, str]:
        """The parameters Twilio sends with every request of an inbound call."""
        return {
            "CallSid": call_sid,
            "AccountSid": self.account_sid,
            "From": self.from_number,
            "Caller": self.from_number,
            "To": self.to_number,
            "Called": self.to_number,
            "CallStatus": call_status,
            "Direction": "inbound",
            "ApiVersion": "2010-04-01",
        }

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


def _answers(script: Iterable[str]) -> Iterator[Answer]:
    if isinstance(script, Sequence):
        return iter([parse_entry(entry) for entry in script])
    return (parse_entry(entry) for entry in script)
