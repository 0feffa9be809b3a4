"""Setting up AutoPay, or changing its day or account: the day, the bank account (keyed in the
same steps as a bank payment, ivr.flows.capture), how the written copy goes, and the NACHA
recurring TEL authorization, heard in full before the accepting key counts.

An agent on a live call starts the same steps (ivr.flows.agent_capture) with the plan and day
chosen; the caller keys the account and accepts.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ivr.flows import agent_capture
from ivr.flows.autopay import CHANGE_ACCOUNT, CHANGE_DAY, chosen
from ivr.flows.base import (
    Ask,
    Chars,
    Day,
    DayOfMonth,
    Digits,
    Go,
    Input,
    Line,
    Money,
    Outcome,
    PhoneNumber,
    Retry,
    Step,
    Term,
    When,
    line,
)
from payments.domain.instruments import AccountType, BankDetails
from payments.domain.values import Channel
from payments.services.autopay_values import AutopayRefused, EnrolRequest, RecurringConsent

DAYS = {"1": 15, "2": 23}


def _day_ask(ctx) -> Ask:
    return Ask((line("autopay.day"),), Input.MENU)


def _day(ctx, keys: str) -> Outcome:
    if keys not in DAYS:
        return Retry((line("error.choice"),))
    ctx.state["ap_day"] = DAYS[keys]
    if ctx.state.get("purpose") == CHANGE_DAY:
        return Go("autopay_copy")
    return Go("bank_account_type")


def text_to(ctx) -> str | None:
    """The number the written copy could be texted to: the caller's own if it is on file,
    else the first on file; none when texts are off or every number opted out."""
    phones = ctx.sms_phones
    if not ctx.settings.sms_from or not phones:
        return None
    caller = ctx.state.get("caller")
    return caller if caller in phones else phones[0]


def _copy_enter(ctx) -> Outcome | None:
    if text_to(ctx) is None:
        ctx.state["ap_sms"] = None
        return Go("autopay_authorization")
    return None


def _copy_ask(ctx) -> Ask:
    ending = Digits((text_to(ctx) or "")[-4:])
    return Ask((line("autopay.copy_choice", ending=ending),), Input.MENU)


def _copy(ctx, keys: str) -> Outcome:
    if keys not in ("1", "2"):
        return Retry((line("error.choice"),))
    ctx.state["ap_sms"] = text_to(ctx) if keys == "1" else None
    return Go("autopay_authorization")


def _authorization_enter(ctx) -> None:
    terms = ctx.services.autopay.terms(ctx.state["sub"], ctx.state["ap_plan"], ctx.state["ap_day"])
    ctx.state["ap_first"] = {
        "day": terms.first_debit.isoformat(),
        "amount": str(terms.first_amount),
    }


def authorization_lines(ctx) -> tuple[Line, ...]:
    """The recurring TEL authorization, as read (and kept word for word)."""
    plan, first = chosen(ctx), ctx.state["ap_first"]
    bank = _account(ctx)
    first_day, amount = Day(date.fromisoformat(first["day"])), Decimal(first["amount"])
    first_line = (
        line("autopay.first_amount", amount=Money(amount), first_date=first_day)
        if amount > 0
        else line("autopay.first_balance", first_date=first_day)
    )
    sms = ctx.state.get("ap_sms")
    copy = line("autopay.copy_sms", ending=Digits(sms[-4:])) if sms else line("autopay.copy_letter")
    return (
        line(
            "autopay.authorization",
            today=Day(ctx.today()),
            name=f"{ctx.account.first_name} {ctx.account.last_name}".strip(),
            payee=ctx.settings.payee_name,
            account_type=Term(f"account.{bank['type']}"),
            last4=Digits(bank["last4"]),
            day_of_month=DayOfMonth(ctx.state["ap_day"]),
            kind=Term(f"kind.{plan.kind}"),
            phone=PhoneNumber(ctx.settings.service_phone),
        ),
        first_line,
        line("autopay.authorization_end", phone=PhoneNumber(ctx.settings.service_phone)),
        copy,
    )


def _account(ctx) -> dict[str, str]:
    """The account the authorization names: the one just keyed, or the enrolment's own."""
    if ctx.state.get("purpose") == CHANGE_DAY:
        view = chosen(ctx).autopay
        return {"type": view.account_type or "checking", "last4": view.last4 or ""}
    return ctx.state["bank"]


def _authorization_ask(ctx) -> Ask:
    # With an agent on the call, 2 and 3 both go back to the agent (who chose the day).
    agent = ctx.state.get("capture")
    choice = "autopay.authorization_choice" + ("_agent" if agent else "")
    return Ask((line(choice),), Input.MENU, heard_first=authorization_lines(ctx))


def _authorization(ctx, keys: str) -> Outcome:
    if keys == "1":
        return _enrol(ctx, keys)
    if keys not in ("2", "3"):
        return Retry((line("error.choice"),))
    ctx.erase_secrets()
    if ctx.state.get("capture"):
        return agent_capture.back_to_agent(ctx)
    if keys == "2":
        return Go("autopay_day")
    return Go("main_menu", (line("autopay.not_done"),))


def _enrol(ctx, keys: str) -> Outcome:
    if ctx.state.get("purpose") != CHANGE_DAY and not ctx.secrets.get("account_number"):
        return Go("bank_account", (line("pay.details_expired"),))
    words = ctx.services.speak(authorization_lines(ctx), ctx.lang, ctx.relay, ctx.today())
    by_agent = bool(ctx.state.get("capture"))  # an agent's capture names the agent
    channel = Channel.AGENT if by_agent else ctx.channel
    agent = ctx.state.get("agent") if by_agent else None
    consent = RecurringConsent(words, ctx.now(), ctx.call_sid, keys, channel, agent)
    request = EnrolRequest(
        subscriber_id=ctx.state["sub"],
        plan_id=ctx.state["ap_plan"],
        day=ctx.state["ap_day"],
        account=_bank_details(ctx),
        consent=consent,
        sms_to=ctx.state.get("ap_sms"),
        language=ctx.lang,
    )
    try:
        enrolled = ctx.services.autopay.enrol(request)
    except AutopayRefused:
        ctx.erase_secrets()
        return _after(ctx, None, (line("autopay.refused"),))
    finally:
        ctx.erase_secrets()
    ctx.services.kick_messages()
    return _after(ctx, enrolled, _enrolled_lines(ctx, enrolled))


def _bank_details(ctx) -> BankDetails | None:
    if ctx.state.get("purpose") == CHANGE_DAY:
        return None
    bank = ctx.state["bank"]
    return BankDetails(AccountType(bank["type"]), bank["routing"], ctx.secrets["account_number"])


def _enrolled_lines(ctx, enrolled) -> tuple[Line, ...]:
    kind = Term(f"kind.{chosen(ctx).kind}")
    done = (
        "autopay.changed"
        if ctx.state.get("purpose") in (CHANGE_DAY, CHANGE_ACCOUNT)
        else "autopay.enrolled"
    )
    when = When(enrolled.first_debit)
    first = (
        line("autopay.enrolled_first", amount=Money(enrolled.first_amount), when=when)
        if enrolled.first_amount > 0
        else line("autopay.enrolled_first_balance", when=when)
    )
    return (line(done, kind=kind, reference=Chars(enrolled.reference)), first)


def _after(ctx, enrolled, said: tuple[Line, ...]) -> Outcome:
    ctx.state.pop("purpose", None)
    ctx.refresh_account()
    if ctx.state.get("capture"):
        return agent_capture.enrolment_finished(ctx, enrolled, said)
    return Go("main_menu", said)


STEPS = (
    Step("autopay_day", ask=_day_ask, handle=_day),
    Step("autopay_copy", enter=_copy_enter, ask=_copy_ask, handle=_copy),
    Step(
        "autopay_authorization",
        enter=_authorization_enter,
        ask=_authorization_ask,
        handle=_authorization,
    ),
)
