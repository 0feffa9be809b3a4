"""The terminal phone against a tiny signed-TwiML Flask app (not the real IVR)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator

import pytest
from click.testing import CliRunner
from flask import Flask, Response, request
from hypothesis import given
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator
from twilio.twiml.voice_response import Gather, VoiceResponse
from werkzeug.serving import make_server

from devtools.phone import (
    Answered,
    Gathered,
    HttpTransport,
    Ignored,
    Phone,
    Played,
    Said,
    TimedOut,
    Transferred,
    WsgiTransport,
    call,
    parse_entry,
)
from devtools.phone.gather import collect
from devtools.phone.script import Keys

TOKEN = "test-auth-token"
Handler = Callable[[dict[str, str]], "str | tuple[str, int]"]


class TwimlServer:
    """Serves TwiML per path, rejects bad signatures with 403, and remembers every request."""

    def __init__(self, routes: dict[str, Handler | str], public_base: str | None = None) -> None:
        self.routes = routes
        self.public_base = public_base
        self.received: list[tuple[str, str, dict[str, str]]] = []
        self.app = Flask(__name__)
        self.app.add_url_rule("/<path:path>", view_func=self.serve, methods=["GET", "POST"])

    def serve(self, path: str) -> Response | tuple[str, int]:
        url = request.url if self.public_base is None else self.public_base + request.full_path
        url = url.removesuffix("?")  # werkzeug's full_path always ends with '?'
        form = request.form.to_dict()
        signature = request.headers.get("X-Twilio-Signature", "")
        if not RequestValidator(TOKEN).validate(url, form, signature):
            return "bad signature", 403
        self.received.append((request.method, "/" + path, {**request.args.to_dict(), **form}))
        route = self.routes.get("/" + path, "<Response/>")
        reply = route({**request.args.to_dict(), **form}) if callable(route) else route
        body, status = reply if isinstance(reply, tuple) else (reply, 200)
        return Response(body, status=status, mimetype="text/xml")

    def paths(self) -> list[str]:
        return [path for _, path, _ in self.received]

    def params(self, path: str) -> dict[str, str]:
        return next(params for _, p, params in self.received if p == path)


def dial(routes: dict[str, Handler | str], script: list[str], **phone_options) -> tuple:
    server = TwimlServer(routes)
    phone = Phone(WsgiTransport(server.app.test_client()), TOKEN, **phone_options)
    return phone.call(script), server


def echo_digits(form: dict[str, str]) -> str:
    heard = form.get("Digits", form.get("SpeechResult", ""))
    return f"<Response><Say>You entered {heard or 'nothing'}.</Say><Hangup/></Response>"


ASK_ID = """<Response>
  <Gather action="/webhooks/id" finishOnKey="#" timeout="10">
    <Say>Enter your subscriber ID, then press pound.</Say>
  </Gather>
  <Say>We did not get your ID.</Say>
</Response>"""


def test_keys_are_posted_as_digits_without_the_finish_key() -> None:
    log, server = dial({"/webhooks/voice": ASK_ID, "/webhooks/id": echo_digits}, ["100000000001#"])

    params = server.params("/webhooks/id")
    assert params["Digits"] == "100000000001"
    assert params["FinishedOnKey"] == "#"
    assert log.spoken == "Enter your subscriber ID, then press pound.\nYou entered 100000000001."
    assert log.ended_by == "server-hangup"


def test_keys_without_the_finish_key_are_sent_when_the_timeout_passes() -> None:
    log, server = dial({"/webhooks/voice": ASK_ID, "/webhooks/id": echo_digits}, ["1234"])

    assert server.params("/webhooks/id")["Digits"] == "1234"
    assert server.params("/webhooks/id")["FinishedOnKey"] == ""


def test_request_carries_twilio_parameters() -> None:
    log, server = dial(
        {"/webhooks/voice": ASK_ID, "/webhooks/id": echo_digits},
        ["1#"],
        from_number="+16175550123",
        account_sid="AC" + "a" * 32,
    )

    first, second = server.params("/webhooks/voice"), server.params("/webhooks/id")
    assert re.fullmatch(r"CA[0-9a-f]{32}", first["CallSid"])
    assert first["CallSid"] == second["CallSid"] == log.call_sid
    assert first["AccountSid"] == "AC" + "a" * 32
    assert (first["From"], first["To"]) == ("+16175550123", "+18776236765")
    assert (first["Direction"], first["ApiVersion"]) == ("inbound", "2010-04-01")
    assert (first["CallStatus"], second["CallStatus"]) == ("ringing", "in-progress")


def test_num_digits_submits_without_finish_key_and_drops_extra_keys() -> None:
    menu = """<Response>
      <Gather numDigits="1" action="/webhooks/menu"><Say>Press 1.</Say></Gather>
    </Response>"""
    log, server = dial({"/webhooks/voice": menu, "/webhooks/menu": echo_digits}, ["23"])

    assert server.params("/webhooks/menu")["Digits"] == "2"
    assert Ignored("keys 3", "pressed after the Gather had finished") in log.events


def test_silence_falls_through_to_the_next_verb() -> None:
    log, server = dial({"/webhooks/voice": ASK_ID}, [""])

    assert server.paths() == ["/webhooks/voice", "/webhooks/voice/status"]
    assert log.spoken.endswith("We did not get your ID.")
    assert log.timeouts == [TimedOut(10)]
    assert log.ended_by == "end-of-twiml"


def test_finish_key_alone_is_no_input() -> None:
    log, server = dial({"/webhooks/voice": ASK_ID}, ["#"])

    assert "/webhooks/id" not in server.paths()
    assert log.spoken.endswith("We did not get your ID.")


def test_action_on_empty_result_posts_empty_digits() -> None:
    ask = '<Response><Gather action="/webhooks/id" actionOnEmptyResult="true"/></Response>'
    log, server = dial({"/webhooks/voice": ask, "/webhooks/id": echo_digits}, [""])

    assert server.params("/webhooks/id")["Digits"] == ""
    assert log.said_after(2) == "You entered nothing."


def test_redirect_and_gather_action_resolve_relative_to_the_request_url() -> None:
    routes: dict[str, Handler | str] = {
        "/webhooks/voice": "<Response><Redirect>menu?step=1</Redirect></Response>",
        "/webhooks/menu": '<Response><Gather action="choice" numDigits="1"/></Response>',
        "/webhooks/choice": echo_digits,
    }
    log, server = dial(routes, ["1"])

    assert server.paths() == [
        "/webhooks/voice",
        "/webhooks/menu",
        "/webhooks/choice",
        "/webhooks/voice/status",
    ]
    assert server.params("/webhooks/menu")["step"] == "1"
    assert log.gathers[0].action == "http://localhost/webhooks/choice"


def test_gather_without_action_posts_to_the_current_document() -> None:
    routes: dict[str, Handler | str] = {
        "/webhooks/voice": lambda form: (
            echo_digits(form) if "Digits" in form else "<Response><Gather/></Response>"
        )
    }
    log, server = dial(routes, ["7#"])

    assert server.paths()[:2] == ["/webhooks/voice", "/webhooks/voice"]
    assert log.spoken == "You entered 7."


def test_get_method_sends_parameters_in_a_signed_query_string() -> None:
    ask = '<Response><Gather action="/webhooks/id?lang=en" method="GET"/></Response>'
    log, server = dial({"/webhooks/voice": ask, "/webhooks/id": echo_digits}, ["42#"])

    method, _, params = server.received[1]
    assert (method, params["Digits"], params["lang"]) == ("GET", "42", "en")
    assert not log.errors


SPEECH_OR_KEYS = """<Response>
  <Gather input="dtmf speech" action="/webhooks/id" hints="one, two" speechTimeout="auto">
    <Say>Say or enter your ID.</Say>
  </Gather>
</Response>"""


def test_speech_is_posted_when_the_gather_takes_speech() -> None:
    log, server = dial(
        {"/webhooks/voice": SPEECH_OR_KEYS, "/webhooks/id": echo_digits}, ["say: one two three"]
    )

    params = server.params("/webhooks/id")
    assert (params["SpeechResult"], params["Confidence"]) == ("one two three", "0.87")
    assert "Digits" not in params
    assert log.gathers[0].input == "dtmf speech"
    assert log.gathers[0].hints == "one, two"


def test_speech_to_a_keys_only_gather_is_unheard_and_times_out() -> None:
    log, server = dial({"/webhooks/voice": ASK_ID, "/webhooks/id": echo_digits}, ["say: one"])

    assert "/webhooks/id" not in server.paths()
    assert Ignored("speech 'one'", "this Gather only takes input=dtmf") in log.events
    assert log.timeouts == [TimedOut(10)]


def test_keys_to_a_speech_only_gather_are_unheard() -> None:
    ask = '<Response><Gather input="speech" action="/webhooks/id"/></Response>'
    log, server = dial({"/webhooks/voice": ask}, ["12#"])

    assert server.paths() == ["/webhooks/voice", "/webhooks/voice/status"]
    assert log.ended_by == "end-of-twiml"


RELAY_RETRY = {
    "/webhooks/voice": """<Response>
      <Gather action="/webhooks/id" timeout="5"><Say>Enter your ID.</Say></Gather>
      <Redirect>/webhooks/retry</Redirect>
    </Response>""",
    "/webhooks/retry": """<Response>
      <Gather action="/webhooks/id" timeout="30"><Say>Take your time. Enter your ID.</Say></Gather>
    </Response>""",
    "/webhooks/id": echo_digits,
}


def test_answer_slower_than_the_timeout_is_silence_then_reaches_the_next_gather() -> None:
    log, server = dial(RELAY_RETRY, ["100000000001#"], answer_delay=20)

    assert [gather.timeout for gather in log.gathers] == [5, 30]
    assert log.timeouts == [TimedOut(5, 20)]
    assert str(log.timeouts[0]) == "timed out after 5s (answer took 20s)"
    assert server.params("/webhooks/id")["Digits"] == "100000000001"
    assert Said("Take your time. Enter your ID.", interrupted=True) in log.events


def test_answer_within_the_timeout_is_heard() -> None:
    log, server = dial(RELAY_RETRY, ["100000000001#"], answer_delay=4)

    assert log.timeouts == []
    assert server.paths()[1] == "/webhooks/id"


def test_server_hangup_posts_a_completed_status_callback() -> None:
    log, server = dial({"/webhooks/voice": "<Response><Say>Bye.</Say><Hangup/></Response>"}, [])

    status = server.params("/webhooks/voice/status")
    assert status["CallStatus"] == "completed"
    assert status["CallSid"] == log.call_sid
    assert status["CallDuration"].isdigit()
    assert log.ended_by == "server-hangup"
    assert log.requests == 2


def test_caller_hangup_stops_the_call_and_posts_the_status_callback() -> None:
    log, server = dial({"/webhooks/voice": ASK_ID, "/webhooks/id": echo_digits}, ["hangup", "1#"])

    assert server.paths() == ["/webhooks/voice", "/webhooks/voice/status"]
    assert log.ended_by == "caller-hangup"
    assert "We did not get your ID." not in log.spoken


def test_running_out_of_script_hangs_up() -> None:
    log, _ = dial({"/webhooks/voice": ASK_ID}, [])

    assert log.ended_by == "caller-hangup"
    assert Answered("hangup", "script ended") in log.events


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (("oops", 500), "HTTP 500"),
        ("<Response><Say>unclosed</Response>", "not XML"),
        ("Thanks!", "not XML"),
        ("<Reply><Say>Hi</Say></Reply>", "root element is <Reply>"),
        ("", "empty response"),
        ('<Response><Gather timeout="soon"/></Response>', "timeout='soon'"),
    ],
)
def test_anything_but_twiml_is_an_application_error(reply: str | tuple, message: str) -> None:
    log, server = dial({"/webhooks/voice": lambda form: reply}, ["1#"])

    assert len(log.errors) == 1
    assert message in log.errors[0].message
    assert log.ended_by == "error"
    assert server.paths()[-1] == "/webhooks/voice/status"


def test_wrong_auth_token_is_refused_by_the_server() -> None:
    server = TwimlServer({"/webhooks/voice": ASK_ID})
    phone = Phone(WsgiTransport(server.app.test_client()), "not-the-token")

    log = phone.call(["1#"])

    assert "HTTP 403" in log.errors[0].message
    assert "status callback" in log.errors[1].message
    assert server.received == []


def test_signature_uses_the_public_base_url() -> None:
    server = TwimlServer(
        {"/webhooks/voice": ASK_ID, "/webhooks/id": echo_digits},
        public_base="https://ivr.example.org",
    )
    client = server.app.test_client()

    signed = Phone(WsgiTransport(client), TOKEN, public_base_url="https://ivr.example.org")
    unsigned = Phone(WsgiTransport(client), TOKEN)

    assert signed.call(["5#"]).errors == []
    assert server.params("/webhooks/id")["Digits"] == "5"
    assert "HTTP 403" in unsigned.call(["5#"]).errors[0].message


def test_dial_and_enqueue_transfer_the_call() -> None:
    for twiml, expected in [
        ("<Dial>+16175550199</Dial>", Transferred("+16175550199", "number")),
        ("<Dial><Number>+16175550198</Number></Dial>", Transferred("+16175550198", "number")),
        ("<Dial><Queue>relay-agents</Queue></Dial>", Transferred("relay-agents", "queue")),
        ("<Enqueue>agents</Enqueue>", Transferred("agents", "queue")),
        ("<Dial><Sip>sip:r@example.org</Sip></Dial>", Transferred("sip:r@example.org", "sip")),
    ]:
        log, _ = dial({"/webhooks/voice": f"<Response>{twiml}<Say>unreached</Say></Response>"}, [])
        assert log.transfers == [expected]
        assert log.ended_by == "transfer"
        assert "unreached" not in log.spoken


def test_play_pause_language_and_unknown_verbs_are_recorded() -> None:
    twiml = """<Response>
      <Play>https://example.org/hold.mp3</Play><Pause length="2"/>
      <Say language="es-US" voice="Polly.Lupe">Hola.</Say><Record/>
    </Response>"""
    log, _ = dial({"/webhooks/voice": twiml}, [])

    assert Played("https://example.org/hold.mp3") in log.events
    assert Said("Hola.", "es-US", "Polly.Lupe") in log.events
    assert any(isinstance(e, Ignored) and e.what == "<Record>" for e in log.events)
    assert log.duration >= 2
    assert log.errors == []


def test_reject_ends_the_call() -> None:
    log, server = dial({"/webhooks/voice": '<Response><Reject reason="busy"/></Response>'}, [])

    assert log.ended_by == "server-hangup"
    assert server.paths() == ["/webhooks/voice", "/webhooks/voice/status"]


def test_twiml_built_by_the_twilio_helper_library_runs() -> None:
    def menu(form: dict[str, str]) -> str:
        response = VoiceResponse()
        gather = Gather(action="/webhooks/id", input="dtmf speech", action_on_empty_result=True)
        gather.say("Para español, oprima 2.", language="es-US")
        response.append(gather)
        return str(response)

    log, server = dial({"/webhooks/voice": menu, "/webhooks/id": echo_digits}, ["2"])

    assert Said("Para español, oprima 2.", "es-US") in log.events
    assert log.gathers[0].action_on_empty_result
    assert server.params("/webhooks/id")["Digits"] == "2"
    assert log.errors == []


def test_a_looping_flow_is_stopped() -> None:
    log, _ = dial({"/webhooks/voice": "<Response><Redirect>voice</Redirect></Response>"}, [])

    assert "looping" in log.errors[0].message
    assert log.requests == 101  # the limit, then the status callback


def test_said_in_and_after_split_the_speech_by_request() -> None:
    log, _ = dial({"/webhooks/voice": ASK_ID, "/webhooks/id": echo_digits}, ["9#"])

    assert log.said_in(1) == "Enter your subscriber ID, then press pound."
    assert log.said_in(2) == log.said_after(2) == "You entered 9."
    assert log.said_after(0) == log.spoken
    with pytest.raises(IndexError):
        log.said_after(4)


def test_script_entries_are_checked_before_dialling() -> None:
    server = TwimlServer({})
    phone = Phone(WsgiTransport(server.app.test_client()), TOKEN)

    with pytest.raises(ValueError, match="not a script entry"):
        phone.call(["1", "one"])
    with pytest.raises(TypeError):
        phone.call("1#")
    assert server.received == []


@pytest.mark.parametrize(
    ("entry", "kind"),
    [("", "Silence"), ("  ", "Silence"), ("H", "HangUp"), ("say: yes", "Speech"), ("1 2#", "Keys")],
)
def test_parse_entry(entry: str, kind: str) -> None:
    assert type(parse_entry(entry)).__name__ == kind


@given(
    keys=st.text(alphabet="0123456789*#", min_size=1, max_size=20),
    finish=st.sampled_from(["#", "*", ""]),
    num_digits=st.none() | st.integers(min_value=1, max_value=12),
)
def test_collected_digits_follow_twilio_rules(keys: str, finish: str, num_digits: int | None):
    gather = Gathered("http://x/a", finish_on_key=finish, num_digits=num_digits)

    params = collect(gather, Keys(keys), 0.9).params

    if params is not None:
        digits = params["Digits"]
        assert keys.startswith(digits)
        assert not finish or finish not in digits
        assert num_digits is None or len(digits) <= num_digits
        assert params["FinishedOnKey"] in ("", finish)


# The click command, over real HTTP against a werkzeug server in a thread.


@pytest.fixture()
def live_server() -> Iterator[tuple[str, TwimlServer]]:
    twiml = TwimlServer({"/webhooks/voice": ASK_ID, "/webhooks/id": echo_digits})
    http = make_server("127.0.0.1", 0, twiml.app)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{http.server_port}", twiml
    finally:
        http.shutdown()
        thread.join()
        http.server_close()


def test_http_transport_places_a_signed_call(live_server: tuple[str, TwimlServer]) -> None:
    url, server = live_server
    log = Phone(HttpTransport(url), TOKEN).call(["12#"])

    assert log.errors == []
    assert server.params("/webhooks/id")["Digits"] == "12"


def test_http_transport_reports_an_unreachable_server() -> None:
    http = make_server("127.0.0.1", 0, Flask(__name__))
    port = http.server_port
    http.server_close()

    log = Phone(HttpTransport(f"http://127.0.0.1:{port}"), TOKEN).call([])

    assert log.ended_by == "error"
    assert log.errors[0].message.startswith(f"POST http://127.0.0.1:{port}/webhooks/voice: ")
    assert log.errors[1].message.startswith("status callback http://")
    assert "no HTTP answer" in log.errors[1].message


def test_cli_script(live_server: tuple[str, TwimlServer]) -> None:
    url, server = live_server
    result = CliRunner().invoke(
        call, ["--url", url, "--script", "100000000001#"], env={"TWILIO_AUTH_TOKEN": TOKEN}
    )

    assert result.exit_code == 0, result.output
    assert "  ☎  Enter your subscriber ID, then press pound." in result.output
    assert "  ☎  You entered 100000000001." in result.output
    assert "Call ended (server-hangup)" in result.output


def test_cli_relay_calls_the_relay_number(live_server: tuple[str, TwimlServer]) -> None:
    url, server = live_server
    env = {"TWILIO_AUTH_TOKEN": TOKEN, "RELAY_NUMBERS": "+18005550111,+18005550112"}
    result = CliRunner().invoke(call, ["--url", url, "--relay", "--script", ""], env=env)

    assert result.exit_code == 0, result.output
    assert server.params("/webhooks/voice")["To"] == "+18005550111"
    assert "timed out after 10s (no input)" in result.output


def test_cli_interactive_reads_lines_and_hangs_up_at_end_of_input(
    live_server: tuple[str, TwimlServer],
) -> None:
    url, server = live_server
    result = CliRunner().invoke(
        call, ["--url", url], input="not keys\n42\n", env={"TWILIO_AUTH_TOKEN": TOKEN}
    )

    assert result.exit_code == 0, result.output
    assert "'#' optional" in result.output and "(timeout 10s)" in result.output
    assert "not a script entry" in result.output
    assert server.params("/webhooks/id")["Digits"] == "42"


def test_cli_exits_1_on_an_application_error(live_server: tuple[str, TwimlServer]) -> None:
    url, server = live_server
    server.routes["/webhooks/voice"] = lambda form: ("boom", 500)
    result = CliRunner().invoke(
        call, ["--url", url, "--script", "1#"], env={"TWILIO_AUTH_TOKEN": TOKEN}
    )

    assert result.exit_code == 1
    assert "✖  POST http://127.0.0.1" in result.output and "HTTP 500: boom" in result.output
    assert "Call ended (error" in result.output


def test_cli_rejects_a_bad_script(live_server: tuple[str, TwimlServer]) -> None:
    url, server = live_server
    result = CliRunner().invoke(
        call, ["--url", url, "--script", "1,abc"], env={"TWILIO_AUTH_TOKEN": TOKEN}
    )

    assert result.exit_code == 2
    assert server.received == []
