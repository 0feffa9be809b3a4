"""Bad input, silence, hang-ups, redelivered webhooks and failing services: the caller always
hears valid TwiML, and money moves only after an explicit confirmation."""

from __future__ import annotations

import logging
import threading

import pytest

from ivr.engine.callstate import ENDED, StoreUnavailable
from tests.e2e.conftest import STRANGER, TOKEN, Line, signed_post, spoken, twiml
from tests.e2e.test_card_and_bank_calls import ANA, ANA_DOB, VISA, card, signed_in

CALL = {
    "CallSid": "CA" + "1" * 32,
    "From": STRANGER,
    "To": "+18776236765",
    "AccountSid": "AC" + "2" * 32,
    "CallStatus": "in-progress",
}


def test_unsigned_or_wrongly_signed_requests_are_refused(line: Line) -> None:
    client = line.app.test_client()
    assert client.post("/webhooks/voice", data=CALL).status_code == 403
    wrong = signed_post(line, "/webhooks/voice", CALL, token="not-the-token")
    assert wrong.status_code == 403
    assert signed_post(line, "/webhooks/voice/status", CALL, token="nope").status_code == 403
    assert signed_post(line, "/webhooks/voice", CALL).status_code == 200


def test_bad_subscriber_ids_are_reasked_then_a_representative_offered(line: Line) -> None:
    log = line.call(["1", "12345#", "12345678901#", "12*34#", "hangup"])
    assert log.spoken.count("That was not 12 digits.") == 3
    assert "To speak with a representative, press 0." in log.spoken


def test_invalid_card_details_get_specific_answers(line: Line) -> None:
    script = signed_in(ANA, ANA_DOB) + [
        "1",
        "1",
        "1",
        "4242424242424241#",
        "4242424242424242#",
        "1320#",
        "0120#",
        "1228#",
        "hangup",
    ]
    log = line.call(script)
    assert "That card number is not valid." in log.spoken
    assert "That is not a valid month." in log.spoken
    assert "That card has expired." in log.spoken
    assert line.payments.recent_payments(ANA) == []


def test_silence_reprompts_then_offers_a_representative_never_hanging_up_at_once(
    line: Line,
) -> None:
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1", "1", "", "", ""])
    assert log.spoken.count("Sorry, we did not hear anything.") == 2
    assert "To speak with a representative, press 0." in log.spoken
    assert log.ended_by == "caller-hangup"  # the line never hung up on a silent payer


def test_silence_at_the_offer_ends_the_call_politely(line: Line) -> None:
    log = line.call(["", "", "", "", "", ""])
    assert log.spoken.endswith(
        "We did not hear from you, so we will end this call.\nNothing has been charged.\nGoodbye."
    )
    assert log.ended_by == "server-hangup"


def test_hang_up_before_confirming_charges_nothing(line: Line) -> None:
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["hangup"])
    assert "To confirm, press 1." in log.spoken
    assert line.payments.recent_payments(ANA) == []
    # The status callback erased the card data and left only the call's tombstone.
    assert [value for _, value in line.kv._data.values()] == [ENDED]


def test_star_repeats_and_zero_reaches_a_representative(line: Line) -> None:
    log = line.call(["*", "1", "0"])
    assert log.spoken.count("For English, press 1.") == 2
    assert log.transfers and log.transfers[0].target == "representatives"


def test_outside_business_hours_the_caller_is_told_when_to_call(make_line) -> None:
    from datetime import datetime

    from tests.e2e.conftest import EASTERN

    line = make_line(datetime(2026, 11, 25, 19, 0, tzinfo=EASTERN))  # evening before Thanksgiving
    log = line.call(["1", "0", "hangup"])
    assert "Please call back on Friday, November twenty-seventh, at eight a.m." in log.spoken
    assert not log.transfers
    assert "Enter your 12-digit Subscriber ID" in log.said_after(3)


def test_agent_hours_follow_the_setting(make_line) -> None:
    from datetime import datetime

    from ivr.hours import BusinessHours
    from tests.e2e.conftest import EASTERN

    evening = datetime(2026, 11, 24, 19, 30, tzinfo=EASTERN)  # a Tuesday
    assert not make_line(evening).call(["1", "0", "hangup"]).transfers
    late = BusinessHours.parse("Mon-Fri 08:00-20:00")
    assert make_line(evening, agent_hours=late).call(["1", "0"]).transfers[0].target == (
        "representatives"
    )
    night = make_line(evening.replace(hour=21), agent_hours=late).call(["1", "0"]).spoken
    assert "Representatives are available Monday through Friday, 8 a.m. to 8 p.m., except" in night
    thanksgiving = datetime(2026, 11, 26, 3, 0, tzinfo=EASTERN)
    always = BusinessHours.parse("always")
    assert make_line(thanksgiving, agent_hours=always).call(["1", "0"]).transfers


def test_a_redelivered_confirmation_charges_once(line: Line) -> None:
    keys = signed_in(ANA, ANA_DOB) + ["1", "1"] + card()
    path = "/webhooks/voice"
    twiml(signed_post(line, path, CALL))
    for turn, digits in enumerate(keys, start=1):
        twiml(signed_post(line, f"{path}?t={turn}", {**CALL, "Digits": digits.rstrip("#")}))
    confirm = {**CALL, "Digits": "1"}
    first = signed_post(line, f"{path}?t={len(keys) + 1}", confirm).get_data(as_text=True)
    again = signed_post(line, f"{path}?t={len(keys) + 1}", confirm).get_data(as_text=True)
    assert first == again
    assert "Approved." in first
    assert len(line.payments.recent_payments(ANA)) == 1
    assert len(line.processor.kept_charges()) == 1


def test_card_numbers_reach_no_database_log_or_store(line: Line, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    snapshots: list[bytes] = []
    original_commit = line.kv.commit

    def spy(call_sid, held, state: bytes, secret) -> None:
        snapshots.append(state + (secret if isinstance(secret, bytes) else b""))
        original_commit(call_sid, held, state, secret)

    line.kv.commit = spy  # type: ignore[method-assign]
    line.call(signed_in(ANA, ANA_DOB) + ["1", "1"] + card(code="987") + ["1", "3"])
    assert line.payments.recent_payments(ANA)[0].status.value == "approved"
    line.app.extensions["ivr"].db_engine.dispose()
    assert VISA.encode() not in line.database.read_bytes()
    assert VISA not in caplog.text and "987#" not in caplog.text
    assert snapshots and all(VISA.encode() not in blob for blob in snapshots)


@pytest.mark.parametrize(
    ("failure", "path"),
    [
        (StoreUnavailable("redis down"), "/webhooks/voice?retry=6"),  # waited out ~10 s already
        (RuntimeError("bug"), "/webhooks/voice"),
    ],
)
def test_a_failing_store_still_answers_with_help(line: Line, failure: Exception, path) -> None:
    def broken(*args, **kwargs):
        raise failure

    line.kv.acquire = broken  # type: ignore[method-assign]
    root = twiml(signed_post(line, path, CALL))
    assert "our system is having a problem" in spoken(root)
    assert spoken(root).endswith("Please hold for a representative.")  # said, then connected
    assert [child.tag for child in root][-1] == "Enqueue"


def test_after_hours_a_failing_store_says_when_to_call_and_goodbye(make_line) -> None:
    from datetime import datetime

    from tests.e2e.conftest import EASTERN

    line = make_line(datetime(2026, 11, 18, 21, 0, tzinfo=EASTERN))

    def broken(*args, **kwargs):
        raise StoreUnavailable("redis down")

    line.kv.acquire = broken  # type: ignore[method-assign]
    root = twiml(signed_post(line, "/webhooks/voice?retry=6", CALL))
    assert spoken(root).endswith("Please call back later. Goodbye.")
    assert [child.tag for child in root][-1] == "Hangup"


def test_a_store_out_of_reach_is_waited_out_then_the_caller_is_helped(line: Line) -> None:
    """Redis refusing when a turn begins is a busy turn: a second's pause and the same turn
    asked for again, six times (about 10 s), then the fault line."""

    def broken(*args, **kwargs):
        raise StoreUnavailable("redis: ConnectionError")

    line.kv.acquire = broken  # type: ignore[method-assign]
    path, answers = "/webhooks/voice", []
    for _ in range(7):
        root = twiml(signed_post(line, path, CALL))
        answers.append([child.tag for child in root])
        redirect = root.find("Redirect")
        if redirect is None:
            break
        path = redirect.text.replace("http://localhost", "")
    assert answers[:6] == [["Pause", "Redirect"]] * 6
    assert "retry=6" in path and "t=" not in path  # the first webhook, asked for again as such
    assert "our system is having a problem" in spoken(root)


def test_the_erase_at_hang_up_waits_out_a_store_blip(line: Line, monkeypatch) -> None:
    """Twilio never retries a status callback: the erase of the call's state and secrets at
    hang-up is tried again through a blip, and reported (503) only when the store stays away."""
    import ivr.engine.callstate

    assert signed_post(line, "/webhooks/voice", CALL).status_code == 200
    real_forget, refused = line.kv.forget, {"left": 3}

    def blinking(call_sid: str) -> None:
        if refused["left"]:
            refused["left"] -= 1
            raise StoreUnavailable("redis: TimeoutError")
        real_forget(call_sid)

    line.kv.forget = blinking  # type: ignore[method-assign]
    ended = {**CALL, "CallStatus": "completed"}
    assert signed_post(line, "/webhooks/voice/status", ended).status_code == 204
    assert refused["left"] == 0 and line.kv._get(f"call:{CALL['CallSid']}") == ENDED

    def down(call_sid: str) -> None:
        raise StoreUnavailable("redis: ConnectionError")

    line.kv.forget = down  # type: ignore[method-assign]
    monkeypatch.setattr(ivr.engine.callstate, "FORGET_SECONDS", 0.3)
    assert signed_post(line, "/webhooks/voice/status", ended).status_code == 503


def test_a_redis_blip_mid_call_ends_no_call(line: Line) -> None:
    """Three turns' worth of Redis refusing in the middle of a payment: the caller waits,
    is asked again, and pays; nothing is charged twice or unheard."""
    real_acquire, refused = line.kv.acquire, {"left": 0, "count": 0}

    def blinking(*args, **kwargs):
        if refused["left"]:
            refused["left"] -= 1
            refused["count"] += 1
            raise StoreUnavailable("redis: TimeoutError")
        return real_acquire(*args, **kwargs)

    line.kv.acquire = blinking  # type: ignore[method-assign]
    card = ["1", "4242424242424242#", "1228#", "123#", "02110#"]

    def on_event(event: object) -> None:
        if "Enter the expiration" in str(event) and not refused["count"]:
            refused["left"] = 3  # the expiry date is keyed into the blip

    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1", *card[:2], "1228#", *card[2:],
                    "1", "3"], on_event=on_event)  # fmt: skip
    assert refused["count"] == 3
    assert "Sorry for the wait." in log.spoken
    assert "our system is having a problem" not in log.spoken
    assert "Approved. Your confirmation number is" in log.spoken
    assert [p.status.value for p in line.payments.recent_payments(ANA)] == ["approved"]


def test_a_failing_database_still_answers_with_help(line: Line) -> None:
    from sqlalchemy.exc import OperationalError

    def down(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("connection refused"))

    twiml(signed_post(line, "/webhooks/voice", CALL))
    line.payments.caller_blocked = down  # type: ignore[method-assign]
    root = twiml(signed_post(line, "/webhooks/voice?t=1", {**CALL, "Digits": "1"}))
    root = twiml(signed_post(line, "/webhooks/voice?t=2", {**CALL, "Digits": ANA}))
    assert "our system is having a problem" in spoken(root)


def test_healthz_reports_database_and_store(line: Line) -> None:
    response = line.app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "embedded"}


def test_five_wrong_birth_dates_across_calls_lock_self_service(line: Line) -> None:
    wrong = [f"{ANA}#", "01011990#"]
    line.call(["1", *wrong * 3, "hangup"])  # three tries, then a representative
    line.call(["1", *wrong * 2, "hangup"])
    log = line.call(["1", f"{ANA}#", f"{ANA_DOB}#", "hangup"])
    assert "self-service for this account is locked" in log.spoken
    assert "dollars" not in log.spoken  # nothing about the account was said


def test_a_turn_slower_than_the_budget_is_answered_after_a_short_wait(make_line) -> None:
    """The webhook answers within its budget with a pause and a redirect; the redirected
    request gets the slow turn's own answer once it is stored, and the input counts once."""
    from webhooks.budget import Budget

    line = make_line(budget=Budget(seconds=0.2))
    real_check, calls = line.payments.caller_blocked, []

    def slow_check(*args, **kwargs):
        calls.append(args)
        threading.Event().wait(0.5)  # a slow database, not a thread ordering
        return real_check(*args, **kwargs)

    line.payments.caller_blocked = slow_check  # type: ignore[method-assign]
    log = line.call(signed_in(ANA, ANA_DOB) + ["hangup"])
    retries = [sent.url for sent in log.sent if "retry=" in sent.url]
    assert retries and all(sent.status == 200 for sent in log.sent[:-1])
    assert "Thank you, Ana." in log.spoken
    assert len(calls) == 1  # the Subscriber ID was applied once


def test_pound_alone_at_a_menu_is_a_wrong_choice_not_silence(line: Line) -> None:
    log = line.call(["#", "hangup"])
    assert "Sorry, that is not one of the choices." in log.spoken
    assert "did not hear anything" not in log.spoken


def test_silence_at_the_greeting_does_not_repeat_the_welcome(line: Line) -> None:
    log = line.call(["", "hangup"])
    assert log.spoken.count("Welcome to Health Connector payments.") == 1
    assert log.spoken.count("For English, press 1.") == 2


def test_zero_as_an_amount_is_an_amount_not_a_transfer(line: Line) -> None:
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1", "3", "0#", "hangup"])
    assert "The amount must be more than zero." in log.spoken
    assert not log.transfers


def test_a_birth_date_keyed_at_the_representative_offer_is_not_a_transfer(line: Line) -> None:
    wrong = "13011990#"  # not a date: asked again, then offered a representative
    log = line.call(["1", f"{ANA}#", wrong, wrong, wrong, f"{ANA_DOB}#", "hangup"])
    assert "To speak with a representative, press 0." in log.spoken
    assert not log.transfers
    assert "Sorry, that is not one of the choices." in log.said_after(6)


def test_fixed_length_answers_end_without_waiting_for_pound(line: Line) -> None:
    log = line.call(signed_in(ANA, ANA_DOB) + ["hangup"])
    lengths = [gather.num_digits for gather in log.gathers]
    assert lengths[:3] == [1, 12, 8]  # language menu, Subscriber ID, date of birth


def test_with_a_public_base_url_the_host_header_decides_no_url(make_line) -> None:
    """Signatures are checked over PUBLIC_BASE_URL, and the URLs Twilio is given to call back
    are built from it, whatever Host a request claims."""
    from twilio.request_validator import RequestValidator

    public = "https://pay.example.org"
    line = make_line(public_base_url=public, agent_number="+16175550999")
    client, validator = line.app.test_client(), RequestValidator(TOKEN)

    def post(path: str, params: dict[str, str], host: str = "attacker.example"):
        signature = validator.compute_signature(public + path, params)
        headers = {"X-Twilio-Signature": signature, "Host": host}
        return client.post(path, data=params, headers=headers)

    post("/webhooks/voice", CALL)
    answer = post("/webhooks/voice?t=1", {**CALL, "Digits": "0"})
    body = answer.get_data(as_text=True)
    assert answer.status_code == 200 and "<Conference" in body
    assert f'statusCallback="{public}/webhooks/voice/conference"' in body
    assert "attacker.example" not in body
    forged = {
        "X-Twilio-Signature": validator.compute_signature(
            "http://attacker.example/webhooks/voice", CALL
        ),
        "Host": "attacker.example",
    }
    assert client.post("/webhooks/voice", data=CALL, headers=forged).status_code == 403


def test_a_rest_api_that_cannot_be_reached_still_transfers_the_caller(make_line) -> None:
    """Dialling an agent's phone fails at the network (nothing listens there): the caller is
    still put through to the representatives' conference, never the fault line."""
    line = make_line(
        agent_number="+16175550999",
        twilio_account_sid="AC" + "0" * 32,
        twilio_api_base_url="http://127.0.0.1:9",
    )
    log = line.call(["1", "0", "hangup"])
    assert log.transfers
    assert "our system is having a problem" not in log.spoken
    assert any(type(event).__name__ == "Conferenced" for event in log.events)
