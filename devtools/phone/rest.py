"""A local stand-in for the part of Twilio's REST API the line uses, serving one Phone's calls
and taking the line's SMS.

    api = LocalTwilio(phone)          # on_message=click.echo shows each SMS on a terminal
    base = api.start(port=0)          # "http://127.0.0.1:PORT", bound to 127.0.0.1 only
    client = twilio.rest.Client(phone.account_sid, auth_token)
    client.api.base_url = base        # what the service does with TWILIO_API_BASE_URL
    client.calls(call_sid).update(url="http://…/webhooks/voice/capture")
    api.stop()

Routes (Twilio's paths, form-encoded bodies, JSON answers, HTTP Basic auth
`AccountSid:AuthToken` checked on every request, 401 otherwise):

- `POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`: `Url` (and `Method`, default
  POST) or `Twiml` moves the live call on: whatever it is doing (waiting in a conference or a
  queue, listening in a Gather) stops, and it runs the new TwiML. `Status=completed` (or
  `canceled`) hangs it up. 404 for an unknown call, 400 (21220) for one that has ended.
- `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`: `To`, `From` and `Url` (with `Method`) or
  `Twiml` place an outbound call, always an agent's phone here: answered at once, it runs its
  TwiML on a thread of its own; `<Dial><Conference>` puts it in the conference (status
  callbacks as for the caller) until that conference ends. `StatusCallback` (with
  `StatusCallbackMethod`) gets its completed status. Answers 201 with status "queued".
- `GET /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json`: the call as it is now.
- `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`: `To`, `From` or
  `MessagingServiceSid`, and `Body` send an SMS: nothing is delivered; it is kept in
  `api.messages` and shown as `[SMS to +1…] body` through `on_message`. Answers 201 with status
  "queued"; 400 without To (21604), a sender (21603) or Body (21602).

Anything else is 404. The answers carry the fields `twilio`'s `CallInstance` and
`MessageInstance` read.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import math
import re
import secrets
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from devtools.phone.switchboard import CallOver, LiveCall, NoSuchCall

if TYPE_CHECKING:
    from devtools.phone.device import Phone

API_VERSION = "2010-04-01"
_CALLS = re.compile(r"/2010-04-01/Accounts/(?P<account>[^/]+)/Calls(?:/(?P<sid>[^/]+))?\.json")
_MESSAGES = re.compile(r"/2010-04-01/Accounts/(?P<account>[^/]+)/Messages\.json")
_HANG_UP = frozenset({"completed", "canceled"})


class LocalTwilio:
    """Twilio's REST API for `phone`'s calls, on 127.0.0.1 (see the module's docstring)."""

    def __init__(self, phone: Phone, on_message: Callable[[str], None] | None = None) -> None:
        self.phone = phone
        self.on_message = on_message  # told "[SMS to +1…] body" for each SMS sent
        self.messages: list[dict[str, str | None]] = []  # to, from, body, sid, as sent
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the REST API stand-in is not started")
        return f"http://127.0.0.1:{self._server.server_port}"

    def start(self, port: int = 0) -> str:
        """Listen on 127.0.0.1:`port` (0: any free port); the base URL. Raises OSError when the
        port is taken."""
        if self._server is not None:
            raise RuntimeError("already started")
        self._server = _Server(("127.0.0.1", port), _Handler, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="local-twilio", daemon=True
        )
        self._thread.start()
        self.phone.switchboard.api_url = self.base_url
        return self.base_url

    def stop(self) -> None:
        if self._server is None:
            return
        self.phone.switchboard.api_url = None
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server, self._thread = None, None

    def __enter__(self) -> LocalTwilio:
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # One request: (status, JSON body).

    def handle(
        self, method: str, path: str, headers: Any, form: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        if not self._authorized(headers.get("Authorization", "")):
            return 401, _error(401, 20003, "Authenticate")
        sms = _MESSAGES.fullmatch(path)
        if method == "POST" and sms is not None and sms["account"] == self.phone.account_sid:
            return self._send(form)
        route = _CALLS.fullmatch(path)
        if route is None or route["account"] != self.phone.account_sid:
            return 404, _not_found(path)
        sid = route["sid"]
        if method == "POST" and sid is None:
            return self._create(form)
        if sid is None:
            return 404, _not_found(path)
        call = self.phone.switchboard.get(sid)
        if call is None:
            return 404, _not_found(path)
        if method == "GET":
            return 200, self.resource(call)
        return self._update(call, form)

    def _authorized(self, header: str) -> bool:
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            user, _, password = base64.b64decode(encoded, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return False
        right_user = hmac.compare_digest(user.encode(), self.phone.account_sid.encode())
        right_password = hmac.compare_digest(password.encode(), self.phone.auth_token.encode())
        return right_user and right_password

    def _update(self, call: LiveCall, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        switchboard = self.phone.switchboard
        status = form.get("Status", "").lower()
        method = form.get("Method", "POST").upper()
        invalid = _invalid_update(form, status, method)
        if invalid is not None:
            return 400, invalid
        try:
            if status in _HANG_UP:
                switchboard.complete(call.sid)
            elif "Twiml" in form:
                switchboard.redirect(call.sid, "", method, form["Twiml"])
            elif "Url" in form:
                switchboard.redirect(call.sid, form["Url"], method)
        except NoSuchCall:
            return 404, _not_found(call.sid)
        except CallOver:
            message = "Call is not in-progress. Cannot redirect."
            return 400, _error(400, 21220, message)
        return 200, self.resource(call, status="in-progress")

    def _create(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        method = form.get("Method", "POST").upper()
        invalid = _invalid_create(form, method)
        if invalid is not None:
            return 400, invalid
        callback = form.get("StatusCallback")
        callback_method = form.get("StatusCallbackMethod", "POST").upper()
        call = self.phone.place_outbound(
            form["To"],
            form["From"],
            url=form.get("Url") if "Twiml" not in form else None,
            method=method,
            twiml=form.get("Twiml"),
            status_callback=(callback, callback_method) if callback else None,
        )
        return 201, self.resource(call, status="queued")

    def _send(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        invalid = _invalid_message(form)
        if invalid is not None:
            return 400, invalid
        message = {
            "to": form["To"],
            "from": form.get("From") or None,
            "body": form["Body"],
            "sid": "SM" + secrets.token_hex(16),
            "messaging_service_sid": form.get("MessagingServiceSid") or None,
        }
        self.messages.append(message)
        if self.on_message is not None:
            self.on_message(f"[SMS to {message['to']}] {message['body']}")
        return 201, self.message_resource(message)

    def message_resource(self, message: dict[str, str | None]) -> dict[str, Any]:
        """An SMS as Twilio's API shows it when it has just been taken."""
        uri = f"/{API_VERSION}/Accounts/{self.phone.account_sid}/Messages/{message['sid']}.json"
        now = _rfc2822(datetime.now(UTC))
        return {
            **message,
            "account_sid": self.phone.account_sid,
            "api_version": API_VERSION,
            "status": "queued",
            "direction": "outbound-api",
            "date_created": now,
            "date_updated": now,
            "date_sent": None,
            "num_segments": str(_segments(message["body"] or "")),
            "num_media": "0",
            "error_code": None,
            "error_message": None,
            "price": None,
            "price_unit": "USD",
            "uri": uri,
            "subresource_uris": {"media": uri.removesuffix(".json") + "/Media.json"},
        }

    def resource(self, call: LiveCall, status: str | None = None) -> dict[str, Any]:
        """The call as Twilio's API shows it."""
        account = self.phone.account_sid
        uri = f"/{API_VERSION}/Accounts/{account}/Calls/{call.sid}.json"
        ended = call.ended
        duration = None if ended is None else str(int((ended - call.created).total_seconds()))
        subresources = ("notifications", "recordings", "payments", "events", "streams")
        return {
            "sid": call.sid,
            "account_sid": account,
            "parent_call_sid": None,
            "to": call.to_number,
            "to_formatted": call.to_number,
            "from": call.from_number,
            "from_formatted": call.from_number,
            "phone_number_sid": None,
            "status": status or call.status,
            "direction": call.direction,
            "api_version": API_VERSION,
            "date_created": _rfc2822(call.created),
            "date_updated": _rfc2822(ended or datetime.now(call.created.tzinfo)),
            "start_time": _rfc2822(call.created),
            "end_time": _rfc2822(ended) if ended else None,
            "duration": duration,
            "price": None,
            "price_unit": "USD",
            "answered_by": None,
            "forwarded_from": None,
            "group_sid": None,
            "caller_name": None,
            "queue_time": "0",
            "trunk_sid": None,
            "uri": uri,
            "subresource_uris": {
                name: uri.removesuffix(".json") + f"/{name.title()}.json" for name in subresources
            },
        }


def _invalid_update(form: dict[str, str], status: str, method: str) -> dict[str, Any] | None:
    if status and status not in _HANG_UP:
        return _error(400, 21218, f"Invalid Status {form['Status']!r}: completed or canceled")
    if "Url" in form and "Twiml" in form:
        return _error(400, 21205, "Url and Twiml are mutually exclusive")
    if "Url" in form and not _absolute(form["Url"]):
        return _error(400, 21205, f"Url is not a valid URL: {form['Url']!r}")
    if method not in ("GET", "POST"):
        return _error(400, 21206, f"Method must be GET or POST, not {method!r}")
    return None


def _invalid_create(form: dict[str, str], method: str) -> dict[str, Any] | None:
    if not form.get("To"):
        return _error(400, 21201, "No 'To' number is specified")
    if not form.get("From"):
        return _error(400, 21603, "A 'From' phone number is required.")
    if ("Url" in form) == ("Twiml" in form):
        message = "Give Url or Twiml, not both (ApplicationSid is not simulated)"
        return _error(400, 21205, message)
    return _invalid_update(form, "", method)


def _invalid_message(form: dict[str, str]) -> dict[str, Any] | None:
    if not form.get("To"):
        return _error(400, 21604, "A 'To' phone number is required.")
    if not form.get("From") and not form.get("MessagingServiceSid"):
        return _error(400, 21603, "A 'From' phone number is required.")
    if not form.get("Body"):
        return _error(400, 21602, "Message body is required.")
    return None


def _segments(body: str) -> int:
    """How many SMS carry `body`: 160 GSM-7 characters alone, 153 each when split (70 and 67
    for anything beyond ASCII, sent as UCS-2; GSM-7's own accented letters are not told)."""
    single, part = (160, 153) if body.isascii() else (70, 67)
    return 1 if len(body) <= single else math.ceil(len(body) / part)


def _absolute(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _rfc2822(moment: datetime) -> str:
    return format_datetime(moment)  # "Tue, 31 Aug 2010 20:36:28 +0000", whatever the locale


def _error(status: int, code: int, message: str) -> dict[str, Any]:
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


def _not_found(what: str) -> dict[str, Any]:
    return _error(404, 20404, f"The requested resource {what} was not found")


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], handler: type, api: LocalTwilio) -> None:
        self.api = api
        super().__init__(address, handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "LocalTwilio/1.0"

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self._answer("POST")

    def _answer(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", errors="replace") if length else ""
        form = {name: values[-1] for name, values in parse_qs(body, keep_blank_values=True).items()}
        path = urlsplit(self.path).path
        status, payload = self.server.api.handle(method, path, self.headers, form)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass  # quiet: the phone's terminal shows the call, not the API's requests
