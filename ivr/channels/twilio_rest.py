"""The few Twilio REST calls the line makes, with the official client: dial an agent's phone into
a caller's conference, move a live call to another URL (into and out of a secure capture), hang
a call up, and send the outbox's SMS. `TWILIO_API_BASE_URL` points it at Twilio, or at the local
stand-in in development (devtools)."""

from __future__ import annotations

import logging
from xml.sax.saxutils import escape

import requests
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import NewConnectionError

from payments.messages.sending import SmsNotSent, SmsRefused, SmsUncertain

log = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0  # inside the webhook's budget
SMS_TIMEOUT_SECONDS = 10.0  # a worker sends the outbox: no caller waits, but a worker does


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
        except (TwilioException, requests.RequestException) as error:  # refused, or no answer
            raise TwilioUnavailable(f"dialling an agent: {type(error).__name__}") from None
        return str(call.sid)

    def redirect(self, call_sid: str, url: str) -> None:
        """Move a live call to `url` (Twilio fetches it, signed, and runs its TwiML)."""
        try:
            self._client.calls(call_sid).update(url=url, method="POST")
        except (TwilioException, requests.RequestException) as error:  # refused, or no answer
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


class TwilioMessages:
    """Sends the outbox's SMS (payments.messages.sending.SmsSender) from `from_`: the line's
    number, or a Messaging Service SID ("MG…") whose sender pool picks one."""

    def __init__(self, account_sid: str, auth_token: str, base_url: str, from_: str) -> None:
        http = TwilioHttpClient(timeout=SMS_TIMEOUT_SECONDS)
        self._client = Client(account_sid or None, auth_token, http_client=http)
        if base_url:
            self._client.api.base_url = base_url.rstrip("/")
        self._account_sid, self._auth_token, self._from = account_sid, auth_token, from_

    @property
    def configured(self) -> bool:
        return bool(self._account_sid and self._auth_token and self._from)

    def send(self, to: str, body: str) -> str:
        """Send one SMS; Twilio's SID for it. Raises SmsRefused, SmsNotSent or SmsUncertain,
        naming neither the number nor the words."""
        try:
            message = self._client.messages.create(to=to, body=body, **self._sender())
        except TwilioException as error:  # TwilioRestException; newer 9.x: RFC 9457's too
            raise _answered(getattr(error, "status", None), getattr(error, "code", None)) from None
        except requests.RequestException as error:
            raise _unanswered(error) from None
        except ValueError:  # an answer that is not JSON: Twilio may have taken it
            raise SmsUncertain("Twilio's answer could not be read") from None
        if not message.sid:
            raise SmsUncertain("Twilio's answer named no message")
        return str(message.sid)

    def _sender(self) -> dict[str, str]:
        if self._from.startswith("MG"):
            return {"messaging_service_sid": self._from}
        return {"from_": self._from}


def _answered(status: int | None, code: int | None) -> Exception:
    """Twilio's error answer: a 4xx refuses the message; after a 5xx it may still go out."""
    if status is None or status >= 500:
        return SmsUncertain(f"Twilio answered {status} (code {code}): it may have been sent")
    return SmsRefused(code, f"Twilio refused the message: {status}, code {code}")


def _unanswered(error: requests.RequestException) -> Exception:
    """No answer: not sent only when no connection was ever made; else it may have been."""
    if _never_connected(error):
        return SmsNotSent(f"could not connect to Twilio: {type(error).__name__}")
    return SmsUncertain(f"no answer from Twilio: {type(error).__name__}")


def _never_connected(error: requests.RequestException) -> bool:
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError) or not error.args:
        return False  # a read timeout, or a transport error once the request had gone out
    return isinstance(getattr(error.args[0], "reason", None), NewConnectionError)
