"""What an agent's screen says about a capture's money agrees with the processor and the records,
on the paths past the happy one: the caller hangs up while the payment is processing, the
processor outlasts every hold, the core refuses the payment before charging."""

from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from payments.domain.instruments import CardDetails
from payments.domain.values import Channel, PaymentRequest
from tests.e2e.conftest import Line, signed_post, spoken, twiml, wait_until
from tests.e2e.test_agent_capture_api import agent_line, connected, follow_the_move, start, token
from tests.e2e.test_agent_capture_calls import CALL
from tests.e2e.test_card_and_bank_calls import ANA
from tests.oracle import MoneyOracle

SLOW_CARD = "4000000000001018"  # the sandbox answers it after its slow delay


@pytest.fixture()
def line(make_line) -> Line:
    return agent_line(make_line)


def _show(line: Line, headers: dict[str, str], capture_id: str) -> dict:
    answer = line.app.test_client().get(f"/api/agent/v1/captures/{capture_id}", headers=headers)
    assert answer.status_code == 200
    return answer.get_json()


def _slow_line(make_line) -> tuple[Line, threading.Event]:
    answer = threading.Event()  # the processor answers the slow card once this is set
    return agent_line(make_line, sleep=lambda _: answer.wait(10), processor_wait=0.01), answer


def _keyed_and_confirmed(line: Line, card: str):
    """An agent starts a card capture; the caller keys `card` and confirms."""
    headers = token(line)
    caller = connected(line)
    capture_id = start(line, headers).get_json()["capture_id"]
    follow_the_move(line, caller)
    root = caller.press(card, "1228", "123", "02110", "1")
    return headers, caller, capture_id, root


def _pay_elsewhere(line: Line) -> None:
    """The member pays the plan in full from another call meanwhile."""
    card = CardDetails("4111111111111111", 12, 2030, "123", "02110")
    paid = PaymentRequest(
        subscriber_id=ANA,
        plan_id="H-100000000001",
        amount=Decimal("45.00"),
        instrument=card,
        channel=Channel.VOICE,
        idempotency_key="another-call",
        call_sid="CA" + "7" * 32,
    )
    assert line.payments.submit_payment(paid).charged


def _books_agree(line: Line, capture: dict) -> None:
    """The processor's charges are the records' charged payments, and the agent's screen shows
    the recorded payment."""
    oracle = MoneyOracle(line.app.extensions["ivr"].db_engine)
    oracle.check_books()
    (payment,) = line.payments.recent_payments(ANA, 10)
    assert capture["confirmation"] == payment.confirmation
    assert capture["payment"]["status"] == payment.status.value
    assert capture["payment"]["amount"] == str(payment.amount)


def test_a_caller_who_hangs_up_while_processing_still_paid_and_the_agent_sees_it(
    make_line,
) -> None:
    line, answer = _slow_line(make_line)
    headers, _, capture_id, root = _keyed_and_confirmed(line, SLOW_CARD)
    assert "Your payment is being processed. Please hold." in spoken(root)
    assert _show(line, headers, capture_id)["state"] == "processing"
    signed_post(line, "/webhooks/voice/status", {**CALL, "CallStatus": "completed"})
    hung_up = _show(line, headers, capture_id)
    assert hung_up["state"] == "processing", "the payment is under way: not 'abandoned'"
    answer.set()
    assert wait_until(lambda: _show(line, headers, capture_id)["state"] == "approved")
    capture = _show(line, headers, capture_id)
    assert capture["message"] == "the caller hung up; the payment is approved"
    assert [f["state"] for f in capture["fields"]] == ["done"] * 5
    _books_agree(line, capture)


def test_a_processor_slower_than_every_hold_returns_the_caller_and_the_agent_sees_the_result(
    make_line,
) -> None:
    line, answer = _slow_line(make_line)
    headers, caller, capture_id, _ = _keyed_and_confirmed(line, SLOW_CARD)
    while caller.root.find("Dial/Conference") is None:  # the holds, each a redirect
        redirect = caller.root.find("Redirect")
        assert redirect is not None, ET.tostring(caller.root)
        caller.root = twiml(signed_post(line, redirect.text, CALL))
    said = spoken(caller.root)
    assert "Your representative will see its result as soon as we have it." in said
    assert said.endswith("Now back to your representative.")
    assert "charged" not in said
    assert _show(line, headers, capture_id)["state"] == "processing"
    answer.set()
    assert wait_until(lambda: _show(line, headers, capture_id)["state"] == "approved")
    _books_agree(line, _show(line, headers, capture_id))


def test_a_payment_refused_before_charging_ends_the_capture_with_nothing_charged(
    line: Line,
) -> None:
    headers = token(line)
    caller = connected(line)
    capture_id = start(line, headers).get_json()["capture_id"]
    follow_the_move(line, caller)
    caller.press("4111111111111111", "1228", "123", "02110")
    _pay_elsewhere(line)  # the balance changes before the caller confirms
    root = caller.press("1")
    said = spoken(root)
    assert "Nothing has been charged" in said or "not been charged" in said, said
    assert said.endswith("Now back to your representative.")
    assert root.find("Dial/Conference") is not None
    capture = _show(line, headers, capture_id)
    assert capture["state"] == "failed" and capture["confirmation"] is None
    MoneyOracle(line.app.extensions["ivr"].db_engine).check_books()
    assert [p.status.value for p in line.payments.recent_payments(ANA, 10)] == ["approved"]
