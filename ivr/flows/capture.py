"""The card and bank capture sub-flow.

Self-contained so an agent-started capture can enter it directly: it needs only `sub`, `plan`
and `amount` in the call state, and it ends at the confirmation (card) or the TEL
authorization (bank). Full numbers go to the sealed secrets, never to the state.
"""

from __future__ import annotations

from ivr.flows.base import (
    Ask,
    Day,
    Digits,
    Go,
    Input,
    Money,
    Outcome,
    PhoneNumber,
    Retry,
    Step,
    Term,
    line,
    menu,
    value,
)
from ivr.flows.submit import (
    answer_readback,
    chosen_amount,
    chosen_plan,
    draw_payment_key,
    submit,
)
from ivr.speech.keyed import (
    InputError,
    parse_account_number,
    parse_card_number,
    parse_expiry,
    parse_routing_number,
    parse_security_code,
    parse_zip,
)
from payments.domain.instruments import card_brand
from payments.domain.values import TelAuthorization


def _error(field: str, error: InputError) -> Retry:
    return Retry((line(f"error.{field}.{error.code}"),))


def _card_number(ctx, keys: str) -> Outcome:
    try:
        number = parse_card_number(keys)
    except InputError as error:
        return _error("card_number", error)
    brand = card_brand(number)
    ctx.secrets["card_number"] = number
    ctx.state["method"] = "card"
    ctx.state["card"] = {"brand": brand.value if brand else "", "last4": number[-4:]}
    return Go("card_expiry")


def _card_expiry(ctx, keys: str) -> Outcome:
    try:
        month, year = parse_expiry(keys, ctx.today())
    except InputError as error:
        return _error("card_expiry", error)
    ctx.state["card"].update(exp_month=month, exp_year=year)
    return Go("card_security_code")


def _security_code_ask(ctx) -> Ask:
    key = (
        "card.security_code_amex" if ctx.state["card"]["brand"] == "amex" else "card.security_code"
    )
    length = 4 if ctx.state["card"]["brand"] == "amex" else 3
    return Ask((line(key),), Input.VALUE, sensitive=True, costly=True, length=(length, length))


def _card_security_code(ctx, keys: str) -> Outcome:
    brand = card_brand(ctx.secrets.get("card_number", ""))
    if brand is None:
        return Go("card_number", (line("pay.details_expired"),))
    try:
        ctx.secrets["security_code"] = parse_security_code(keys, brand)
    except InputError as error:
        return _error("security_code", error)
    return Go("card_zip")


def _card_zip(ctx, keys: str) -> Outcome:
    try:
        ctx.state["card"]["zip"] = parse_zip(keys)
    except InputError as error:
        return _error("zip", error)
    return Go("confirm_payment")


def _account_type(ctx, keys: str) -> Outcome:
    if keys not in {"1", "2"}:
        return Retry((line("error.choice"),))
    ctx.state["method"] = "bank"
    ctx.state["bank"] = {"type": "checking" if keys == "1" else "savings"}
    return Go("bank_routing")


def _routing(ctx, keys: str) -> Outcome:
    try:
        ctx.state["bank"]["routing"] = parse_routing_number(keys)
    except InputError as error:
        return _error("routing", error)
    return Go("bank_account")


def _account(ctx, keys: str) -> Outcome:
    try:
        ctx.secrets["account_first"] = parse_account_number(keys)
    except InputError as error:
        return _error("account", error)
    return Go("bank_account_again")


def _account_again(ctx, keys: str) -> Outcome:
    first = ctx.secrets.pop("account_first", None)
    if first is None or keys != first:
        return Go("bank_account", (line("error.account.mismatch"),))
    ctx.secrets["account_number"] = first
    ctx.state["bank"]["last4"] = first[-4:]
    if ctx.state.get("purpose") in ("autopay", "change_account"):
        return Go("autopay_copy")  # an account for AutoPay (ivr.flows.autopay_enrol)
    return Go("bank_authorization")


def authorization_lines(ctx) -> tuple:
    bank, plan, today = ctx.state["bank"], chosen_plan(ctx), ctx.today()
    return (
        line(
            "tel.authorization",
            today=Day(today),
            name=f"{ctx.account.first_name} {ctx.account.last_name}".strip(),
            payee=ctx.settings.payee_name,
            amount=Money(chosen_amount(ctx)),
            kind=Term(f"kind.{plan.kind}"),
            account_type=Term(f"account.{bank['type']}"),
            last4=Digits(bank["last4"]),
            debit_date=Day(today),
            phone=PhoneNumber(ctx.settings.service_phone),
        ),
    )


def _authorization_enter(ctx) -> None:
    draw_payment_key(ctx)


def _authorization_ask(ctx) -> Ask:
    """The authorization is heard to the end before the accepting key counts (no barge-in)."""
    return Ask((line("tel.choice"),), Input.MENU, heard_first=authorization_lines(ctx))


def _authorization(ctx, keys: str) -> Outcome:
    def authorize() -> Outcome:
        words = ctx.services.speak(authorization_lines(ctx), ctx.lang, ctx.relay, ctx.today())
        return submit(ctx, TelAuthorization(words, ctx.now(), ctx.call_sid, accepting_key=keys))

    return answer_readback(ctx, keys, authorize)


STEPS = (
    Step(
        "card_number",
        ask=value("card.number", (13, 19), sensitive=True, costly=True),
        handle=_card_number,
    ),
    Step("card_expiry", ask=value("card.expiry", (4, 4), costly=True), handle=_card_expiry),
    Step("card_security_code", ask=_security_code_ask, handle=_card_security_code),
    Step("card_zip", ask=value("card.zip", (5, 5), costly=True), handle=_card_zip),
    Step(
        "bank_account_type",
        ask=menu("bank.type"),
        handle=_account_type,
    ),
    Step("bank_routing", ask=value("bank.routing", (9, 9), costly=True), handle=_routing),
    Step(
        "bank_account",
        ask=value("bank.account", (4, 17), sensitive=True, costly=True),
        handle=_account,
    ),
    Step(
        "bank_account_again",
        ask=value("bank.account_again", (4, 17), sensitive=True, costly=True),
        handle=_account_again,
    ),
    Step(
        "bank_authorization",
        enter=_authorization_enter,
        ask=_authorization_ask,
        handle=_authorization,
    ),
)
