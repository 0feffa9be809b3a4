"""The few Twilio REST calls the line makes, with the official client: dial an agent's phone into
a caller's conference, move a live call to another URL (into and out of a secure capture), and
hang a call up. `TWILIO_API_BASE_URL` points it at Twilio, or at the local stand-in in
development (devtools)."""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0  # inside the webhook's budget


class TwilioUnavailable(Exception):
    """Twilio's REST API refused or did not answer; the message names the call, not its data."""


class TwilioCalls:
    def __init__(self, account_sid: str, auth_token: str, base_url: str) -> None:
        http = TwilioHttpClient(timeout=TIMEOUT_SECONDS)
        self._client = Client(account_sid or None, auth_token, http_client=http)
        self._client.api.base_url = base_url.rstrip("/")
        self._account_sid = account_sid

    def dial_into_conference(self, to: str, from_: str, conference_twiml: str) -> str:
        """Call `to` (an agent's phone) and put it in the conference; the new leg's CallSid."""
        try:
            call = self._client.calls.create(to=to, from_=from_, twiml=conference_twiml)
        except TwilioException as error:
            raise TwilioUnavailable(f"dialling an agent: {type(error).__name__}") from None
        return str(call.sid)

    def redirect(self, call_sid: str, url: str) -> None:
        """Move a live call to `url` (Twilio fetches it, signed, and runs its TwiML)."""
        try:
            self._client.calls(call_sid).update(url=url, method="POST")
        except TwilioException as error:
            raise TwilioUnavailable(f"moving call {call_sid}: {type(error).__name__}") from None

    @property
    def configured(self) -> bool:
        return bool(self._account_sid)


def conference_twiml(name: str, status_url: str) -> str:
    """TwiML that joins a leg to the conference `name`, reporting joins and leaves."""
    return (
        "<Response><Dial><Conference"
        f' statusCallback="{escape(status_url)}" statusCallbackEvent="join leave end"'
        ' statusCallbackMethod="POST" beep="false">'
        f"{escape(name)}</Conference></Dial></Response>"
    )
