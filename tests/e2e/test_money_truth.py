"""Paths beyond the first payment: what the processor charged, what the database recorded and
what the caller heard agree (a second payment, the same amount twice, cancelling or going
silent after a payment, a slow processor, faults after the charge)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy.exc import OperationalError

from ivr.engine.callstate import StoreUnavailable
from ivr.speech.words import say_characters
from payments.services import service as service_module
from payments.services.submission import Reserver
from tests.e2e.conftest import Line, hold_for_real, wait_until
from tests.e2e.test_card_and_bank_calls import (
    ANA,
    ANA_DOB,
    LUIS,
    LUIS_DOB,
    MEI,
    MEI_DOB,
    card,
    signed_in,
)

D = Decimal
SLOW_CARD = "4000000000001018"
DECLINED = "4000000000000002"
WENT_THROUGH = "Your payment of forty-five dollars to your health plan in this call went through."


def approved_confirmations(line: Line, subscriber: str) -> list[str]:
    return [p.confirmation for p in line.payments.recent_payments(subscriber, 10)]


def assert_records_match_the_processor(line: Line, subscriber: str, spoken: str) -> None:
    """Every approved payment was charged once at the processor and its number was heard."""
    kept = line.processor.kept_charges()
    payments = line.payments.recent_payments(subscriber, 10)
    for payment in payments:
        assert say_characters(payment.confirmation, "en") in spoken
    charged = sum(D(cents) / 100 for cents in kept.values())
    assert charged == sum(p.amount for p in payments)
    assert len(kept) == len(payments)


def test_health_then_dental_in_one_call(line: Line) -> None:
    script = signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1", "2"]
    script += ["1", "1"] + card() + ["1", "3"]  # back at the menu: the dental plan is left
    log = line.call(script)
    assert log.spoken.count("Approved. Your confirmation number is") == 2
    assert "To pay your dental plan's thirty-two dollars in full, press 1." in log.spoken
    assert_records_match_the_processor(line, ANA, log.spoken)
    assert [p.balance for p in line.payments.account_summary(ANA).plans] == [0, 0]


def test_the_same_amount_twice_in_one_call_is_two_payments(line: Line) -> None:
    partial = ["1", "3", "100#"] + card() + ["1"]
    log = line.call(signed_in(LUIS, LUIS_DOB, lang="1") + partial + ["2"] + partial + ["3"])
    first, second = approved_confirmations(line, LUIS)
    assert first != second
    assert log.spoken.count("Approved. Your confirmation number is") == 2
    assert "Two hundred twelve dollars and fifty cents is still due" in log.spoken
    assert_records_match_the_processor(line, LUIS, log.spoken)


def test_the_rest_of_a_binder_after_a_partial_payment(line: Line) -> None:
    rest = ["1", "1"] + card() + ["1", "3"]  # one plan: amount choice comes straight away
    log = line.call(signed_in(MEI, MEI_DOB) + ["1", "2", "89#"] + card() + ["1", "2"] + rest)
    assert log.spoken.count("Approved. Your confirmation number is") == 2
    assert "two hundred dollars" in log.spoken  # the rest, offered in full
    assert line.payments.account_summary(MEI).plans[0].status.value == "active"
    assert_records_match_the_processor(line, MEI, log.spoken)


def test_silence_after_a_payment_ends_with_the_truth_not_nothing_charged(line: Line) -> None:
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1", "", "", "", ""])
    assert log.ended_by == "server-hangup"
    assert WENT_THROUGH in log.spoken
    assert "Nothing has been charged" not in log.spoken


def test_cancelling_a_second_payment_keeps_the_first_true(line: Line) -> None:
    script = signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1", "2"]
    log = line.call(script + ["1", "1"] + card() + ["3", "hangup"])
    assert "This payment was cancelled and not charged." in log.spoken
    assert log.said_after(len(script) + 7).count(WENT_THROUGH) == 1
    assert "Nothing has been charged" not in log.spoken
    assert_records_match_the_processor(line, ANA, log.spoken)


def test_a_slow_processor_holds_then_tells_the_result(make_line) -> None:
    line = make_line(slow_seconds=0.6, processor_wait=0.1)
    script = signed_in(ANA, ANA_DOB) + ["1", "1"] + card(SLOW_CARD) + ["1", "3"]
    log = line.call(script, on_event=hold_for_real())
    assert "Your payment is being processed. Please hold." in log.spoken
    assert "Approved. Your confirmation number is" in log.spoken
    assert "not been charged" not in log.spoken
    assert all(sent.status == 200 for sent in log.sent if not sent.url.endswith("/status"))
    assert_records_match_the_processor(line, ANA, log.spoken)


def test_a_payment_slower_than_the_holds_is_told_later_in_the_call(make_line) -> None:
    answer = threading.Event()  # the processor answers once the caller was told to go on
    line = make_line(sleep=lambda _: answer.wait(10), processor_wait=0.01)

    def answer_when_told(event) -> None:
        if "We will tell you its result" in getattr(event, "text", ""):
            answer.set()
            assert wait_until(lambda: line.statuses(ANA) == ["approved"])

    pay = signed_in(ANA, ANA_DOB) + ["1", "1"] + card(SLOW_CARD) + ["1"]
    log = line.call(pay + ["3", "hangup"], on_event=answer_when_told)
    assert answer.is_set()
    news = "An update: your payment of forty-five dollars to your health plan has been approved."
    assert log.spoken.index("Your payment is still being processed.") < log.spoken.index(news)
    assert_records_match_the_processor(line, ANA, log.spoken)


def test_the_call_state_lost_after_the_charge_still_tells_the_truth(line: Line) -> None:
    real_commit = line.kv.commit

    def lost_after_confirming(call_sid, held, state: bytes, secret):
        if b'"step":"payment_result"' in state:
            raise StoreUnavailable("redis went away")
        return real_commit(call_sid, held, state, secret)

    line.kv.commit = lost_after_confirming  # type: ignore[method-assign]
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1"])
    assert "Approved. Your confirmation number is" in log.spoken
    assert "our system is having a problem" in log.spoken
    assert log.transfers  # business hours: a representative, with the truth already told
    assert_records_match_the_processor(line, ANA, log.spoken)


def test_the_database_lost_while_recording_still_tells_the_truth(line: Line, monkeypatch) -> None:
    real_record, failures = Reserver.record, []

    def lost_once(self, payment_id, result, actor=None):
        if not failures:
            failures.append(payment_id)
            raise OperationalError("UPDATE payments", {}, Exception("server closed"))
        return real_record(self, payment_id, result, actor)

    monkeypatch.setattr(Reserver, "record", lost_once)
    monkeypatch.setattr(service_module, "RECORD_RETRY_DELAYS", (0.05,))
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1", "3"])
    assert failures and "Approved. Your confirmation number is" in log.spoken
    line.app.extensions["ivr"].core.service.close()  # the retry has run by now
    assert_records_match_the_processor(line, ANA, log.spoken)


def test_the_database_lost_before_reserving_says_not_charged(line: Line, monkeypatch) -> None:
    def down(self, request):
        raise OperationalError("INSERT INTO payments", {}, Exception("connection refused"))

    monkeypatch.setattr(Reserver, "reserve", down)
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1"])
    assert "The payment you just confirmed was not made." in log.spoken
    assert "approved" not in log.spoken
    assert line.processor.kept_charges() == {}


@pytest.mark.parametrize("second", ["1", "2", "3"])
def test_a_confirmation_whose_answer_was_lost_is_never_charged_twice(line: Line, second) -> None:
    """The webhook that took the '1' failed after handing the charge over; whatever the caller
    presses at the read-back asked again, the first confirmation is told, not repeated."""
    real_commit, lost = line.kv.commit, []

    def lose_the_answer(call_sid, held, state: bytes, secret):
        if b'"processing"' in state or (b'"payment_result"' in state and not lost):
            lost.append(1)
            raise StoreUnavailable("redis blinked")
        return real_commit(call_sid, held, state, secret)

    from tests.e2e.conftest import signed_post

    keys = signed_in(ANA, ANA_DOB) + ["1", "1"] + card()
    call = {"CallSid": "CA" + "7" * 32, "From": "+16175559999", "To": "+18776236765"}
    signed_post(line, "/webhooks/voice", call)
    for turn, digits in enumerate(keys, start=1):
        signed_post(line, f"/webhooks/voice?t={turn}", {**call, "Digits": digits.rstrip("#")})
    line.kv.commit = lose_the_answer  # type: ignore[method-assign]
    signed_post(line, f"/webhooks/voice?t={len(keys) + 1}", {**call, "Digits": "1"})
    line.kv.commit = real_commit  # type: ignore[method-assign]
    assert lost  # the answer to the '1' was never stored
    again = signed_post(line, f"/webhooks/voice?t={len(keys) + 1}", {**call, "Digits": second})
    assert "Approved. Your confirmation number is" in again.get_data(as_text=True)
    assert len(line.processor.kept_charges()) == 1
    assert len(line.payments.recent_payments(ANA)) == 1


def test_three_declines_in_a_call_then_only_a_representative(line: Line) -> None:
    declined = card(DECLINED) + ["1"]
    retry = ["1"]  # "to try another card or account, press 1"
    script = signed_in(ANA, ANA_DOB) + ["1", "1"] + declined + retry
    script += card(DECLINED) + ["1"] + retry + card(DECLINED) + ["1"]
    log = line.call(script + ["1", "1", "1", "hangup"])  # try to pay once more
    assert log.spoken.count("Your payment was declined by your card issuer.") == 3
    assert "no more payment attempts can be made in this call" in log.spoken
    assert line.statuses(ANA) == ["declined"] * 3  # nothing more reached the processor


def test_call_state_lost_while_holding_tells_the_payment_first_then_its_result(make_line):
    """Redis restarted empty while the caller held for a slow charge: the line reads the call's
    payments by CallSid before anything else, and tells the result when it comes."""
    answer = threading.Event()
    line = make_line(sleep=lambda _: answer.wait(10), processor_wait=0.01)

    def on_event(event) -> None:
        text = getattr(event, "text", "")
        if text == "Your payment is being processed. Please hold.":
            line.kv._data.clear()  # every key gone, as after a restart without persistence
        if "We will tell you its result in this call" in text and not answer.is_set():
            answer.set()
            assert wait_until(lambda: line.statuses(ANA) == ["approved"])

    pay = signed_in(ANA, ANA_DOB) + ["1", "1"] + card(SLOW_CARD) + ["1"]
    log = line.call(pay + signed_in(ANA, ANA_DOB) + ["hangup"], on_event=on_event)
    spoken = log.spoken
    told = spoken.index(
        "Your payment of forty-five dollars to your health plan in this call is still being "
        "processed. We will tell you its result in this call."
    )
    assert told < spoken.index("Sorry, your session timed out")
    news = "An update: your payment of forty-five dollars to your health plan has been approved."
    assert told < spoken.index(news)
    assert "Nothing is due" not in spoken[:told]
    assert_records_match_the_processor(line, ANA, spoken)


def test_a_summary_with_a_charge_in_flight_says_so_not_nothing_due(make_line) -> None:
    answer = threading.Event()
    line = make_line(sleep=lambda _: answer.wait(10), processor_wait=0.01)
    pay = signed_in(ANA, ANA_DOB) + ["1", "1"] + card(SLOW_CARD) + ["1"]
    line.call(pay + ["hangup"])  # the caller leaves while the processor still has it
    assert line.statuses(ANA) == ["pending"]
    log = line.call(signed_in(ANA, ANA_DOB) + ["hangup"])
    answer.set()
    assert "A payment of forty-five dollars to your health plan is being processed." in log.spoken
    assert "Nothing is due on your health plan" not in log.spoken


def test_a_charge_outlives_the_worker_that_started_it(make_line) -> None:
    """The worker charging dies (its charge hangs and its lease is never renewed past the
    first): another worker on the same database and call store takes the charge over through
    the processor's key lookup, and the holding caller hears the result in the call."""
    from app import create_app
    from devtools.phone import Phone, WsgiTransport
    from ivr.config import Settings
    from payments.gateways.sandbox import SandboxGateway
    from payments.storage.db import make_engine
    from tests.e2e.conftest import TOKEN, Clock

    hung = threading.Event()  # the dead worker's charge never comes back
    dying = make_line(sleep=lambda _: hung.wait(30), processor_wait=0.01)
    config = dying.app.extensions["ivr"].settings
    later = Clock(dying.clock.now + timedelta(seconds=15))  # past the first lease
    engine = make_engine(config.database_url)
    survivor = create_app(
        Settings(**{**config.__dict__}), clock=later, kv=dying.kv, gateway=SandboxGateway(engine)
    )
    transport = WsgiTransport(dying.app.test_client())

    def on_event(event) -> None:
        if getattr(event, "text", "") == "Your payment is being processed. Please hold.":
            transport.client = survivor.test_client()  # every later webhook reaches the survivor

    phone = Phone(transport, TOKEN, from_number="+16175559999")
    pay = signed_in(ANA, ANA_DOB) + ["1", "1"] + card(SLOW_CARD) + ["1"]
    try:
        log = phone.call(pay + ["3", "hangup"], on_event=on_event)
        assert "Approved. Your confirmation number is" in log.spoken
        assert "still being processed" not in log.spoken
        assert_records_match_the_processor(dying, ANA, log.spoken)
    finally:
        hung.set()
        survivor.extensions["ivr"].core.close()
        engine.dispose()


def test_a_save_lost_after_the_charge_is_waited_out_and_charges_once(line: Line) -> None:
    """A store blip after the confirmation ran: the same turn is asked for again and replayed
    (the payment under its key starts nothing new), and the call goes on without a fault."""
    real_commit, failed = line.kv.commit, []

    def blip_after_confirming(call_sid, held, state: bytes, secret):
        if b'"step":"payment_result"' in state and len(failed) < 3:
            failed.append(state)
            raise StoreUnavailable("redis timed out")
        return real_commit(call_sid, held, state, secret)

    line.kv.commit = blip_after_confirming  # type: ignore[method-assign]
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1", "3", "hangup"])
    assert len(failed) == 3
    assert sum("retry=" in sent.url for sent in log.sent) == 3  # each lost save: asked again
    assert log.spoken.count("Approved. Your confirmation number is") == 1
    assert "our system is having a problem" not in log.spoken
    assert line.statuses(ANA) == ["approved"]
    assert_records_match_the_processor(line, ANA, log.spoken)
