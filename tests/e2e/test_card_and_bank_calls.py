"""A member pays by phone, end to end, as Twilio would drive the line."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ivr.speech.words import say_characters
from tests.e2e.conftest import Line

ANA, ANA_DOB = "100000000001", "04171980"
LUIS, LUIS_DOB = "100000000002", "09021975"
MEI, MEI_DOB = "100000000003", "01151990"
JAMES, JAMES_DOB = "100000000004", "12301968"
ROSA, ROSA_DOB = "100000000005", "06091985"
VISA = "4242424242424242"
ROUTING = "011000015"
ACCOUNT = "123456789"


def signed_in(subscriber: str, dob: str, lang: str = "1") -> list[str]:
    return [lang, f"{subscriber}#", f"{dob}#"]


def bank(routing: str = ROUTING, account: str = ACCOUNT) -> list[str]:
    """Method 2 (bank), checking, routing number, account number twice."""
    return ["2", "1", f"{routing}#", f"{account}#", f"{account}#"]


def card(number: str = VISA, expiry: str = "1228", code: str = "123") -> list[str]:
    return ["1", f"{number}#", f"{expiry}#", f"{code}#", "02110#"]


def test_ana_pays_her_health_premium_by_card(line: Line) -> None:
    script = signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["1", "3"]
    log = line.call(script)

    spoken = log.spoken
    assert (
        "For your health plan, forty-five dollars is due on Monday, November twenty-third, "
        "for December." in spoken
    )
    assert "Visa ending in four, two, four, two" in spoken
    assert "Approved. Your confirmation number is" in spoken
    assert log.ended_by == "server-hangup"
    payments = line.payments.recent_payments(ANA)
    assert [(p.amount, p.status.value, p.last4, p.method) for p in payments] == [
        (Decimal("45.00"), "approved", "4242", "card")
    ]
    assert say_characters(payments[0].confirmation, "en") in spoken
    health = next(p for p in line.payments.account_summary(ANA).plans if p.kind == "health")
    assert health.balance == Decimal("0.00")


def test_confirmation_number_is_spelled_and_repeatable(line: Line) -> None:
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "2"] + card() + ["1", "1", "3"])
    confirmation = line.payments.recent_payments(ANA)[0].confirmation
    assert log.spoken.count(say_characters(confirmation, "en")) == 2


def test_luis_pays_by_bank_in_spanish_with_a_tel_authorization(line: Line) -> None:
    script = signed_in(LUIS, LUIS_DOB, lang="2") + ["1"] + bank() + ["1", "3"]
    log = line.call(script)

    spoken = log.spoken
    assert "cuatrocientos doce dólares con cincuenta centavos" in spoken
    assert "único débito ACH" in spoken
    assert "cuenta de cheques que termina en seis, siete, ocho, nueve" in spoken
    assert "Su pago bancario está programado." in spoken
    assert "Aprobado" not in spoken  # a debit is money only once the bank pays it
    payment = line.payments.recent_payments(LUIS)[0]
    assert (payment.method, payment.last4, payment.status.value) == ("bank", "6789", "approved")


def test_decline_then_another_card_is_approved(line: Line) -> None:
    declined = card(number="4000000000009995")
    script = signed_in(ANA, ANA_DOB) + ["1", "1"] + declined + ["1"]
    script += ["1"] + card()[0:] + ["1", "3"]  # try another: method, card details, confirm
    log = line.call(script)

    assert "declined because of insufficient funds" in log.spoken
    assert "You have not been charged for this payment." in log.spoken
    assert line.statuses(ANA) == ["approved", "declined"]


def test_gateway_failure_is_told_truthfully(line: Line) -> None:
    script = signed_in(ANA, ANA_DOB) + ["1", "1"] + card(number="4000000000000119")
    log = line.call(script + ["1", "2"])
    assert "because of a system problem" in log.spoken
    assert "You have not been charged for this payment." in log.spoken
    assert line.statuses(ANA) == ["failed"]
    assert line.payments.recent_payments(ANA) == []  # "recent payments" lists money moved


def test_two_plans_are_offered_separately(line: Line) -> None:
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "2"] + card() + ["1", "3"])
    assert "To pay your health plan, forty-five dollars, press 1." in log.spoken
    assert "To pay your dental plan, thirty-two dollars, press 2." in log.spoken
    payment = line.payments.recent_payments(ANA)[0]
    assert payment.kind == "dental" and payment.amount == Decimal("32.00")


def test_a_partial_payment_says_what_it_leaves_owing(line: Line) -> None:
    script = signed_in(ANA, ANA_DOB) + ["1", "1", "3", "20*50#"] + card() + ["1", "3"]
    log = line.call(script)
    left = "twenty-four dollars and fifty cents"
    assert (
        f"After this payment, {left} will still be due on Monday, November twenty-third, "
        "for December." in log.spoken
    )
    assert (
        f"{left} is still due on Monday, November twenty-third, for December."
        in log.spoken.replace("Twenty", "twenty")
    )
    assert "at risk" not in log.spoken  # nothing is past due: saying so would be untrue
    assert line.payments.recent_payments(ANA)[0].amount == Decimal("20.50")


def test_more_than_the_balance_is_refused(line: Line) -> None:
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1", "3", "46#", "hangup"])
    assert "You can pay at most forty-five dollars by phone." in log.spoken
    assert line.payments.recent_payments(ANA) == []


def test_binder_payment_tells_the_start_date_and_activates(line: Line) -> None:
    log = line.call(signed_in(MEI, MEI_DOB) + ["1", "1"] + card() + ["1", "3"])
    assert "waiting for its first payment" in log.spoken
    assert "your coverage starts on Tuesday, December first" in log.spoken
    plan = line.payments.account_summary(MEI).plans[0]
    assert plan.status.value == "active"


def test_each_bill_is_told_with_its_own_amount_date_and_month_past_due_first(line) -> None:
    """James has one plan: its bills need not say which plan (Ana's two plans do, README)."""
    log = line.call(signed_in(JAMES, JAMES_DOB) + ["hangup"])
    assert (
        "Sixty-eight dollars for November was due on October "
        "twenty-third, and is past due.\n"
        "Then sixty-eight dollars is due on Monday, November twenty-third, for December.\n"
        "Your coverage is at risk until what is past due is paid." in log.spoken
    )


@pytest.mark.parametrize(
    ("lang", "health", "dental"),
    [
        ("1", "For your health plan, forty-five dollars", "For your dental plan, thirty-two"),
        ("2", "Para su plan de salud, cuarenta y cinco", "Para su plan dental, treinta y dos"),
    ],
)
def test_a_member_with_two_plans_hears_which_plan_each_bill_is_for(line, lang, health, dental):
    log = line.call(signed_in(ANA, ANA_DOB, lang) + ["hangup"])
    assert health in log.spoken
    assert dental in log.spoken


def test_nothing_due(line: Line) -> None:
    log = line.call(signed_in(ROSA, ROSA_DOB) + ["1", "hangup"])
    assert "Nothing is due on your health plan." in log.spoken
    assert "There is nothing to pay right now." in log.spoken


def test_an_attested_callers_number_offers_their_account_still_verified(line: Line) -> None:
    log = line.call(["1", "01011990#", "hangup"], caller="+16175550100", attested=True)
    assert "account ending in zero, zero, zero, one" in log.spoken
    assert "Those details do not match our records." in log.spoken
    assert "dollars" not in log.spoken


def test_a_number_on_file_that_is_not_attested_hears_nothing_of_the_account(line: Line) -> None:
    log = line.call(["1", "hangup"], caller="+16175550100")  # spoofable: no attestation
    assert "ending in" not in log.spoken
    assert log.spoken.endswith("Enter your 12-digit Subscriber ID from your bill.")


def test_the_tel_authorization_is_heard_before_the_key_counts(line: Line) -> None:
    """Keyed early (barge-in), '1' would accept an authorization not yet read: it is said
    outside the Gather, so only the question that follows takes a key."""
    log = line.call(signed_in(LUIS, LUIS_DOB, lang="2") + ["1"] + bank() + ["hangup"])
    question = next(p for p in log.gather_prompts() if "Para autorizar este débito" in p)
    assert "único débito ACH" not in question  # said before the Gather, not inside it
    assert "usted, Luis Ortega, autoriza al Massachusetts Health Connector" in log.spoken
    assert "llame al uno, ocho siete siete, seis dos tres, seis siete seis cinco" in log.spoken
    assert "the Massachusetts" not in log.spoken


def test_the_card_read_back_is_heard_before_the_key_counts(line: Line) -> None:
    log = line.call(signed_in(ANA, ANA_DOB) + ["1", "1"] + card() + ["hangup"])
    question = next(p for p in log.gather_prompts() if "To confirm, press 1." in p)
    assert "Paying" not in question and "Paying" in log.spoken
