"""Greeting, identification, verification and the account menu."""

from __future__ import annotations

from datetime import datetime

from ivr.flows.account import summary_then_menu
from ivr.flows.base import (
    Ask,
    Digits,
    Go,
    Hangup,
    Input,
    Line,
    Moment,
    Opening,
    Outcome,
    Retry,
    Step,
    Transfer,
    line,
    value,
)
from ivr.speech.keyed import InputError, parse_birth_date, parse_subscriber_id
from payments.domain.limits import FAILURES_PER_CALL
from payments.domain.values import Channel, VerifyResult


def _greeting_ask(ctx) -> Ask:
    """The language choice (the welcome is said once, before it): the Spanish choice in the
    Spanish voice; relay callers are in relay mode already."""
    lines = (line("greeting.english"), Line("greeting.spanish", lang="es"))
    return Ask(lines if ctx.relay else (*lines, line("greeting.relay")), Input.MENU)


def _greeting(ctx, keys: str) -> Outcome:
    if keys not in {"1", "2", "3"} or (keys == "3" and ctx.relay):
        return Retry((line("error.choice"),))
    ctx.state["lang"] = "es" if keys == "2" else "en"
    if keys == "3":
        ctx.state["channel"] = Channel.RELAY.value
    return Go("identify")


def _identify(ctx) -> Outcome:
    match = ctx.state.get("phone_match")
    return Go("use_phone_account" if match else "subscriber_id")


def _phone_account_ask(ctx) -> Ask:
    """The account the caller's phone is on file for. A call that starts here (in the language
    on file, with no language menu) is also offered the other language, in its own voice, and
    relay."""
    ending = Digits(ctx.state["phone_match"][-4:])
    lines: tuple[Line, ...] = (line("phone_account.offer", ending=ending),)
    if ctx.state.get("lang_from_file"):
        if not ctx.relay:
            lines += (line("phone_account.relay"),)
        lines += (Line("phone_account.language", lang=_OTHER_LANGUAGE[ctx.lang]),)
    return Ask(lines, Input.MENU)


_OTHER_LANGUAGE = {"en": "es", "es": "en"}


def _phone_account(ctx, keys: str) -> Outcome:
    if keys == "1":
        ctx.state["sub"] = ctx.state["phone_match"]
        return Go("birth_date")
    if keys == "2":
        return Go("subscriber_id")
    if ctx.state.get("lang_from_file") and keys == "9":
        ctx.state["lang"] = _OTHER_LANGUAGE[ctx.lang]
        return Go("use_phone_account")
    if ctx.state.get("lang_from_file") and keys == "3" and not ctx.relay:
        ctx.state["channel"] = Channel.RELAY.value
        return Go("use_phone_account")
    return Retry((line("error.choice"),))


def _subscriber_id(ctx, keys: str) -> Outcome:
    """A well-formed ID is not judged alone: the date of birth is asked for either way."""
    try:
        subscriber_id = parse_subscriber_id(keys)
    except InputError as error:
        return Retry((line(f"error.subscriber_id.{error.code}"),))
    if ctx.payments.caller_blocked(ctx.caller):
        return Go("agent_only")
    ctx.state["sub"] = subscriber_id
    return Go("birth_date")


def _agent_only(ctx) -> Outcome:
    """Too many failed checks: only a representative can help from here."""
    said = (line("limit.agent_only"),)
    if ctx.services.hours.is_open(ctx.now()):
        return Transfer(said)
    closed = line("agent.closed", opening=Opening(ctx.now()))
    return Hangup(said + (closed, line("goodbye.bye")))


def _refused(ctx, key: str, until: datetime) -> Outcome:
    """Not checked now (this caller is refused for the ID, or the ID waits): when to try again,
    and a representative meanwhile."""
    ctx.state.pop("sub", None)
    ctx.state["resume"] = "subscriber_id"
    return Go("offer_agent", (line(key, until=Moment(until)),))


def _birth_date(ctx, keys: str) -> Outcome:
    try:
        born = parse_birth_date(keys, ctx.today())
    except InputError as error:
        return Retry((line(f"error.birth_date.{error.code}"),))
    verification = ctx.payments.verify(ctx.state["sub"], born, ctx.caller, with_account=True)
    result = verification.result
    if result is VerifyResult.LOCKED:
        return _refused(ctx, "verify.locked", verification.locked_until)
    if result is VerifyResult.SLOWED:
        return _refused(ctx, "verify.slowed", verification.locked_until)
    if result is VerifyResult.BLOCKED:
        return Go("agent_only")
    if result is VerifyResult.MISMATCH:
        return _mismatch(ctx)
    ctx.state["verified"] = True
    ctx.remember_account(verification.account)
    ctx.state["home"] = "main_menu"
    return summary_then_menu(ctx, (line("verify.thanks", name=ctx.account.first_name),))


def _mismatch(ctx) -> Outcome:
    """The same words whether the ID exists or not; the ID is asked again (it may be the part
    that was wrong), unless the caller chose the account their phone is on file for."""
    said = (line("verify.mismatch"),)
    failed = ctx.state["failed_checks"] = ctx.state.get("failed_checks", 0) + 1
    if failed >= FAILURES_PER_CALL:
        return Go("agent_only", said)
    if ctx.state["sub"] == ctx.state.get("phone_match"):
        return Retry(said)
    ctx.state.pop("sub", None)
    return Go("subscriber_id", said)


def _offer_agent_ask(ctx) -> Ask:
    """A representative, or another try; when they are closed, when to call and the try.

    Lenient: a caller may key a date of birth here, and its leading 0 must not transfer them.
    """
    if ctx.services.hours.is_open(ctx.now()):
        return Ask((line("offer_agent.ask"),), Input.MENU, lenient=True)
    closed = line("agent.closed", opening=Opening(ctx.now()))
    return Ask((closed, line("offer_agent.try_again")), Input.MENU, lenient=True)


def _offer_agent(ctx, keys: str) -> Outcome:
    if keys == "1":
        return Go(ctx.state.get("resume") or ctx.state.get("home", "subscriber_id"))
    return Retry((line("error.choice"),))


STEPS = (
    Step("greeting", ask=_greeting_ask, handle=_greeting),
    Step("identify", enter=_identify),
    Step("use_phone_account", ask=_phone_account_ask, handle=_phone_account),
    Step("subscriber_id", ask=value("subscriber_id.ask", (12, 12)), handle=_subscriber_id),
    Step("birth_date", ask=value("birth_date.ask", (8, 8), sensitive=True), handle=_birth_date),
    Step("offer_agent", ask=_offer_agent_ask, handle=_offer_agent),
    Step("agent_only", enter=_agent_only),
)
