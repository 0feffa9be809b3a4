"""What the caller hears is true and plain, in English and Spanish: each bill told on its own,
what a partial payment leaves, when a lockout ends, what recent payments cover, due dates said
relative to today, only the choices that exist, and the member's language on file."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.e2e.conftest import EASTERN
from tests.e2e.test_card_and_bank_calls import (
    ANA,
    ANA_DOB,
    JAMES,
    JAMES_DOB,
    LUIS,
    LUIS_DOB,
    MEI,
    MEI_DOB,
    ROSA,
    ROSA_DOB,
    card,
    signed_in,
)

ON_THE_23RD = datetime(2026, 11, 23, 10, 0, tzinfo=EASTERN)  # a Monday, the due date
EVENING = datetime(2026, 11, 18, 20, 0, tzinfo=EASTERN)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "1",
            "Sixty-eight dollars for November was due on October "
            "twenty-third, and is past due.\nThen sixty-eight dollars is due today, November "
            "twenty-third, for December.",
        ),
        (
            "2",
            "El pago de sesenta y ocho dólares de noviembre vencía el "
            "veintitrés de octubre y está atrasado.\nLuego, sesenta y ocho dólares vence "
            "hoy, veintitrés de noviembre, por diciembre.",
        ),
    ],
)
def test_bills_past_due_first_each_with_its_own_date(make_line, lang, expected) -> None:
    log = make_line(ON_THE_23RD).call(signed_in(JAMES, JAMES_DOB, lang) + ["hangup"])
    assert expected in log.spoken


@pytest.mark.parametrize(
    ("lang", "expected", "untrue"),
    [
        ("1", "Sixty-eight dollars is still due today, November twenty-third", "at risk"),
        ("2", "Sesenta y ocho dólares sigue venciendo hoy, veintitrés de noviembre", "riesgo"),
    ],
)
def test_paying_what_was_past_due_is_not_told_at_risk(make_line, lang, expected, untrue):
    line = make_line(ON_THE_23RD)
    pay_past_due = ["1", "2", "68#"] + card() + ["1", "3"]
    log = line.call(signed_in(JAMES, JAMES_DOB, lang) + pay_past_due)
    after_summary = log.spoken.split("\n", 12)[-1]  # from the read-back on
    assert expected in after_summary
    assert untrue not in after_summary.split("To confirm")[-1].split("Para confirmar")[-1]


def test_a_partial_binder_payment_says_coverage_waits_for_the_rest(line) -> None:
    log = line.call(signed_in(MEI, MEI_DOB) + ["1", "2", "89#"] + card() + ["1", "3"])
    assert "Your coverage starts only when this first bill is paid in full" in log.spoken
    assert (
        "Your coverage starts when the rest of the first bill, two hundred dollars, is paid"
        in log.spoken
    )
    assert "at risk" not in log.spoken


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("1", "You can try again tomorrow at ten a.m."),
        ("2", "Puede intentarlo de nuevo mañana a las diez de la mañana"),
    ],
)
def test_a_lockout_says_when_it_ends(line, lang, expected) -> None:
    wrong = [f"{ANA}#", "01011990#"]
    line.call([lang, *wrong * 3, "hangup"])
    log = line.call([lang, *wrong * 2, "hangup"])  # the fifth failure
    assert expected in log.spoken


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("1", "No payments made through this phone line are on file.\nPayments made by mail"),
        ("2", "No hay pagos hechos por esta línea telefónica.\nLos pagos hechos por correo"),
    ],
)
def test_recent_payments_say_what_the_line_knows(line, lang, expected) -> None:
    log = line.call(signed_in(ROSA, ROSA_DOB, lang) + ["3", "hangup"])
    assert expected in log.spoken
    assert "no payments on this account" not in log.spoken


def test_only_the_choices_that_exist_are_offered(make_line) -> None:
    evening = make_line(EVENING)
    nothing_due = evening.call(signed_in(ROSA, ROSA_DOB) + ["*", "hangup"])
    first, repeated = nothing_due.spoken.split("Thank you, Rosa.")[-1].split("For AutoPay")[:2]
    assert "To pay, press 1." not in first + repeated and "press 0" not in first + repeated
    # The balance was just said, and no payment through this line is on file to list.
    assert "For your balance, press 2." not in first
    assert "For recent payments" not in first + repeated
    assert "For your balance, press 2." in repeated  # `*`: the menu again, with all it holds


def test_recent_payments_are_offered_once_the_line_has_taken_one(line) -> None:
    script = signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1", "2", "3", "hangup"]
    log = line.call(script)
    before, after = log.spoken.split("Approved. Your confirmation number is")
    assert "For recent payments, press 3." not in before
    assert "For your balance, press 2.\nFor recent payments, press 3." in after
    assert "to your health plan by card ending in four, two, four, two, approved." in after


def test_no_bank_account_is_mentioned_when_bank_payments_are_off(make_line) -> None:
    line = make_line(bank_enabled=False)
    declined = card("4000000000000002")
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1", "1"] + declined[1:] + ["1", "2", "hangup"])
    assert "To change it, press 2." in log.spoken
    assert "To try another card, press 1." in log.spoken
    assert "bank" not in log.spoken
    # No method menu to offer another amount in: the amount menu is asked.
    assert "To pay in full, press 1. For another amount, press 2." in log.spoken


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "1",
            "To pay your dental plan, thirty-two dollars, press 2.\n"
            "For card, press 1. For bank account, press 2.\nFor another amount, press 3.",
        ),
        (
            "2",
            "Para pagar su plan dental, treinta y dos dólares, oprima 2.\n"
            "Para tarjeta, oprima 1. Para cuenta bancaria, oprima 2.\n"
            "Para otra cantidad, oprima 3.",
        ),
    ],
)
def test_after_the_plan_and_its_amount_no_amount_menu_but_another_amount_offered(
    line, lang, expected
) -> None:
    log = line.call(signed_in(ANA, ANA_DOB, lang) + ["1", "2", "hangup"])
    assert expected in log.spoken


def test_another_amount_from_the_method_menu_is_paid_and_read_back(line) -> None:
    script = signed_in(ANA, ANA_DOB) + ["1", "2", "3", "10*00#"] + card() + ["1", "3"]
    log = line.call(script)
    assert "Paying ten dollars to your dental plan, Visa ending in" in log.spoken
    assert "Approved. Your confirmation number is" in log.spoken
    assert line.payments.recent_payments(ANA)[0].amount == 10


def test_a_bill_not_just_heard_is_offered_with_its_amount_and_plan(line) -> None:
    """Health paid, the dental plan is the only one left: the menu skips the plan choice, so
    the amount menu says which plan and how much."""
    script = signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1", "2", "1", "hangup"]
    log = line.call(script)
    assert log.spoken.endswith(
        "To pay your dental plan's thirty-two dollars in full, press 1. "
        "For another amount, press 2."
    )


def test_a_caller_recognised_by_caller_id_is_greeted_in_the_language_on_file(line) -> None:
    log = line.call(["1", LUIS_DOB, "hangup"], caller="+16175550101", attested=True)
    assert log.spoken.splitlines()[:4] == [
        "Bienvenido a los pagos de Health Connector.",
        "Para la cuenta que termina en cero, cero, cero, dos, oprima 1. "
        "Para otra cuenta, oprima 2.",
        "Para retransmisión, oprima 3.",
        "For English, press 9.",  # in the English voice: no language menu before
    ]
    assert "Cuatrocientos doce dólares con cincuenta centavos vence" in log.spoken


def test_the_recognised_caller_can_choose_the_other_language_or_relay(line) -> None:
    english = line.call(["9", "1", LUIS_DOB, "hangup"], caller="+16175550101", attested=True)
    assert english.spoken.splitlines()[4:8] == [
        "For the account ending in zero, zero, zero, two, press 1. For another account, press 2.",
        "For relay, press 3.",
        "Para español, oprima 9.",
        "Enter your date of birth: month, day, year.",
    ]
    assert "Four hundred twelve dollars and fifty cents is due" in english.spoken  # kept
    relay = line.call(["3", "hangup"], caller="+16175550101", attested=True)
    assert relay.spoken.splitlines()[-2:] == [
        "¿Usar la cuenta que termina en cero, cero, cero, dos? Oprima 1 para sí, 2 para no.",
        "For English, press 9.",
    ]


def test_a_caller_who_keyed_the_id_keeps_the_language_chosen(line) -> None:
    log = line.call(signed_in(LUIS, LUIS_DOB, "1") + ["hangup"])
    assert "Cuatrocientos" not in log.spoken
    assert "Four hundred twelve dollars and fifty cents is due" in log.spoken


def test_wrong_keys_at_the_after_hours_offer_end_the_call_truthfully(make_line) -> None:
    """Out of hours, 0 and then wrong keys at "To try again, press 1": after three, the call
    ends with what it did with money and when to call back, never a loop; "a.m." once."""
    from datetime import datetime

    from tests.e2e.conftest import EASTERN

    line = make_line(datetime(2026, 11, 18, 21, 0, tzinfo=EASTERN))
    log = line.call(["1", "0", *["5#"] * 3, *["5"] * 10])  # 3 bad IDs bring the offer
    assert log.ended_by == "server-hangup"
    assert log.spoken.count("Sorry, that is not one of the choices.") == 3
    assert "We could not understand your choices, so we will end this call." in log.spoken
    assert "Nothing has been charged." in log.spoken
    assert "Please call back tomorrow at eight a.m." in log.spoken
    assert "a.m.." not in log.spoken and len(log.sent) < 14


PAID_THEN_MENU = signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1", "2"]


def test_three_wrong_keys_at_a_menu_end_the_call_with_its_money_out_of_hours(make_line) -> None:
    """No menu is read a fourth time: after three wrong keys, the call's money, when to call
    back and goodbye (nobody is there to take the call)."""
    log = make_line(EVENING).call([*PAID_THEN_MENU, "9", "9", "9", "1"])
    assert log.ended_by == "server-hangup"
    assert log.spoken.count("Sorry, that is not one of the choices.") == 3
    ending = log.spoken[log.spoken.index("We could not understand your choices") :]
    assert "forty-five dollars to your health plan in this call went through" in ending
    assert "Please call back tomorrow at eight a.m." in ending
    assert ending.endswith("Goodbye.")


def test_three_wrong_keys_at_a_menu_reach_a_representative_in_hours(line) -> None:
    log = line.call([*PAID_THEN_MENU, "9", "9", "9", "1"])
    assert log.ended_by == "transfer"
    assert log.spoken.count("Sorry, that is not one of the choices.") == 3
    assert log.spoken.endswith("Please hold while we connect you to a representative.")
    assert "To speak with a representative, press 0." not in log.spoken
