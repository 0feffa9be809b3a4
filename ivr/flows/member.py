"""Greeting, identification, verification and the account menu."""

from __future__ import annotations

from datetime import datetime

from ivr.flows.base import (
    Ask,
    Chars,
    Day,
    Digits,
    Go,
    Hangup,
    Input,
    Line,
    Money,
    Month,
    Opening,
    Outcome,
    Retry,
    Step,
    Term,
    Transfer,
    line,
    menu,
    value,
)
from ivr.keyed import InputError, parse_birth_date, parse_subscriber_id
from payments.domain.limits import UNKNOWN_IDS_PER_CALL
from payments.domain.values import Channel, PlanStatus, PlanSummary, VerifyResult


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
    ending = Digits(ctx.state["phone_match"][-4:])
    return Ask((line("phone_account.offer", ending=ending),), Input.MENU)


def _phone_account(ctx, keys: str) -> Outcome:
    if keys == "1":
        match = ctx.state["phone_match"]
        return _identified(ctx, match, ctx.payments.identify(match, None).locked_until)
    if keys == "2":
        return Go("subscriber_id")
    return Retry((line("error.choice"),))


def _subscriber_id(ctx, keys: str) -> Outcome:
    try:
        subscriber_id = parse_subscriber_id(keys)
    except InputError as error:
        return Retry((line(f"error.subscriber_id.{error.code}"),))
    identity = ctx.payments.identify(subscriber_id, ctx.state.get("caller"))
    if identity.caller_blocked:
        return Go("agent_only")
    if not identity.exists:
        unknown = ctx.state["unknown_ids"] = ctx.state.get("unknown_ids", 0) + 1
        if unknown >= UNKNOWN_IDS_PER_CALL:
            return Go("agent_only", (line("error.subscriber_id.unknown"),))
        return Retry((line("error.subscriber_id.unknown"),))
    return _identified(ctx, subscriber_id, identity.locked_until)


def _agent_only(ctx) -> Outcome:
    """Too many unknown Subscriber IDs: only a representative can help from here."""
    said = (line("limit.agent_only"),)
    if ctx.services.hours.is_open(ctx.now()):
        return Transfer(said)
    closed = line("agent.closed", opening=Opening(ctx.now()))
    return Hangup(said + (closed, line("goodbye.bye")))


def _identified(ctx, subscriber_id: str, locked_until: datetime | None) -> Outcome:
    if locked_until is not None:
        return _locked(ctx, locked_until)
    ctx.state["sub"] = subscriber_id
    return Go("birth_date")


def _locked(ctx, until: datetime) -> Outcome:
    ctx.state.pop("sub", None)
    ctx.state["resume"] = "subscriber_id"
    day = ctx.services.hours.local(until).date()
    return Go("offer_agent", (line("verify.locked", until=Day(day)),))


def _birth_date(ctx, keys: str) -> Outcome:
    try:
        born = parse_birth_date(keys, ctx.today())
    except InputError as error:
        return Retry((line(f"error.birth_date.{error.code}"),))
    verification = ctx.payments.verify(ctx.state["sub"], born, with_account=True)
    if verification.result is VerifyResult.LOCKED:
        return _locked(ctx, verification.locked_until)
    if verification.result is VerifyResult.MISMATCH:
        return Retry((line("error.birth_date.mismatch"),))
    ctx.state["verified"] = True
    ctx.remember_account(verification.account)
    ctx.state["home"] = "main_menu"
    return Go(
        "main_menu", (line("verify.thanks", name=ctx.account.first_name),) + summary_lines(ctx)
    )


def plan_lines(plan: PlanSummary, autopay: bool = False) -> tuple[Line, ...]:
    kind = Term(f"kind.{plan.kind}")
    if plan.status is PlanStatus.TERMINATED:
        return (line("summary.terminated", kind=kind),)
    if plan.status is PlanStatus.PENDING and plan.balance > 0:
        lines = (
            line(
                "summary.pending",
                kind=kind,
                amount=Money(plan.balance),
                due=Day(plan.due_date),
                start=Day(plan.coverage_start),
            ),
        )
    elif plan.balance > 0:
        lines = (
            line(
                "summary.due",
                kind=kind,
                amount=Money(plan.balance),
                due=Day(plan.due_date),
                month=Month(plan.coverage_month),
            ),
        )
        if plan.past_due > 0:
            lines += (line("summary.past_due", amount=Money(plan.past_due)),)
    elif plan.paid_through:
        lines = (line("summary.paid_through", kind=kind, through=Day(plan.paid_through)),)
    else:
        lines = (line("summary.nothing_due", kind=kind),)
    return lines + ((line("summary.no_autopay", kind=kind),) if autopay else ())


def summary_lines(ctx, autopay: bool = False) -> tuple[Line, ...]:
    lines: tuple[Line, ...] = ()
    for plan in ctx.account.plans:
        lines += plan_lines(plan, autopay)
    return lines


def _main_menu(ctx, keys: str) -> Outcome:
    targets = {"1": "choose_plan", "2": "balance", "3": "recent_payments"}
    if keys not in targets:
        return Retry((line("error.choice"),))
    return Go(targets[keys])


def _balance(ctx) -> Outcome:
    ctx.refresh_account()
    return Go("main_menu", summary_lines(ctx, autopay=True))


def _recent_payments(ctx) -> Outcome:
    payments = ctx.payments.recent_payments(ctx.state["sub"], limit=3)
    if not payments:
        return Go("main_menu", (line("payments.none"),))
    lines = tuple(
        line(
            f"payments.item.{p.status}",
            amount=Money(p.amount),
            day=Day(p.created_at.date()),
            kind=Term(f"kind.{p.kind}"),
            method=Term(f"method.{p.method}"),
            last4=Digits(p.last4),
            confirmation=Chars(p.confirmation),
        )
        for p in payments
    )
    return Go("main_menu", lines)


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
    Step("main_menu", ask=menu("main_menu.ask"), handle=_main_menu),
    Step("balance", enter=_balance),
    Step("recent_payments", enter=_recent_payments),
    Step("offer_agent", ask=menu("offer_agent.ask", lenient=True), handle=_offer_agent),
    Step("agent_only", enter=_agent_only),
)
