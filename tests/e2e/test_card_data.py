"""Card data at every step, not only the card steps (SPEC "Card data"): a number said at the
wrong prompt is neither read back in full nor kept in clear; a call's secrets end with the call,
even when a webhook is still running or arrives late; oversized requests are refused unread."""

from __future__ import annotations

import threading

from ivr.engine.callstate import ENDED
from ivr.speech.words import say_digits
from tests.e2e.conftest import RELAY_NUMBER, STRANGER, Line, signed_post, twiml
from tests.e2e.test_card_and_bank_calls import ANA, ANA_DOB, VISA, signed_in
from tests.e2e.test_relay_calls import SPOKEN_VISA

SPOKEN_IN_FULL = say_digits(VISA, "en")  # "four, two, four, two, ..." as the line would say it
CALL = {"CallSid": "CA" + "9" * 32, "From": STRANGER, "To": "+18776236765"}


def stored(line: Line) -> bytes:
    """Everything the call-state store holds, as bytes."""
    return b"".join(value for _, value in line.kv._data.values())


def test_a_card_number_said_at_the_expiry_prompt_is_refused_not_read_back(line: Line) -> None:
    to_expiry = signed_in(ANA, ANA_DOB) + ["1", "1", "1", SPOKEN_VISA, "1"]
    log = line.call(to_expiry + [SPOKEN_VISA, "hangup"], to=RELAY_NUMBER)
    assert "Please enter 4 digits." in log.said_after(len(to_expiry) + 1)
    assert SPOKEN_IN_FULL not in log.spoken
    assert "ending in four, two, four, two" in log.spoken  # at the card step: last 4 only


def test_the_stored_answer_and_state_hold_no_card_number(line: Line) -> None:
    to_expiry = signed_in(ANA, ANA_DOB) + ["1", "1", "1", SPOKEN_VISA, "1", SPOKEN_VISA]
    snapshots: list[bytes] = []
    real_commit = line.kv.commit

    def spy(call_sid, held, state: bytes, secret):
        snapshots.append(state)
        return real_commit(call_sid, held, state, secret)

    line.kv.commit = spy  # type: ignore[method-assign]
    line.call(to_expiry + ["hangup"], to=RELAY_NUMBER)
    assert len(snapshots) == len(to_expiry) + 1
    for state in snapshots:  # the state, with the last answer's TwiML, after every webhook
        assert VISA.encode() not in state and SPOKEN_IN_FULL.encode() not in state


def test_a_webhook_after_the_call_ended_is_hung_up_and_writes_nothing(line: Line) -> None:
    twiml(signed_post(line, "/webhooks/voice", CALL))
    assert signed_post(line, "/webhooks/voice/status", {**CALL, "CallStatus": "completed"})
    late = twiml(signed_post(line, "/webhooks/voice?t=1", {**CALL, "Digits": "1"}))
    assert [child.tag for child in late] == ["Hangup"]
    assert [value for _, value in line.kv._data.values()] == [ENDED]


def test_hanging_up_while_a_webhook_runs_leaves_no_secrets_behind(line: Line) -> None:
    """The status callback arrives while a webhook holding the call's lock is still running:
    the webhook's save finds the tombstone and writes neither state nor card data back."""
    keys = signed_in(ANA, ANA_DOB) + ["1", "1", "1", "1"]
    twiml(signed_post(line, "/webhooks/voice", CALL))
    for turn, digits in enumerate(keys, start=1):
        twiml(
            signed_post(line, f"/webhooks/voice?t={turn}", {**CALL, "Digits": digits.rstrip("#")})
        )
    in_flight, hung_up = threading.Event(), threading.Event()
    real_commit = line.kv.commit

    def slow_commit(call_sid, held, state: bytes, secret):
        in_flight.set()
        assert hung_up.wait(5)
        return real_commit(call_sid, held, state, secret)

    line.kv.commit = slow_commit  # type: ignore[method-assign]
    card_turn = threading.Thread(
        target=signed_post,
        args=(line, f"/webhooks/voice?t={len(keys) + 1}", {**CALL, "Digits": VISA}),
    )
    card_turn.start()
    assert in_flight.wait(5)
    signed_post(line, "/webhooks/voice/status", {**CALL, "CallStatus": "completed"})
    hung_up.set()
    card_turn.join(5)
    assert not card_turn.is_alive()
    assert [value for _, value in line.kv._data.values()] == [ENDED]
    assert VISA.encode() not in stored(line)


def test_an_oversized_request_is_refused_before_it_is_read(line: Line) -> None:
    response = signed_post(line, "/webhooks/voice", {**CALL, "SpeechResult": "x" * 20_000})
    assert response.status_code == 413
    assert line.kv._data == {}  # nothing of it reached the call
