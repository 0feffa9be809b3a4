"""The terminal phone as a local Twilio: calls wait in <Conference> and <Enqueue>, and the REST API
(driven with the official `twilio` client) moves them on, dials agents' legs in and hangs up.

The line here is a tiny signed-TwiML Flask app, not the real IVR. Threads are ordered with queues
and events only; every wait is bounded.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

import pytest
from click.testing import CliRunner
from flask import Flask, Response, request
from twilio.base.exceptions import TwilioRestException
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from werkzeug.serving import make_server

from devtools.phone import (
    CallLog,
    Conferenced,
    Enqueued,
    Event,
    Gathered,
    HttpTransport,
    Left,
    LocalTwilio,
    Peer,
    Phone,
    Redirected,
    Transferred,
    call,
)

TOKEN = "test-auth-token"
WAIT = 10.0  # seconds: the bound on every wait for another thread
AGENT_DESK = "+16175550199"
LINE = "+18776236765"


def conference_twiml(name: str, status_url: str, end_on_exit: bool = True) -> str:
    """What the line answers when a caller asks for a representative (and dials an agent with,
    without endConferenceOnExit)."""
    ending = ' endConferenceOnExit="true"' if end_on_exit else ""
    return (
        "<Response><Say>Please hold while we connect you to a representative.</Say>"
        f'<Dial><Conference statusCallback="{status_url}" statusCallbackEvent="join leave end"'
        f' statusCallbackMethod="POST" startConferenceOnEnter="true"{ending} beep="false">'
        f"{name}</Conference></Dial><Say>Unreached while in the conference.</Say></Response>"
    )


CAPTURE = """<Response>
  <Gather action="/webhooks/capture/done" numDigits="4"><Say>Enter four digits.</Say></Gather>
</Response>"""
MENU = """<Response>
  <Gather action="/webhooks/menu" numDigits="1"><Say>Press 1.</Say></Gather>
</Response>"""
QUEUE = "<Response><Enqueue>representatives</Enqueue><Say>Unreached in the queue.</Say></Response>"


@dataclass
class Line:
    """The line: answers the first webhook with `first` ("conference", "queue" or "menu"; or
    "dial-agent": like the real line, dial an agent's leg in with `twilio`, then join the caller
    without endConferenceOnExit), serves the capture TwiML the REST API moves calls to, and
    records what Twilio sent it."""

    first: str = "conference"
    twilio: Client | None = None
    app: Flask = field(default_factory=lambda: Flask(__name__))
    base: str = ""
    callbacks: queue.Queue[dict[str, str]] = field(default_factory=queue.Queue)
    statuses: queue.Queue[dict[str, str]] = field(default_factory=queue.Queue)
    received: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    forged: list[str] = field(default_factory=list)  # paths requested without a valid signature

    def __post_init__(self) -> None:
        self.app.add_url_rule("/<path:path>", view_func=self.serve, methods=["GET", "POST"])

    @property
    def conference_url(self) -> str:
        return self.base + "/webhooks/voice/conference"

    def serve(self, path: str) -> Response:
        form = request.form.to_dict()
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(request.url, form, signature):
            self.forged.append("/" + path)
            return Response("bad signature", status=403)
        self.received.append(("/" + path, form))
        return Response(self.reply("/" + path, form), mimetype="text/xml")

    def reply(self, path: str, form: dict[str, str]) -> str:
        name = f"call-{form.get('CallSid')}"
        if path == "/webhooks/voice":
            if self.first == "dial-agent" and self.twilio is not None:
                agent_twiml = conference_twiml(name, self.conference_url, end_on_exit=False)
                self.twilio.calls.create(to=AGENT_DESK, from_=LINE, twiml=agent_twiml)
                return conference_twiml(name, self.conference_url, end_on_exit=False)
            first = {"queue": QUEUE, "menu": MENU}
            return first.get(self.first) or conference_twiml(name, self.conference_url)
        if path == "/webhooks/voice/conference":
            self.callbacks.put(form)
            return ""
        if path == "/webhooks/voice/status":
            self.statuses.put(form)
            return ""
        if path == "/webhooks/capture":
            return CAPTURE
        if path == "/webhooks/capture/done":
            return conference_twiml(name, self.conference_url)
        return "<Response><Hangup/></Response>"

    def callback(self, event: str) -> dict[str, str]:
        """The next conference status callback, which must be `event`."""
        params = self.callbacks.get(timeout=WAIT)
        assert params["StatusCallbackEvent"] == event, params
        return params

    def paths(self) -> list[str]:
        return [path for path, _ in self.received]

    def params(self, path: str) -> dict[str, str]:
        return next(params for p, params in self.received if p == path)


@pytest.fixture()
def line() -> Iterator[Line]:
    served = Line()
    http = make_server("127.0.0.1", 0, served.app, threaded=True)
    served.base = f"http://127.0.0.1:{http.server_port}"
    thread = threading.Thread(target=http.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield served
    finally:
        http.shutdown()
        thread.join()
        http.server_close()


@dataclass
class Twilio:
    phone: Phone
    api: LocalTwilio
    client: Client
    base: str


@pytest.fixture()
def twilio(line: Line) -> Iterator[Twilio]:
    phone = Phone(HttpTransport(line.base), TOKEN, conference_wait=WAIT)
    api = LocalTwilio(phone)
    base = api.start(port=0)
    client = Client(phone.account_sid, TOKEN)
    client.api.base_url = base
    try:
        yield Twilio(phone, api, client, base)
    finally:
        api.stop()
        assert phone.join_legs(WAIT), "an agent's leg is still in a conference"
        assert line.forged == []


class Running:
    """A call placed on a thread of its own, so the test can drive the REST API meanwhile."""

    def __init__(self, phone: Phone, script: object) -> None:
        self.events: queue.Queue[Event] = queue.Queue()
        self._result: queue.Queue[CallLog | BaseException] = queue.Queue()
        self._thread = threading.Thread(target=self._run, args=(phone, script), daemon=True)
        self._thread.start()

    def _run(self, phone: Phone, script: object) -> None:
        try:
            self._result.put(phone.call(script, on_event=self.events.put))  # type: ignore[arg-type]
        except BaseException as error:  # reported on the test's thread
            self._result.put(error)

    def until(self, wanted: Callable[[Event], bool]) -> Event:
        """The first event from now on that is `wanted`."""
        while True:
            event = self.events.get(timeout=WAIT)
            if wanted(event):
                return event

    def log(self) -> CallLog:
        result = self._result.get(timeout=WAIT)
        self._thread.join(WAIT)
        if isinstance(result, BaseException):
            raise result
        return result


def test_the_caller_waits_in_the_conference_until_the_rest_api_moves_it(
    line: Line, twilio: Twilio
) -> None:
    running = Running(twilio.phone, ["1234", "h"])

    join = line.callback("participant-join")
    sid, name = join["CallSid"], f"call-{join['CallSid']}"
    assert join["FriendlyName"] == name
    assert join["ConferenceSid"].startswith("CF") and len(join["ConferenceSid"]) == 34
    assert join["AccountSid"] == twilio.phone.account_sid
    assert (join["Muted"], join["Hold"], join["SequenceNumber"]) == ("false", "false", "1")

    updated = twilio.client.calls(sid).update(url=line.base + "/webhooks/capture")

    assert (updated.sid, updated.status, updated.account_sid) == (
        sid,
        "in-progress",
        twilio.phone.account_sid,
    )
    assert isinstance(updated.date_created, datetime)
    assert updated.uri.endswith(f"/Calls/{sid}.json")
    left = line.callback("participant-leave")
    assert (left["CallSid"], left["SequenceNumber"]) == (sid, "2")
    assert line.callback("conference-end")["ReasonConferenceEnded"] == "last-participant-left"
    rejoin = line.callback("participant-join")  # after the capture Gather, back in the conference
    assert (rejoin["CallSid"], rejoin["ConferenceSid"]) == (sid, join["ConferenceSid"])
    assert line.callback("participant-leave")["CallSid"] == sid  # the script's "h"
    ended = line.callback("conference-end")
    assert ended["ReasonConferenceEnded"] == "participant-with-end-conference-on-exit-left"
    log = running.log()

    assert line.params("/webhooks/capture")["CallStatus"] == "in-progress"
    assert line.params("/webhooks/capture/done")["Digits"] == "1234"
    assert log.conferences == [name, name]
    assert Redirected(line.base + "/webhooks/capture") in log.events
    assert Left(name, "moved on") in log.events
    assert "Unreached" not in log.spoken
    assert log.ended_by == "caller-hangup"
    assert line.statuses.get(timeout=WAIT)["CallStatus"] == "completed"
    assert log.errors == []


def test_an_agent_leg_placed_through_the_api_joins_the_conference_until_the_call_ends(
    line: Line, twilio: Twilio
) -> None:
    running = Running(twilio.phone, ["1"])  # keys kept for a Gather that never comes
    caller = line.callback("participant-join")["CallSid"]
    name = f"call-{caller}"

    agent = twilio.client.calls.create(
        to=AGENT_DESK,
        from_=LINE,
        twiml=conference_twiml(name, line.conference_url, end_on_exit=False),
    )

    assert agent.sid.startswith("CA") and agent.sid != caller
    assert (agent.status, agent.to, agent._from) == ("queued", AGENT_DESK, LINE)
    assert isinstance(agent.date_created, datetime)
    joined = line.callback("participant-join")
    assert (joined["CallSid"], joined["FriendlyName"]) == (agent.sid, name)
    assert running.until(lambda e: isinstance(e, Peer)) == Peer(name, agent.sid, joined=True)
    assert twilio.client.calls(agent.sid).fetch().status == "in-progress"

    hung_up = twilio.client.calls(caller).update(status="completed")

    assert hung_up.status == "in-progress"  # Twilio answers before the call has ended
    assert line.callback("participant-leave")["CallSid"] == caller
    assert line.callback("participant-leave")["CallSid"] == agent.sid
    ended = line.callback("conference-end")
    assert ended["CallSidEndingConference"] == caller
    log = running.log()
    assert log.ended_by == "server-hangup"
    assert line.statuses.get(timeout=WAIT)["CallSid"] == caller
    assert twilio.phone.join_legs(WAIT)
    assert twilio.client.calls(agent.sid).fetch().status == "completed"
    assert twilio.client.calls(caller).fetch().status == "completed"
    agent_log = twilio.phone.switchboard.get(agent.sid).log  # type: ignore[union-attr]
    assert agent_log is not None and agent_log.conferences == [name]
    assert agent_log.errors == []


def test_the_agent_leg_hangs_up_when_its_caller_hangs_up_even_away_from_the_conference(
    line: Line, twilio: Twilio
) -> None:
    line.first, line.twilio = "dial-agent", twilio.client  # the agent's leg joins first
    typed: queue.Queue[str] = queue.Queue()
    running = Running(twilio.phone, iter(lambda: typed.get(timeout=WAIT), None))
    joins = {line.callback("participant-join")["CallSid"] for _ in range(2)}
    peer = running.until(lambda e: isinstance(e, Peer))
    assert isinstance(peer, Peer) and joins == {
        peer.call_sid,
        peer.conference.removeprefix("call-"),
    }

    caller = peer.conference.removeprefix("call-")
    twilio.client.calls(caller).update(url=line.base + "/webhooks/capture")

    assert line.callback("participant-leave")["CallSid"] == caller  # the agent stays
    running.until(lambda e: isinstance(e, Gathered))
    typed.put("h")  # the caller hangs up in the capture
    left = line.callback("participant-leave")
    assert (left["CallSid"], left["ParticipantCallStatus"]) == (peer.call_sid, "completed")
    ended = line.callback("conference-end")
    assert (ended["ReasonConferenceEnded"], ended["CallSidEndingConference"]) == (
        "last-participant-left",
        peer.call_sid,
    )
    assert running.log().ended_by == "caller-hangup"
    assert twilio.phone.join_legs(WAIT)
    assert twilio.client.calls(peer.call_sid).fetch().status == "completed"


def test_a_redirect_cuts_a_listening_gather_short_and_it_sends_nothing(
    line: Line, twilio: Twilio
) -> None:
    line.first = "menu"
    typed: queue.Queue[str] = queue.Queue()

    def keyboard() -> Iterator[str]:  # a person typing: read lazily, one line at a time
        while True:
            yield typed.get(timeout=WAIT)

    running = Running(twilio.phone, keyboard())
    running.until(lambda e: isinstance(e, Gathered))
    (listening,) = twilio.phone.switchboard.calls()

    twilio.client.calls(listening.sid).update(url=line.base + "/webhooks/capture")

    assert running.until(lambda e: isinstance(e, Gathered)).action.endswith("/capture/done")
    typed.put("1234")  # the line asked for before the redirect: it answers the capture Gather
    assert line.callback("participant-join")["CallSid"] == listening.sid
    typed.put("5")  # keys while waiting in the conference: nobody listens
    typed.put("h")
    assert line.callback("participant-leave")["CallSid"] == listening.sid
    log = running.log()

    assert "/webhooks/menu" not in line.paths()
    assert line.params("/webhooks/capture/done")["Digits"] == "1234"
    assert any(getattr(event, "what", "") == "keys 5" for event in log.events)
    assert log.ended_by == "caller-hangup"


def test_enqueue_waits_until_the_rest_api_moves_the_call(line: Line, twilio: Twilio) -> None:
    line.first = "queue"
    running = Running(twilio.phone, ["1234", "h"])
    running.until(lambda e: isinstance(e, Enqueued))
    (waiting,) = twilio.phone.switchboard.calls()

    twilio.client.calls(waiting.sid).update(url=line.base + "/webhooks/capture")

    assert line.callback("participant-join")["CallSid"] == waiting.sid  # no callbacks before
    log = running.log()
    assert log.events[log.events.index(Enqueued("representatives")) + 1] == Left(
        "representatives", "moved on"
    )
    assert "Unreached in the queue." not in log.spoken
    assert line.params("/webhooks/capture/done")["Digits"] == "1234"
    assert log.transfers == []


def test_twiml_given_to_the_api_runs_in_place_of_the_wait(line: Line, twilio: Twilio) -> None:
    running = Running(twilio.phone, ["1"])
    sid = line.callback("participant-join")["CallSid"]

    twilio.client.calls(sid).update(twiml="<Response><Say>Goodbye.</Say><Hangup/></Response>")

    log = running.log()
    assert Redirected("(inline TwiML)") in log.events
    assert log.spoken.endswith("Goodbye.")
    assert log.ended_by == "server-hangup"


def test_a_conference_wait_limit_ends_the_call_there(line: Line) -> None:
    phone = Phone(HttpTransport(line.base), TOKEN, conference_wait=0.05)

    log = phone.call(["1"])

    name = log.conferences[0]
    assert Left(name, "waited 0.05s") in log.events
    assert log.transfers == [Transferred(name, "conference")]
    assert log.ended_by == "transfer"
    assert [line.callback(event)["CallSid"] for event in ("participant-join", "participant-leave")]
    assert line.callback("conference-end")
    assert line.statuses.get(timeout=WAIT)["CallStatus"] == "completed"


def test_with_nothing_to_move_it_a_scripted_call_ends_at_the_conference(line: Line) -> None:
    log = Phone(HttpTransport(line.base), TOKEN).call(["1"])  # no REST API, no limit

    assert log.transfers == [Transferred(log.conferences[0], "conference")]
    assert log.ended_by == "transfer"
    assert line.callbacks.empty()


def test_a_caller_whose_script_has_ended_hangs_up_in_the_conference(
    line: Line, twilio: Twilio
) -> None:
    log = twilio.phone.call([])

    assert line.callback("participant-join")["CallSid"] == log.call_sid
    assert line.callback("participant-leave")["CallSid"] == log.call_sid
    assert log.ended_by == "caller-hangup"
    assert [e for e in log.events if isinstance(e, Conferenced | Left)][-1] == Left(
        log.conferences[0], "hung up"
    )


def test_wrong_credentials_are_refused_with_401(twilio: Twilio) -> None:
    for account, token in [(twilio.phone.account_sid, "wrong"), ("AC" + "1" * 32, TOKEN)]:
        client = Client(account, token)
        client.api.base_url = twilio.base
        with pytest.raises(TwilioRestException) as refused:
            client.calls("CA" + "0" * 32).update(url="http://127.0.0.1/x")
        assert (refused.value.status, refused.value.code) == (401, 20003)

    path = f"/2010-04-01/Accounts/{twilio.phone.account_sid}/Calls.json"
    status, body = http(twilio.base + path, {}, data=b"To=%2B1&From=%2B1&Url=x")
    assert (status, body["code"], body["status"]) == (401, 20003, 401)
    assert twilio.phone.switchboard.calls() == []  # nothing was dialled


def test_an_unknown_or_ended_call_is_refused(line: Line, twilio: Twilio) -> None:
    with pytest.raises(TwilioRestException) as unknown:
        twilio.client.calls("CA" + "f" * 32).update(url=line.base + "/webhooks/capture")
    assert (unknown.value.status, unknown.value.code) == (404, 20404)

    ended = twilio.phone.call(["h"])
    with pytest.raises(TwilioRestException) as over:
        twilio.client.calls(ended.call_sid).update(url=line.base + "/webhooks/capture")
    assert (over.value.status, over.value.code) == (400, 21220)

    credentials = base64.b64encode(f"{twilio.phone.account_sid}:{TOKEN}".encode()).decode()
    other_account = "/2010-04-01/Accounts/AC" + "2" * 32 + f"/Calls/{ended.call_sid}.json"
    status, body = http(twilio.base + other_account, {"Authorization": f"Basic {credentials}"})
    assert (status, body["code"]) == (404, 20404)


def http(url: str, headers: dict[str, str], data: bytes | None = None) -> tuple[int, dict]:
    """A request without the twilio client: (status, JSON body)."""
    asked = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(asked, timeout=WAIT) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        with error:
            return error.code, json.loads(error.read())


def test_cli_waits_in_the_conference_until_h_and_says_where_the_api_listens(line: Line) -> None:
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": None}
    result = CliRunner().invoke(
        call, ["--url", line.base, "--rest-port", "0"], input="h\n", env=env
    )

    assert result.exit_code == 0, result.output
    assert "Twilio REST API stand-in on http://127.0.0.1:" in result.output
    assert "TWILIO_API_BASE_URL=http://127.0.0.1:" in result.output
    assert f"TWILIO_ACCOUNT_SID=AC{'0' * 32} (the fixed local account" in result.output
    assert "  ⧗  in conference call-CA" in result.output
    assert ": waiting for a representative (h to hang up)" in result.output
    assert "Call ended (caller-hangup)" in result.output
    assert line.callback("participant-join")["AccountSid"] == "AC" + "0" * 32
    assert line.callback("participant-leave")


def test_cli_account_sid_comes_from_the_environment(line: Line) -> None:
    account = "AC" + "7" * 32
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": account}
    result = CliRunner().invoke(
        call, ["--url", line.base, "--rest-port", "0", "--script", "h"], env=env
    )

    assert result.exit_code == 0, result.output
    assert f"TWILIO_ACCOUNT_SID={account} (read from TWILIO_ACCOUNT_SID)" in result.output
    assert line.params("/webhooks/voice")["AccountSid"] == account


def test_an_sms_is_taken_kept_and_shown_and_answered_as_twilio_does(twilio: Twilio) -> None:
    shown: list[str] = []
    twilio.api.on_message = shown.append
    body = "Health Connector: your payment was approved. " * 4  # 184 characters: 2 segments

    sent = twilio.client.messages.create(to=AGENT_DESK, from_=LINE, body=body)

    assert sent.sid.startswith("SM") and len(sent.sid) == 34
    assert (sent.status, sent.to, sent.from_, sent.body) == ("queued", AGENT_DESK, LINE, body)
    assert (sent.account_sid, sent.num_segments) == (twilio.phone.account_sid, "2")
    assert isinstance(sent.date_created, datetime)
    assert sent.uri == f"/2010-04-01/Accounts/{twilio.phone.account_sid}/Messages/{sent.sid}.json"
    assert twilio.api.messages == [
        {"to": AGENT_DESK, "from": LINE, "body": body, "sid": sent.sid,
         "messaging_service_sid": None},
    ]  # fmt: skip
    assert shown == [f"[SMS to {AGENT_DESK}] {body}"]


def test_an_sms_without_a_number_a_sender_or_words_is_refused(twilio: Twilio) -> None:
    service = "MG" + "4" * 32
    attempts = [
        ({"to": "", "from_": LINE, "body": "Hello"}, 21604),
        ({"to": AGENT_DESK, "body": "Hello"}, 21603),
        ({"to": AGENT_DESK, "messaging_service_sid": service}, 21602),
    ]
    for fields, code in attempts:
        with pytest.raises(TwilioRestException) as refused:
            twilio.client.messages.create(**fields)
        assert (refused.value.status, refused.value.code) == (400, code)

    by_service = twilio.client.messages.create(
        to=AGENT_DESK, messaging_service_sid=service, body="Hello"
    )
    assert [m["sid"] for m in twilio.api.messages] == [by_service.sid]
    assert twilio.api.messages[0]["messaging_service_sid"] == service
