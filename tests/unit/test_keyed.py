from collections.abc import Callable
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ivr.speech.keyed import (
    InputError,
    parse_account_number,
    parse_amount,
    parse_birth_date,
    parse_card_number,
    parse_expiry,
    parse_menu_choice,
    parse_routing_number,
    parse_security_code,
    parse_subscriber_id,
    parse_zip,
)
from payments.domain.instruments import CardBrand

TODAY = date(2026, 11, 25)
keys = st.text(alphabet="0123456789*# ", max_size=40)


def code_of(parse: Callable[[], object]) -> str:
    with pytest.raises(InputError) as caught:
        parse()
    return caught.value.code


def test_subscriber_id() -> None:
    assert parse_subscriber_id("123456789012") == "123456789012"
    assert parse_subscriber_id(" 1234 5678 9012 ") == "123456789012"
    for bad in ["12345678901", "1234567890123", "12345678901*", "", "١٢٣٤٥٦٧٨٩٠١٢"]:
        assert code_of(lambda bad=bad: parse_subscriber_id(bad)) == "length"


def test_birth_date() -> None:
    assert parse_birth_date("07041976", TODAY) == date(1976, 7, 4)
    assert parse_birth_date("11252026", TODAY) == TODAY
    assert code_of(lambda: parse_birth_date("11262026", TODAY)) == "future"
    for bad in ["0704197", "13011990", "02302000", "00101990", "07041899", "0704*976", ""]:
        assert code_of(lambda bad=bad: parse_birth_date(bad, TODAY)) == "format"


@pytest.mark.parametrize(
    ("keyed", "expected"),
    [("45", "45.00"), ("45*", "45.00"), ("45*50", "45.50"), ("*50", "0.50"), ("045*05", "45.05")],
)
def test_amount(keyed: str, expected: str) -> None:
    amount = parse_amount(keyed)
    assert amount == Decimal(expected)
    assert amount.as_tuple().exponent == -2


@pytest.mark.parametrize("bad", ["45*5", "45*500", "", "*", "4*5*0", "#", "**50", "1234567890"])
def test_amount_format(bad: str) -> None:
    assert code_of(lambda: parse_amount(bad)) == "format"


@pytest.mark.parametrize("bad", ["0", "0*00", "*00", "000*"])
def test_amount_zero(bad: str) -> None:
    assert code_of(lambda: parse_amount(bad)) == "zero"


@given(st.integers(0, 10**9 - 1), st.integers(0, 99))
def test_amount_round_trips(dollars: int, cents: int) -> None:
    if dollars == cents == 0:
        return
    assert parse_amount(f"{dollars}*{cents:02d}") == Decimal(dollars) + Decimal(cents) / 100


@pytest.mark.parametrize(
    "number", ["4242424242424242", "5555555555554444", "378282246310005", "6011111111111117"]
)
def test_card_number(number: str) -> None:
    assert parse_card_number(" ".join([number[:4], number[4:]])) == number


def test_card_number_errors() -> None:
    assert code_of(lambda: parse_card_number("424242424242")) == "length"
    assert code_of(lambda: parse_card_number("42424242424242424242")) == "length"
    assert code_of(lambda: parse_card_number("4242*42424242424")) == "length"
    assert code_of(lambda: parse_card_number("4242424242424241")) == "checksum"
    assert code_of(lambda: parse_card_number("3566002020360505")) == "brand"  # JCB


def test_expiry() -> None:
    assert parse_expiry("1126", TODAY) == (11, 2026)  # the current month is still good
    assert parse_expiry("0131", TODAY) == (1, 2031)
    assert code_of(lambda: parse_expiry("1026", TODAY)) == "expired"
    assert code_of(lambda: parse_expiry("1325", TODAY)) == "month"
    assert code_of(lambda: parse_expiry("0027", TODAY)) == "month"
    for bad in ["126", "112026", "11*6", ""]:
        assert code_of(lambda bad=bad: parse_expiry(bad, TODAY)) == "format"


def test_security_code() -> None:
    assert parse_security_code("123", CardBrand.VISA) == "123"
    assert parse_security_code("1234", CardBrand.AMEX) == "1234"
    assert code_of(lambda: parse_security_code("1234", CardBrand.MASTERCARD)) == "length"
    assert code_of(lambda: parse_security_code("123", CardBrand.AMEX)) == "length"
    assert code_of(lambda: parse_security_code("12*", CardBrand.DISCOVER)) == "length"


def test_zip() -> None:
    assert parse_zip("02108") == "02108"
    for bad in ["0210", "021081", "021081234", "0210812345", "0210*"]:
        assert code_of(lambda bad=bad: parse_zip(bad)) == "length"


def test_routing_number() -> None:
    assert parse_routing_number("011000015") == "011000015"
    assert parse_routing_number("021 000 021") == "021000021"
    assert code_of(lambda: parse_routing_number("01100001")) == "length"
    assert code_of(lambda: parse_routing_number("011000016")) == "checksum"
    assert code_of(lambda: parse_routing_number("000000000")) == "checksum"


def test_account_number() -> None:
    assert parse_account_number("000111111116") == "000111111116"
    assert parse_account_number("1234") == "1234"
    assert parse_account_number("1" * 17) == "1" * 17
    for bad in ["123", "1" * 18, "1234*", "", "١٢٣٤"]:
        assert code_of(lambda bad=bad: parse_account_number(bad)) == "length"


def test_menu_choice() -> None:
    assert parse_menu_choice("2", "120*") == "2"
    assert parse_menu_choice(" * ", "120*") == "*"
    for bad in ["3", "12", "", " "]:
        assert code_of(lambda bad=bad: parse_menu_choice(bad, "120*")) == "choice"


def test_error_message_never_holds_the_keys() -> None:
    card = "4242424242424241"
    with pytest.raises(InputError) as caught:
        parse_card_number(card)
    assert str(caught.value) == "checksum"
    assert card not in repr(caught.value) and card not in str(caught.value.args)


PARSERS: dict[str, tuple[Callable[[str], object], set[str]]] = {
    "subscriber_id": (parse_subscriber_id, {"length"}),
    "birth_date": (lambda k: parse_birth_date(k, TODAY), {"format", "future"}),
    "amount": (parse_amount, {"format", "zero"}),
    "card_number": (parse_card_number, {"length", "checksum", "brand"}),
    "expiry": (lambda k: parse_expiry(k, TODAY), {"format", "month", "expired"}),
    "security_code": (lambda k: parse_security_code(k, CardBrand.AMEX), {"length"}),
    "zip": (parse_zip, {"length"}),
    "routing_number": (parse_routing_number, {"length", "checksum"}),
    "account_number": (parse_account_number, {"length"}),
    "menu_choice": (lambda k: parse_menu_choice(k, "12*"), {"choice"}),
}


@pytest.mark.parametrize("name", sorted(PARSERS))
@given(keyed=keys)
def test_parsers_only_raise_their_own_input_errors(name: str, keyed: str) -> None:
    parse, codes = PARSERS[name]
    try:
        parse(keyed)
    except InputError as error:
        assert error.code in codes
        assert str(error) == error.code


@given(keys)
def test_accepted_values_are_clean(keyed: str) -> None:
    """Whatever a parser accepts is made of the digits keyed, spaces removed."""
    digits = keyed.replace(" ", "")
    for parse in (parse_subscriber_id, parse_zip, parse_account_number, parse_routing_number):
        try:
            value = parse(keyed)
        except InputError:
            continue
        assert value.isdigit() and digits.startswith(value)


@given(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
def test_birth_date_round_trips(born: date) -> None:
    assert parse_birth_date(born.strftime("%m%d%Y"), TODAY) == born


@given(st.integers(1, 12), st.integers(26, 99))
def test_expiry_round_trips(month: int, yy: int) -> None:
    keyed = f"{month:02d}{yy:02d}"
    if (2000 + yy, month) < (TODAY.year, TODAY.month):
        assert code_of(lambda: parse_expiry(keyed, TODAY)) == "expired"
    else:
        assert parse_expiry(keyed, TODAY) == (month, 2000 + yy)
