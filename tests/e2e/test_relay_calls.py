"""Relay (TTY) callers: same flow, longer waits, speech beside keys, read-back before money."""

from __future__ import annotations

import pytest

from ivr.speech.words import say_characters
from tests.e2e.conftest import RELAY_NUMBER, Line
from tests.e2e.test_card_and_bank_calls import ANA, ANA_DOB, LUIS, LUIS_DOB, bank, signed_in

SPOKEN_VISA = "say: four two four two four two four two four two four two four two four two"


def relay_call(line: Line, script: list[str], **kwargs) -> object:
    return line.call(script, to=RELAY_NUMBER, **kwargs)


def test_relay_card_payment_with_spoken_digits_and_25_second_answers(line: Line) -> None:
    script = [
        "1",
        f"{ANA}#",
        f"{ANA_DOB}#",
        "1",
        "1",
        "1",
        SPOKEN_VISA,
        "1",  # spoken card number, read back (last 4), confirmed
        "say: one two two eight",
        "1",
        "say: one two three",
        "1",
        "say: oh two one one oh",
        "1",
        "1",
        "3",
    ]
    log = relay_call(line, script, answer_delay=25)

    assert not log.timeouts
    assert all(g.timeout >= 30 for g in log.gathers)
    assert all("speech" in g.input for g in log.gathers)
    assert "We heard a number ending in four, two, four, two." in log.spoken
    assert "We heard a 3-digit code." in log.spoken  # never the security code itself
    assert "one, two, three" not in log.spoken
    payment = line.payments.recent_payments(ANA)[0]
    assert (payment.status.value, payment.channel.value, payment.last4) == (
        "approved",
        "relay",
        "4242",
    )
    assert log.spoken.count(say_characters(payment.confirmation, "en")) >= 1


def test_relay_option_from_the_main_number_and_bank_payment(line: Line) -> None:
    script = signed_in(LUIS, LUIS_DOB, lang="3") + ["1"] + bank() + ["1", "3"]
    log = line.call(script)
    assert all(g.timeout >= 30 for g in log.gathers[1:])
    assert "single ACH debit" in log.spoken
    payment = line.payments.recent_payments(LUIS)[0]
    assert (payment.method, payment.channel.value) == ("bank", "relay")


def test_misheard_speech_is_reasked_and_a_wrong_readback_reentered(line: Line) -> None:
    script = ["1", "say: banana", "say: one oh oh oh oh oh oh oh oh oh oh one", "1", "say: star"]
    log = relay_call(line, script)
    assert "Sorry, we did not understand that." in log.spoken
    assert "Enter the date of birth as month, day, year: 8 digits." in log.spoken
    assert log.spoken.count("Enter the date of birth") == 3  # asked, error re-ask, star repeat


def test_spoken_readback_can_be_rejected(line: Line) -> None:
    script = ["1", f"{ANA}#", f"{ANA_DOB}#", "1", "1", "3", "say: two oh", "2", "20#", "hangup"]
    log = relay_call(line, script)
    assert "We heard two, zero." in log.spoken
    assert "Let's try that again." in log.spoken


def test_relay_silence_warns_and_waits_longer_never_hanging_up(line: Line) -> None:
    log = relay_call(line, ["1", "", "", "", "hangup"])
    timeouts = [g.timeout for g in log.gathers]
    assert timeouts[1] >= 30 and timeouts[2] > timeouts[1]
    assert "We did not receive an answer. Take your time; we will wait." in log.spoken
    assert "Press 0 for a representative, or 1 to try again." in log.spoken
    assert log.ended_by == "caller-hangup"


def test_relay_representative_is_the_relay_queue(line: Line) -> None:
    log = relay_call(line, ["1", "0"])
    assert log.transfers and log.transfers[0].target == "relay-representatives"


def test_relay_minimum_wait_is_configurable(make_line) -> None:
    line = make_line(relay_timeout=45)
    log = relay_call(line, ["1", "hangup"])
    assert min(g.timeout for g in log.gathers) == 45


def test_a_silent_relay_caller_after_hours_is_told_when_to_call_and_the_call_ends(make_line):
    from datetime import datetime

    from tests.e2e.conftest import EASTERN

    line = make_line(datetime(2026, 11, 18, 20, 0, tzinfo=EASTERN))
    log = relay_call(line, [""] * 40)
    assert log.ended_by == "server-hangup"  # not an endless loop of offers
    assert log.requests < 20
    ending = log.spoken.split("\n")[-4:]
    assert ending[0] == "We did not hear from you, so we will end this call."
    assert "Please call back tomorrow at eight a.m." in ending[-2]
    assert ending[-1] == "Goodbye."
    assert not log.transfers


def test_the_first_relay_prompt_asks_for_digits_one_at_a_time(line: Line) -> None:
    log = relay_call(line, ["hangup"])
    assert "please read digits one at a time" in log.spoken


def test_the_relay_main_menu_names_the_representative(line: Line) -> None:
    log = relay_call(line, ["1", f"{ANA}#", f"{ANA_DOB}#", "hangup"])
    assert "Press 0 for a representative." in log.spoken


@pytest.mark.parametrize(
    ("lang", "help_words", "repeat_word"),
    [
        ("1", "say: help", "say: repeat"),
        ("2", "say: ayuda", "say: repita por favor"),
    ],
)
def test_help_and_repeat_are_understood_at_any_relay_prompt(line, lang, help_words, repeat_word):
    log = relay_call(line, [lang, help_words, repeat_word, "hangup"])
    help_line = "You can key or say each answer" if lang == "1" else "Puede marcar o decir"
    assert help_line in log.spoken
    asks = "Enter the 12-digit Subscriber ID" if lang == "1" else "Ingrese el número de suscriptor"
    assert log.spoken.count(asks) == 3  # asked, after help, after repeat


def test_go_back_returns_to_the_previous_question_never_past_a_payment(line: Line) -> None:
    to_expiry = ["1", f"{ANA}#", f"{ANA_DOB}#", "1", "1", "1", SPOKEN_VISA, "1"]
    log = relay_call(line, [*to_expiry, "say: go back", "hangup"])
    assert log.said_after(len(to_expiry) + 2).startswith("Enter the card number")


def test_go_back_from_the_method_menu_skips_the_amount_menu_never_asked(line: Line) -> None:
    """With the plan and its amount just heard there is no amount menu: back from the method
    menu is the plan choice, and back from another amount is the method menu."""
    to_method = ["1", f"{ANA}#", f"{ANA_DOB}#", "1", "1"]
    log = relay_call(line, [*to_method, "say: go back", "hangup"])
    assert log.said_after(len(to_method) + 2).startswith(
        "To pay your health plan, forty-five dollars, press 1."
    )
    to_amount = [*to_method, "3"]
    log = relay_call(line, [*to_amount, "say: go back", "hangup"])
    assert log.said_after(len(to_amount) + 2).startswith("Press 1 for card.")


def test_representative_said_at_a_relay_prompt_connects_to_the_relay_queue(line: Line) -> None:
    log = relay_call(line, ["1", "say: I want to talk to a representative"])
    assert log.transfers and log.transfers[0].target == "relay-representatives"
