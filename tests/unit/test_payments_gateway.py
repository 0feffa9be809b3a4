"""The sandbox gateway, the truthful charge sequence, and confirmation numbers."""

from __future__ import annotations

import pytest

from payments.domain.confirmation import ALPHABET, LENGTH, is_confirmation, new_confirmation
from payments.domain.instruments import AccountType, BankDetails, CardDetails
from payments.domain.values import DeclineReason
from payments.gateways.base import ChargeRequest, GatewayResponse
from payments.services.charging import charge_truthfully
from tests.doubles import FlakyGateway, standalone_sandbox


def card_charge(number: str, key: str = "k", code: str | None = None) -> ChargeRequest:
    code = code or ("1234" if number.startswith("3") else "123")
    return ChargeRequest(key, 4500, CardDetails(number, 12, 2030, code, "02110"), "test")


def bank_charge(account: str, routing: str = "011000015", key: str = "k") -> ChargeRequest:
    return ChargeRequest(key, 4500, BankDetails(AccountType.SAVINGS, routing, account), "test")


@pytest.mark.parametrize(
    "number",
    [
        "4242424242424242",
        "5555555555554444",
        "378282246310005",
        "6011111111111117",
        "4111111111111111",
    ],
)
def test_approved_cards(number):
    response = standalone_sandbox().charge(card_charge(number))
    assert response.approved and response.transaction_id.startswith("sbx_ch_")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("4000000000000002", DeclineReason.GENERIC),
        ("4000000000009995", DeclineReason.INSUFFICIENT_FUNDS),
        ("4000000000000069", DeclineReason.EXPIRED_CARD),
        ("4000000000000127", DeclineReason.INCORRECT_SECURITY_CODE),
        ("4000000000000119", DeclineReason.PROCESSING_ERROR),
        ("4242424242424241", DeclineReason.GENERIC),  # fails Luhn
    ],
)
def test_declined_cards_charge_nothing(number, reason):
    gateway = standalone_sandbox()
    response = gateway.charge(card_charge(number))
    assert (response.approved, response.decline_reason, response.transaction_id) == (
        False,
        reason,
        None,
    )
    assert gateway.charged_cents() == 0


def test_wrong_security_code_length_is_declined():
    response = standalone_sandbox().charge(card_charge("378282246310005", code="123"))
    assert response.decline_reason is DeclineReason.INCORRECT_SECURITY_CODE


def test_bank_accounts_are_not_the_card_processors():
    with pytest.raises(TypeError):
        standalone_sandbox().charge(bank_charge("12345678"))


def test_same_key_twice_charges_once():
    gateway = standalone_sandbox()
    first = gateway.charge(card_charge("4242424242424242"))
    assert gateway.charge(card_charge("4242424242424242")) == first
    assert (gateway.charges(), gateway.charged_cents()) == (1, 4500)
    assert gateway.lookup("k") == first and gateway.lookup("other") is None


def test_reverse_gives_the_money_back():
    gateway = standalone_sandbox()
    gateway.charge(card_charge("4242424242424242"))
    gateway.reverse("k")
    assert gateway.charged_cents() == 0


def test_charge_request_repr_hides_the_card():
    assert "4242424242424242" not in repr(card_charge("4242424242424242"))


def test_truthful_charge_asks_then_retries_with_the_same_key():
    sandbox = standalone_sandbox()
    flaky = FlakyGateway(sandbox, charges=["lose_reply"], lookups=["down"])
    result = charge_truthfully(flaky, card_charge("4242424242424242"))
    assert result.response.approved and not result.unresolved
    assert flaky.calls == ["charge", "lookup", "charge"] and sandbox.charges() == 1


def test_truthful_charge_trusts_a_lookup_answer():
    flaky = FlakyGateway(standalone_sandbox(), charges=["lose_reply"])
    result = charge_truthfully(flaky, card_charge("4000000000009995"))
    assert result.response.decline_reason is DeclineReason.INSUFFICIENT_FUNDS
    assert flaky.calls == ["charge", "lookup"]


def test_truthful_charge_never_received_is_not_charged_but_unresolved():
    flaky = FlakyGateway(standalone_sandbox(), charges=["drop"])
    result = charge_truthfully(flaky, card_charge("4242424242424242"))
    assert result.response == GatewayResponse(
        False, None, DeclineReason.PROCESSING_ERROR, "never received"
    )
    assert result.unresolved and flaky.calls == ["charge", "lookup"]


def test_confirmation_numbers_are_digits_a_caller_can_write_down():
    assert set(ALPHABET) == set("0123456789")
    codes = {new_confirmation() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(code) == LENGTH and is_confirmation(code) for code in codes)
    assert not is_confirmation("ABCD1234") and not is_confirmation("1234567")
