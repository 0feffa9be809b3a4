"""TwilioMessages over real HTTP on 127.0.0.1: against the terminal phone's local Twilio, and
against stand-ins that refuse, fail, hang up or never answer, for how each maps onto
SmsRefused, SmsNotSent and SmsUncertain."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from devtools.phone import HttpTransport, LocalTwilio, Phone
from ivr.channels import twilio_rest
from ivr.channels.twilio_rest import TwilioMessages
from payments.messages.sending import SmsNotSent, SmsRefused, SmsUncertain

TOKEN = "test-auth-token"
ACCOUNT = "AC" + "3" * 32
LINE = "+18775550123"
MEMBER = "+16175550100"


@pytest.fixture()
def shown() -> list[str]:
    """What the terminal phone showed of the texts it took."""
    return []


@pytest.fixture()
def local_twilio(shown: list[str]) -> Iterator[LocalTwilio]:
    phone = Phone(HttpTransport("http://127.0.0.1:9"), TOKEN, account_sid=ACCOUNT)
    with LocalTwilio(phone, on_message=shown.append) as api:
        yield api


def test_an_sms_sent_through_the_local_twilio_arrives_and_its_sid_comes_back(
    local_twilio: LocalTwilio, shown: list[str]
) -> None:
    sender = TwilioMessages(ACCOUNT, TOKEN, local_twilio.base_url + "/", LINE)

    sid = sender.send(MEMBER, "Your payment was approved.")

    assert sid.startswith("SM") and len(sid) == 34
    (message,) = local_twilio.messages
    assert (message["sid"], message["to"], message["from"]) == (sid, MEMBER, LINE)
    assert message["body"] == "Your payment was approved."
    assert shown == [f"[SMS to {MEMBER}] Your payment was approved."]


def test_a_messaging_service_sid_is_sent_as_the_service_not_as_a_from_number(
    local_twilio: LocalTwilio,
) -> None:
    service = "MG" + "5" * 32
    TwilioMessages(ACCOUNT, TOKEN, local_twilio.base_url, service).send(MEMBER, "Hello")

    (message,) = local_twilio.messages
    assert (message["messaging_service_sid"], message["from"]) == (service, None)


def test_wrong_credentials_are_a_refusal_with_twilio_s_code(local_twilio: LocalTwilio) -> None:
    sender = TwilioMessages(ACCOUNT, "wrong-token", local_twilio.base_url, LINE)

    with pytest.raises(SmsRefused) as refused:
        sender.send(MEMBER, "Hello")

    assert refused.value.code == 20003
    assert local_twilio.messages == []


@pytest.mark.parametrize(
    ("account", "token", "from_", "configured"),
    [(ACCOUNT, TOKEN, LINE, True), ("", TOKEN, LINE, False), (ACCOUNT, "", LINE, False),
     (ACCOUNT, TOKEN, "", False)],
)  # fmt: skip
def test_it_is_configured_only_with_an_account_a_token_and_a_sender(
    account: str, token: str, from_: str, configured: bool
) -> None:
    assert TwilioMessages(account, token, "", from_).configured is configured


# --- stand-ins that answer badly ---------------------------------------------------------

Behaviour = Callable[[BaseHTTPRequestHandler], None]


@pytest.fixture()
def stand_in() -> Iterator[Callable[[Behaviour], str]]:
    """`stand_in(behaviour)`: the base URL of a server that treats every request so."""
    servers: list[ThreadingHTTPServer] = []

    def start(behaviour: Behaviour) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                behaviour(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def answering(status: int, body: bytes) -> Behaviour:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


def test_twilio_answering_400_with_an_error_code_is_a_refusal_with_that_code(stand_in) -> None:
    error = {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}
    base = stand_in(answering(400, json.dumps(error).encode()))

    with pytest.raises(SmsRefused) as refused:
        TwilioMessages(ACCOUNT, TOKEN, base, LINE).send(MEMBER, "Hello")

    assert refused.value.code == 21610
    assert MEMBER not in str(refused.value) and "Hello" not in str(refused.value)


@pytest.mark.parametrize("body", [b"", b'{"code": 20500, "message": "Internal Server Error"}'])
def test_a_5xx_answer_leaves_it_uncertain(stand_in, body: bytes) -> None:
    base = stand_in(answering(500, body))

    with pytest.raises(SmsUncertain):
        TwilioMessages(ACCOUNT, TOKEN, base, LINE).send(MEMBER, "Hello")


def test_a_201_that_is_not_json_leaves_it_uncertain(stand_in) -> None:
    base = stand_in(answering(201, b"<html>taken</html>"))

    with pytest.raises(SmsUncertain):
        TwilioMessages(ACCOUNT, TOKEN, base, LINE).send(MEMBER, "Hello")


def test_a_port_nobody_listens_on_is_not_sent() -> None:
    with socket.socket() as probe:  # a free port, closed again: connecting to it is refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    with pytest.raises(SmsNotSent):
        TwilioMessages(ACCOUNT, TOKEN, f"http://127.0.0.1:{port}", LINE).send(MEMBER, "Hello")


def test_a_connection_dropped_after_the_request_leaves_it_uncertain(stand_in) -> None:
    base = stand_in(lambda handler: handler.connection.close())

    with pytest.raises(SmsUncertain):
        TwilioMessages(ACCOUNT, TOKEN, base, LINE).send(MEMBER, "Hello")


def test_no_answer_within_the_timeout_leaves_it_uncertain(stand_in, monkeypatch) -> None:
    release = threading.Event()
    base = stand_in(lambda handler: release.wait(5))
    monkeypatch.setattr(twilio_rest, "SMS_TIMEOUT_SECONDS", 0.2)
    sender = TwilioMessages(ACCOUNT, TOKEN, base, LINE)

    try:
        with pytest.raises(SmsUncertain):
            sender.send(MEMBER, "Hello")
    finally:
        release.set()
