"""Agent-assisted captures end to end through the local Twilio stand-in: the real app, a caller on
the terminal phone (devtools.phone) and an agent on the JSON API.

The caller's phone runs on a thread of its own and reaches the app in-process (WSGI, no socket);
the app reaches the stand-in's REST API over HTTP on 127.0.0.1 with the official `twilio` client,
as it would reach Twilio: the stand-in dials the agent's leg into the caller's conference, and
moves the caller's leg into the capture (and, when the agent cancels, out of it). The test's
thread is the agent: it logs in, waits for the call to be connected, starts the capture, follows
it, and cancels it in some cases.

Each case checks what the caller heard, what the agent saw, the money (processor against records)
and that no card or account number reached the call-state store or any API answer.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from devtools.phone import (
    CallLog,
    Conferenced,
    Event,
    Gathered,
    Left,
    LocalTwilio,
    Peer,
    Phone,
    Redirected,
    Said,
    WsgiTransport,
)
from ivr.channels.twilio_rest import TwilioCalls
from ivr.speech.words import say_characters
from payments.operations.admin import account_as_json
from payments.storage.db import make_session_factory
from payments.storage.tables import AUTHORIZATIONS, PAYMENTS
from payments.storage.unit_of_work import uow_factory_for
from tests.e2e.conftest import RELAY_NUMBER, STRANGER, TOKEN, Line
from tests.e2e.test_card_and_bank_calls import ANA, ANA_DOB, ROUTING, VISA
from tests.oracle import MoneyOracle

WAIT = 15.0  # seconds: the bound on every wait for another thread
AGENT_DESK = "+16175550199"
RELAY_AGENT_DESK = "+16175550198"
MEMBER_LINE = "+18776236765"
PLAN = "H-100000000001"
AMOUNT = "45.00"
DECLINED_VISA = "4000000000000002"  # the sandbox declines it (generic)
CHECKING = "123456789"
RELAY_CHECKING = "4455661116"
API = "/api/agent/v1"
PASSWORD = "correct horse battery"

SPOKEN_VISA = "say: four two four two four two four two four two four two four two four two"
SPOKEN_ROUTING = "say: oh one one oh oh oh oh one five"
SPOKEN_CHECKING = "say: four four five five six six one one one six"

# What the caller hears, by language.
INTRO = {
    "en": "Your representative asked us to take your payment details.",
    "es": "Su representante nos pidió tomar sus datos de pago.",
}
BACK = {
    "en": "Now back to your representative.",
    "es": "Le comunicamos de nuevo con su representante.",
}
APPROVED = {
    "en": "Approved. Your confirmation number is",
    "es": "Aprobado. Su número de confirmación es",
}
# A bank debit is scheduled, not approved: it is money only once the bank pays it.
SCHEDULED = {
    "en": "Your confirmation number is",
    "es": "Su número de confirmación es",
}
STOPPED = "Your representative stopped this payment. Nothing was charged."
DECLINED = (
    "Your payment was declined by your card issuer.",
    "You have not been charged for this payment.",
)
AUTHORIZED = {"en": "single ACH debit of forty-five dollars", "es": "único débito ACH de"}

CARD_VOICE = (
    "Enter your card number, then press pound.",
    "Enter the expiration month and year.",
    "Enter the security code.",
    "Enter the billing ZIP code.",
    "To confirm, press 1.",
)
CARD_RELAY = (
    "Enter the card number, then pound.",
    "We heard a number ending in four, two, four, two.",
    "Enter the expiration date: month and year, 4 digits.",
)
BANK_VOICE = (
    "For a checking account, press 1.",
    "Enter the 9-digit bank routing number, then press pound.",
    "Enter the account number, then press pound.",
    "To make sure, enter the account number again, then press pound.",
)
BANK_VOICE_ES = (
    "Para una cuenta de cheques, oprima 1.",
    "Ingrese el número de ruta bancaria de 9 dígitos",
    "Ingrese el número de cuenta y luego oprima la tecla de número.",
    "Para asegurarnos, ingrese el número de cuenta otra vez",
    "Para autorizar este débito, oprima 1.",
)
BANK_RELAY = (
    "Press 1 for checking, or 2 for savings.",
    "Enter the 9-digit routing number.",
    "We heard zero, one, one, zero, zero, zero, zero, one, five.",
    "Enter the account number.",
    "We heard a number ending in one, one, one, six.",
    "Enter the account number again.",
    "Press 1 to authorize.",
)
FIELDS = {
    "card": ("card_number", "expiry", "security_code", "zip", "confirm"),
    "bank": ("account_type", "routing", "account", "account_again", "authorization"),
}


@dataclass(frozen=True)
class Case:
    """One capture: what the caller keys once moved into it (out of answers, they wait at the
    next prompt, where the agent cancels if `agent_cancels`; "h" hangs up), and what everyone
    must see at the end."""

    method: str  # card | bank
    end: str  # the capture's final state: approved | declined | cancelled | abandoned
    relay: bool
    lang: str  # en | es
    keyed: tuple[str, ...]
    number: str  # the full card or account number, which must never show
    prompts: tuple[str, ...]  # heard in the capture, in this order
    display: str  # what the agent sees of the card or account number at the end
    done: int  # how many fields (in order) the agent sees done at the end
    agent_cancels: bool = False
    also_heard: tuple[str, ...] = field(default=())  # in this order, after the prompts began

    @property
    def shown(self) -> dict[str, str]:
        """Each field's display at the end: at most brand or type, and last 4."""
        names = FIELDS[self.method]
        shown = dict.fromkeys(names, "")
        if self.method == "card":
            shown["card_number"] = self.display
        else:
            shown["account_type"] = "checking"
            shown["account"] = self.display
        return shown


CASES = {
    "card-approved-voice": Case(
        "card",
        "approved",
        relay=False,
        lang="en",
        keyed=(f"{VISA}#", "1228#", "123#", "02110#", "1"),
        number=VISA,
        prompts=CARD_VOICE,
        display="visa ending 4242",
        done=5,
        also_heard=("Paying forty-five dollars to your health plan, Visa ending in four, two,",),
    ),
    "card-declined-voice": Case(
        "card",
        "declined",
        relay=False,
        lang="en",
        keyed=(f"{DECLINED_VISA}#", "1228#", "123#", "02110#", "1"),
        number=DECLINED_VISA,
        prompts=CARD_VOICE,
        display="visa ending 0002",
        done=5,
        also_heard=DECLINED,
    ),
    "card-cancelled-relay": Case(
        "card",
        "cancelled",
        relay=True,
        lang="en",
        keyed=(SPOKEN_VISA, "1"),  # read back, confirmed; the agent cancels at the expiry
        number=VISA,
        prompts=CARD_RELAY,
        display="visa ending 4242",
        done=1,
        agent_cancels=True,
        also_heard=(STOPPED,),
    ),
    "card-hungup-voice": Case(
        "card",
        "abandoned",
        relay=False,
        lang="en",
        keyed=(f"{VISA}#", "1228#", "h"),  # hangs up when asked for the security code
        number=VISA,
        prompts=CARD_VOICE[:3],
        display="visa ending 4242",
        done=2,
    ),
    "bank-approved-relay": Case(
        "bank",
        "approved",
        relay=True,
        lang="en",
        keyed=("1", SPOKEN_ROUTING, "1", SPOKEN_CHECKING, "1", SPOKEN_CHECKING, "1", "1"),
        number=RELAY_CHECKING,
        prompts=BANK_RELAY,
        display="checking ending 1116",
        done=5,
        also_heard=(AUTHORIZED["en"], "checking account ending in one, one, one, six"),
    ),
    "bank-approved-voice-es": Case(
        "bank",
        "approved",
        relay=False,
        lang="es",
        keyed=("1", f"{ROUTING}#", f"{CHECKING}#", f"{CHECKING}#", "1"),
        number=CHECKING,
        prompts=BANK_VOICE_ES,
        display="checking ending 6789",
        done=5,
        also_heard=(AUTHORIZED["es"], "cuenta de cheques que termina en seis, siete, ocho, nueve"),
    ),
    "bank-cancelled-voice": Case(
        "bank",
        "cancelled",
        relay=False,
        lang="en",
        keyed=("1", f"{ROUTING}#", f"{CHECKING}#"),  # the agent cancels at "enter it again"
        number=CHECKING,
        prompts=BANK_VOICE,
        display="",  # keyed once: no last 4 to show until it is confirmed
        done=3,
        agent_cancels=True,
        also_heard=(STOPPED,),
    ),
    "bank-hungup-relay": Case(
        "bank",
        "abandoned",
        relay=True,
        lang="en",
        keyed=("1", SPOKEN_ROUTING, "1", SPOKEN_CHECKING, "h"),  # hangs up at the read-back
        number=RELAY_CHECKING,
        prompts=BANK_RELAY[:5],
        display="",
        done=2,
    ),
}


class PerRequestClient:
    """A fresh Flask test client for every request: the caller's and the agent leg's threads
    reach the app at the same time, and a test client is not meant to be shared."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return self.app.test_client().open(*args, **kwargs)


class Caller:
    """The caller's phone on a thread of its own. It answers the prompts with `before` (to reach
    the agent), then with whatever `key()` adds; out of answers, it waits at the prompt (or in the
    conference) until given more, or `hang_up()`. Every event is kept, and the call-state store is
    looked at after each one."""

    def __init__(self, phone: Phone, line: Line, before: list[str]) -> None:
        self._planned = list(before)
        self._typed: queue.Queue[str | None] = queue.Queue()
        self._changed = threading.Condition()
        self._listening = False  # at a prompt, with nothing typed for it
        self.unanswered = 0  # prompts reached with nothing planned for them
        self.events: list[Event] = []
        self.stored: list[bytes] = []  # every value in the call-state store, as the call went
        self._line = line
        self._result: queue.Queue[CallLog | BaseException] = queue.Queue()
        self._thread = threading.Thread(target=self._run, args=(phone,), daemon=True)
        self._thread.start()

    def _keyboard(self) -> Iterator[str]:
        while True:
            entry = self._typed.get(timeout=WAIT)
            if entry is None:
                return
            yield entry

    def _run(self, phone: Phone) -> None:
        try:
            self._result.put(phone.call(self._keyboard(), on_event=self._on_event))
        except BaseException as error:  # reported on the test's thread
            self._result.put(error)

    def _on_event(self, event: Event) -> None:
        self._look_at_the_store()
        with self._changed:
            self.events.append(event)
            if isinstance(event, Gathered):
                self._listening = not self._planned
                if self._planned:
                    self._typed.put(self._planned.pop(0))
                else:
                    self.unanswered += 1
            self._changed.notify_all()

    def _look_at_the_store(self) -> None:
        kv = self._line.kv
        with kv._guard:
            self.stored.extend(value for _, value in kv._data.values())

    def key(self, entries: tuple[str, ...]) -> None:
        """Answer the prompt listening now (if any) and the next ones with `entries`."""
        with self._changed:
            self._planned.extend(entries)
            if self._listening and self._planned:
                self._listening = False
                self._typed.put(self._planned.pop(0))

    def _until(self, wanted: Callable[[], bool]) -> None:
        with self._changed:
            assert self._changed.wait_for(wanted, WAIT), self.events[-12:]

    def at_prompt(self, count: int) -> None:
        """Wait until the caller has reached `count` prompts with nothing to answer them."""
        self._until(lambda: self.unanswered >= count)

    def in_conference(self, times: int) -> None:
        self._until(lambda: sum(isinstance(e, Conferenced) for e in self.events) >= times)

    def hang_up(self) -> None:
        self._typed.put(None)

    def log(self) -> CallLog:
        result = self._result.get(timeout=WAIT)
        self._thread.join(WAIT)
        if isinstance(result, BaseException):
            raise result
        self._look_at_the_store()
        return result


class Agent:
    """Dana at the console, on the JSON API; the text of every answer is kept."""

    def __init__(self, line: Line) -> None:
        line.app.extensions["ivr"].core.agents.add_agent("dana", "Dana Reyes", PASSWORD)
        self.client = line.app.test_client()
        self.answers: list[str] = []
        login = {"username": "dana", "password": PASSWORD}
        token = self._json("POST", "/sessions", 201, json=login)["token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def _json(self, method: str, path: str, status: int, **kwargs: Any) -> dict[str, Any]:
        answer = self.client.open(API + path, method=method, **kwargs)
        self.answers.append(answer.get_data(as_text=True))
        assert answer.status_code == status, (path, answer.status_code, answer.get_json())
        return answer.get_json()

    def get(self, path: str) -> dict[str, Any]:
        return self._json("GET", path, 200, headers=self.headers)

    def post(self, path: str, body: dict[str, Any] | None, status: int = 200) -> dict[str, Any]:
        return self._json("POST", path, status, json=body, headers=self.headers)

    def the_call(self) -> dict[str, Any] | None:
        """The one call with representatives, if any."""
        listed = self.get("/calls")["calls"]
        assert len(listed) <= 1, listed
        return listed[0] if listed else None

    def wait_until_connected(self) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        while (shown := self.the_call()) is None or shown["state"] != "connected":
            assert time.monotonic() < deadline, f"the call is still {shown}"
            time.sleep(0.01)
        return shown

    def capture(self, capture_id: str) -> dict[str, Any]:
        return self.get(f"/captures/{capture_id}")

    def wait_for_capture(self, capture_id: str, state: str) -> dict[str, Any]:
        deadline = time.monotonic() + WAIT
        while (shown := self.capture(capture_id))["state"] != state:
            assert time.monotonic() < deadline, f"the capture is still {shown}"
            time.sleep(0.01)
        return shown


@pytest.fixture()
def line(make_line) -> Line:
    return make_line(agent_number=AGENT_DESK, relay_agent_number=RELAY_AGENT_DESK)


@pytest.fixture()
def phone_for(line: Line) -> Iterator[Callable[[Case], Phone]]:
    """A phone for the case's caller, its local Twilio started, the app's REST client on it."""
    started: list[tuple[Phone, LocalTwilio]] = []

    def start(case: Case) -> Phone:
        phone = Phone(
            WsgiTransport(PerRequestClient(line.app)),
            TOKEN,
            from_number=STRANGER,
            to_number=RELAY_NUMBER if case.relay else MEMBER_LINE,
        )
        api = LocalTwilio(phone)
        rest = TwilioCalls(phone.account_sid, TOKEN, api.start(port=0))
        line.app.extensions["ivr"].twilio = rest
        line.app.extensions["ivr"].calls.twilio = rest
        started.append((phone, api))
        return phone

    yield start
    for phone, api in started:
        api.stop()
        assert phone.join_legs(WAIT), "an agent's leg is still in a conference"


def to_the_agent(lang: str) -> list[str]:
    """Language, Ana's Subscriber ID and date of birth, then 0 for a representative."""
    return [{"en": "1", "es": "2"}[lang], f"{ANA}#", f"{ANA_DOB}#", "0"]


def capture_url(capture_id: str, action: str) -> str:
    return f"http://localhost/webhooks/voice/capture?capture={capture_id}&action={action}"


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_an_agent_capture_through_the_local_twilio(line: Line, phone_for, case: Case) -> None:
    phone = phone_for(case)
    agent = Agent(line)
    caller = Caller(phone, line, to_the_agent(case.lang))

    # The line dials the agent's leg into the caller's conference: the call is connected.
    listed = agent.wait_until_connected()
    sid = listed["call_sid"]
    assert listed == {
        "call_sid": sid,
        "from": STRANGER,
        "language": case.lang,
        "channel": "relay" if case.relay else "voice",
        "state": "connected",
        "verified": True,
        "subscriber_id": ANA,
        "capture_id": None,
    }
    (agent_leg,) = [call for call in phone.switchboard.calls() if call.direction != "inbound"]
    assert agent_leg.to_number == (RELAY_AGENT_DESK if case.relay else AGENT_DESK)

    body = {"plan_id": PLAN, "amount": AMOUNT, "method": case.method}
    capture_id = agent.post(f"/calls/{sid}/captures", body, status=201)["capture_id"]

    # The caller is moved out of the conference to the capture's first prompt.
    caller.at_prompt(1)
    assert agent.the_call() == {**listed, "state": "capturing", "capture_id": capture_id}
    first = agent.capture(capture_id)
    assert first["state"] == "capturing"
    assert [f["state"] for f in first["fields"]] == ["entering"] + ["waiting"] * 4
    assert [f["display"] for f in first["fields"]] == [""] * 5

    caller.key(case.keyed)
    if case.agent_cancels:
        caller.at_prompt(2)  # mid-entry: listening for the next field
        keying = agent.capture(capture_id)
        assert keying["state"] == "capturing"
        assert [f["state"] for f in keying["fields"]].index("entering") == case.done
        agent.post(f"/captures/{capture_id}/cancel", None)
    if case.end == "abandoned":
        shown = agent.wait_for_capture(capture_id, case.end)
    else:
        # Back in the conference, with the agent, who sees the result and the call as before.
        caller.in_conference(2)
        shown = agent.wait_for_capture(capture_id, case.end)
        assert agent.the_call() == listed
        caller.hang_up()
    log = caller.log()
    assert phone.join_legs(WAIT), "the agent's leg did not hang up after the caller"
    assert agent.the_call() is None  # the call ended: gone from the console
    assert agent_leg.log is not None and agent_leg.log.errors == []
    assert agent_leg.log.conferences == [f"call-{sid}"]

    _the_caller_heard(case, log, sid, capture_id, shown["confirmation"], agent_leg.sid)
    _the_agent_saw(case, agent, shown, capture_id)
    _the_money_agrees(case, line, log, sid, shown)
    assert caller.stored, "the call-state store was never looked at"
    for value in caller.stored:
        assert case.number.encode() not in value, "a full number in the call-state store"


def _the_caller_heard(
    case: Case, log: CallLog, sid: str, capture_id: str, confirmation: str | None, agent_leg: str
) -> None:
    assert log.errors == []
    assert log.ended_by == "caller-hangup"
    moves = [event.url for event in log.events if isinstance(event, Redirected)]
    starts = [capture_url(capture_id, "start")]
    assert moves == (starts + [capture_url(capture_id, "cancel")] if case.agent_cancels else starts)
    moved = log.events.index(Redirected(starts[0]))
    said = [event.text for event in log.events[moved:] if isinstance(event, Said)]
    assert said[0].startswith(INTRO[case.lang])
    heard = "\n".join(said)
    for expected in (case.prompts, case.also_heard):
        _in_order(heard, expected)
    assert case.number not in log.spoken
    conference = f"call-{sid}"
    outcomes = (*APPROVED.values(), STOPPED, *DECLINED)
    met_the_agent = Peer(conference, agent_leg, joined=True)
    left = [event for event in log.events if isinstance(event, Left)]
    assert log.events[moved - 1] == Left(conference, "moved on")
    if case.end == "abandoned":  # hung up in the capture: no outcome, not back
        assert BACK[case.lang] not in heard
        assert not [text for text in outcomes if text in heard]
        assert log.conferences == [conference]
        assert log.events.count(met_the_agent) == 1
        assert left == [Left(conference, "moved on")]
        return
    assert said[-1] == BACK[case.lang]
    assert case.end == "approved" or not [text for text in APPROVED.values() if text in heard]
    if case.end == "approved":
        told = APPROVED if case.method == "card" else SCHEDULED
        assert f"{told[case.lang]} {say_characters(confirmation, case.lang)}." in said
    assert log.conferences == [conference, conference]
    assert log.events.count(met_the_agent) == 2  # the agent stayed while the caller was away
    assert log.events.index(Conferenced(conference), moved) > moved
    assert left == [Left(conference, "moved on"), Left(conference, "hung up")]


def _in_order(heard: str, expected: tuple[str, ...]) -> None:
    at = 0
    for text in expected:
        found = heard.find(text, at)
        assert found >= 0, f"not heard, or not in this order: {text!r}\n---\n{heard}"
        at = found + len(text)


def _the_agent_saw(case: Case, agent: Agent, shown: dict[str, Any], capture_id: str) -> None:
    assert shown["capture_id"] == capture_id
    assert {f["name"]: f["display"] for f in shown["fields"]} == case.shown
    done = [f["name"] for f in shown["fields"] if f["state"] == "done"]
    assert done == list(FIELDS[case.method][: case.done])
    message = {
        "approved": "approved",
        "declined": "declined",
        "cancelled": "cancelled by the agent",
        "abandoned": "the caller hung up",
    }
    assert shown["message"] == message[case.end]
    assert len(agent.answers) > 5
    for answer in agent.answers:
        assert case.number not in answer, "a full number in an API answer"


def _the_money_agrees(
    case: Case, line: Line, log: CallLog, sid: str, shown: dict[str, Any]
) -> None:
    engine = line.app.extensions["ivr"].db_engine
    oracle = MoneyOracle(engine)
    oracle.check_books()  # the processor's charges are exactly the charged payments
    oracle.check_call(sid, log.spoken, case.lang)
    with engine.connect() as conn:
        recorded = conn.execute(select(PAYMENTS)).all()
        authorizations = conn.execute(select(AUTHORIZATIONS)).all()
    account = account_as_json(uow_factory_for(make_session_factory(engine)), ANA)
    assert account is not None
    if case.end not in ("approved", "declined"):
        assert recorded == [] and account["payments"] == [] and authorizations == []
        assert oracle.kept_charges() == {}
        assert (shown["confirmation"], shown["payment"]) == (None, None)
        return
    (payment,) = recorded
    assert (payment.channel, payment.agent_id, payment.call_sid) == ("agent", "dana", sid)
    assert (payment.status, payment.method, payment.last4, payment.amount) == (
        case.end,
        case.method,
        case.number[-4:],
        Decimal(AMOUNT),
    )
    # The agent sees the confirmation number the caller heard: none for a declined payment.
    told = payment.confirmation if case.end == "approved" else None
    assert shown["confirmation"] == told
    assert shown["payment"] == {
        "status": case.end,
        "amount": AMOUNT,
        "remaining_balance": "0.00" if case.end == "approved" else AMOUNT,
    }
    (listed,) = account["payments"]  # `ivr account show --json`
    assert (listed["channel"], listed["status"], listed["confirmation"]) == (
        "agent",
        case.end,
        told,
    )
    charged = {payment.idempotency_key: 4500} if case.end == "approved" else {}
    assert oracle.kept_charges() == charged
    if case.method == "bank":
        (authorization,) = authorizations
        assert (authorization.payment_id, authorization.call_sid) == (payment.id, sid)
        assert authorization.accepting_key == "1"
        assert AUTHORIZED[case.lang] in authorization.text


def test_an_agent_looking_as_the_payment_is_answered_still_sees_every_field_done(
    line: Line, phone_for, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ivr.flows import agent_capture

    case = CASES["card-approved-voice"]
    phone = phone_for(case)
    agent = Agent(line)
    ending = agent_capture.end

    def agent_looks_first(ctx, state: str, message: str, **changes: object) -> None:
        if state == "approved":  # the console's poll arrives just as the processor answered
            looked = line.app.test_client().get(
                f"{API}/captures/{ctx.state['capture']}", headers=agent.headers
            )
            assert looked.status_code == 200
        ending(ctx, state, message, **changes)

    monkeypatch.setattr(agent_capture, "end", agent_looks_first)
    caller = Caller(phone, line, to_the_agent("en"))
    sid = agent.wait_until_connected()["call_sid"]
    body = {"plan_id": PLAN, "amount": AMOUNT, "method": "card"}
    capture_id = agent.post(f"/calls/{sid}/captures", body, status=201)["capture_id"]
    caller.key(case.keyed)
    caller.in_conference(2)
    caller.hang_up()
    caller.log()

    shown = agent.capture(capture_id)
    assert shown["state"] == "approved"
    assert [f["state"] for f in shown["fields"]] == ["done"] * 5, shown["fields"]
