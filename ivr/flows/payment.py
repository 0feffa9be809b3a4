"""Choosing what to pay, confirming it, and telling the caller the truth about the result."""

from __future__ import annotations

from ivr.flows.autopay_enrol import text_to
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
    Outcome,
    Retry,
    Step,
    Term,
    line,
    only_choice,
    value,
)
from ivr.flows.money import left_owing, methods_term
from ivr.flows.submit import (
    PROCESSING,
    answer_readback,
    chosen_amount,
    chosen_plan,
    draw_payment_key,
    poll_payment,
    submit,
)
from ivr.speech.keyed import InputError, parse_amount
from payments.domain.plans import left_after


def _choose_plan_enter(ctx) -> Outcome | None:
    payable = ctx.account.payable_plans
    return only_choice(ctx, payable, "plan", "choose_amount", line("pay.nothing_due"))


def _choose_plan_ask(ctx) -> Ask:
    lines = tuple(
        line("pay.plan_option", kind=Term(f"kind.{p.kind}"), amount=Money(p.balance), choice=str(n))
        for n, p in enumerate(ctx.account.payable_plans, start=1)
    )
    return Ask(lines, Input.MENU)


def _choose_plan(ctx, keys: str) -> Outcome:
    payable = ctx.account.payable_plans
    if not keys.isdigit() or not 1 <= int(keys) <= len(payable):
        return Retry((line("error.choice"),))
    ctx.state["plan"] = payable[int(keys) - 1].plan_id
    return Go("choose_amount")


def _choose_amount_enter(ctx) -> Outcome | None:
    """With the amount and plan just heard and two methods to choose from, no amount menu: the
    full amount is taken, and the method menu offers another (`amount_offer`)."""
    plan = chosen_plan(ctx)
    if _heard(ctx, plan) and ctx.settings.both_methods and not plan.coverage_start:
        ctx.state["amount"], ctx.state["amount_offer"] = str(plan.balance), True
        return Go("choose_method")
    ctx.state.pop("amount_offer", None)
    return None


def _choose_amount_ask(ctx) -> Ask:
    plan = chosen_plan(ctx)
    start = plan.coverage_start
    lines: tuple[Line, ...] = (line("pay.binder_start", start=Day(start)),) if start else ()
    if _heard(ctx, plan):
        choice = line("pay.in_full")
    elif len(ctx.account.plans) > 1:
        kind = Term(f"kind.{plan.kind}")
        choice = line("pay.amount_choice", amount=Money(plan.balance), kind=kind)
    else:
        choice = line("pay.amount_only", amount=Money(plan.balance))
    return Ask((*lines, choice), Input.MENU)


def _heard(ctx, plan) -> bool:
    """Whether the caller has just heard the amount in full and the plan it is for: the plan's
    one bill, in the summary of the member's only plan or in the plan choice."""
    named = len(ctx.account.plans) == 1 or len(ctx.account.payable_plans) > 1
    return len(plan.bills) == 1 and not plan.processing and named  # then the bill is the balance


def _choose_amount(ctx, keys: str) -> Outcome:
    if keys == "1":
        ctx.state["amount"] = str(chosen_plan(ctx).balance)
        return Go("choose_method")
    if keys == "2":
        return Go("enter_amount")
    return Retry((line("error.choice"),))


def _enter_amount(ctx, keys: str) -> Outcome:
    try:
        amount = parse_amount(keys)
    except InputError as error:
        return Retry((line(f"error.amount.{error.code}"),))
    balance = chosen_plan(ctx).balance
    if amount > balance:
        return Retry((line("error.amount.over", balance=Money(balance)),))
    ctx.state["amount"] = str(amount)
    return Go("choose_method")


def _choose_method_enter(ctx) -> Outcome | None:
    if ctx.settings.both_methods:
        return None
    return Go("card_number" if ctx.settings.card_enabled else "bank_account_type")


def _choose_method_ask(ctx) -> Ask:
    lines: tuple[Line, ...] = (line("pay.method_choice"),)
    if ctx.state.get("amount_offer"):
        lines += (line("pay.other_amount"),)
    return Ask(lines, Input.MENU)


def _choose_method(ctx, keys: str) -> Outcome:
    if keys == "3" and ctx.state.get("amount_offer"):
        return Go("enter_amount")
    if keys not in {"1", "2"}:
        return Retry((line("error.choice"),))
    ctx.erase_secrets()
    return Go("card_number" if keys == "1" else "bank_account_type")


def _partial_warning(ctx) -> tuple[Line, ...]:
    """What a partial payment leaves owing, said as it is (past due first)."""
    plan = chosen_plan(ctx)
    return left_owing(plan, left_after(plan.bills, chosen_amount(ctx)), "pay.left")


def _confirm_card_ask(ctx) -> Ask:
    card, plan = ctx.state["card"], chosen_plan(ctx)
    summary = line(
        "confirm.card" if len(ctx.account.plans) > 1 else "confirm.card_only",
        amount=Money(chosen_amount(ctx)),
        kind=Term(f"kind.{plan.kind}"),
        brand=Term(f"brand.{card['brand']}"),
        last4=Digits(card["last4"]),
    )
    # Heard in full before the key counts: a key pressed early, or one typed past a field
    # that filled up, must not confirm a payment the caller has not heard.
    choice = line("confirm.choice", method=methods_term(ctx))
    return Ask((choice,), Input.MENU, heard_first=(summary, *_partial_warning(ctx)))


def _confirm_enter(ctx) -> None:
    draw_payment_key(ctx)


def _confirm(ctx, keys: str) -> Outcome:
    return answer_readback(ctx, keys, lambda: submit(ctx))


def _result_ask(ctx) -> Ask:
    confirmation = Chars(ctx.state["result"]["confirmation"])
    lines: tuple[Line, ...] = (line("result.repeat_choice", confirmation=confirmation),)
    if _receipt_to(ctx):
        lines += (line("result.receipt_choice"),)
    return Ask(lines, Input.MENU)


def _receipt_to(ctx) -> str | None:
    """Where a text receipt could go, unless one was asked for already."""
    return None if ctx.state["result"].get("receipt") else text_to(ctx)


def _receipt(ctx) -> Outcome:
    to = _receipt_to(ctx)
    confirmation = ctx.state["result"]["confirmation"]
    if to and ctx.services.receipts.request(
        ctx.state["sub"], confirmation, to, ctx.lang, ctx.call_sid
    ):
        ctx.state["result"]["receipt"] = True
        ctx.services.kick_messages()
        return Go("payment_result", (line("result.receipt_sent", ending=Digits(to[-4:])),))
    return Go("payment_result", (line("result.receipt_not_sent"),))


def _result(ctx, keys: str) -> Outcome:
    if keys == "4" and _receipt_to(ctx):
        return _receipt(ctx)
    if keys == "1":
        number = Chars(ctx.state["result"]["confirmation"])
        return Go("payment_result", (line("result.confirmation", confirmation=number),))
    if keys == "2":
        ctx.refresh_account()
        return Go("main_menu")
    if keys == "3":  # not offered (the caller hangs up), but a caller's key to end is kept
        return Hangup((line("goodbye.thanks"),))
    return Retry((line("error.choice"),))


def _retry_ask(ctx) -> Ask:
    return Ask((line("pay.retry_choice", method=methods_term(ctx)),), Input.MENU)


def _retry_payment(ctx, keys: str) -> Outcome:
    if keys == "1":
        return Go("choose_method")
    if keys == "2":
        return Go("main_menu")
    return Retry((line("error.choice"),))


STEPS = (
    Step("choose_plan", enter=_choose_plan_enter, ask=_choose_plan_ask, handle=_choose_plan),
    Step(
        "choose_amount", enter=_choose_amount_enter, ask=_choose_amount_ask, handle=_choose_amount
    ),
    Step("enter_amount", ask=value("pay.enter_amount", (1, 12), costly=True), handle=_enter_amount),
    Step(
        "choose_method",
        enter=_choose_method_enter,
        ask=_choose_method_ask,
        handle=_choose_method,
    ),
    Step("confirm_payment", enter=_confirm_enter, ask=_confirm_card_ask, handle=_confirm),
    Step(PROCESSING, poll=poll_payment),
    Step("payment_result", ask=_result_ask, handle=_result),
    Step("retry_payment", ask=_retry_ask, handle=_retry_payment),
)
