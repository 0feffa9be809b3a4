"""AutoPay in the menu: which plan, what its AutoPay is doing, and what can be done with it
(set up, change the day or the account, cancel). Enrolling and changing are in
ivr.flows.autopay_enrol; the bank account is keyed in the same steps as a bank payment."""

from __future__ import annotations

from ivr.flows.base import (
    Ask,
    DayOfMonth,
    Digits,
    Go,
    Input,
    Line,
    Money,
    Outcome,
    Retry,
    Step,
    Term,
    When,
    line,
    only_choice,
)
from payments.domain.values import AutopayView, PlanStatus, PlanSummary
from payments.services.autopay_values import AutopayRefused

CHANGE_DAY, CHANGE_ACCOUNT, ENROL = "change_day", "change_account", "autopay"


def autopay_plans(ctx) -> tuple[PlanSummary, ...]:
    """Plans whose AutoPay can be set up (not ended, bank accounts taken) or managed."""
    return tuple(plan for plan in ctx.account.plans if _manageable(ctx, plan))


def _manageable(ctx, plan: PlanSummary) -> bool:
    if _has(plan.autopay):
        return True
    return plan.status is not PlanStatus.TERMINATED and ctx.settings.bank_enabled


def offered(ctx) -> bool:
    """The menu offers AutoPay when there is a plan it can be set up or managed for."""
    return bool(autopay_plans(ctx))


def _has(view: AutopayView) -> bool:
    return view.status in ("active", "paused")


def chosen(ctx) -> PlanSummary:
    return ctx.account.plan(ctx.state["ap_plan"])


def state_lines(plan: PlanSummary) -> tuple[Line, ...]:
    """What a plan's AutoPay is doing, in a sentence (the summary and the AutoPay menu)."""
    view, kind = plan.autopay, Term(f"kind.{plan.kind}")
    account = {
        "account_type": Term(f"account.{view.account_type}"),
        "last4": Digits(view.last4 or ""),
    }
    if view.status == "active" and view.next_amount and view.next_debit_date:
        when = When(view.next_debit_date)
        return (
            line("autopay.active", kind=kind, amount=Money(view.next_amount), when=when, **account),
        )
    if view.status == "active":
        return (
            line("autopay.active_nothing", kind=kind, day=DayOfMonth(view.day or 0), **account),
        )
    if view.status == "paused":
        return (line(f"autopay.paused_{view.reason}", kind=kind, **account),)
    return ()


def _enter(ctx) -> Outcome | None:
    return only_choice(ctx, autopay_plans(ctx), "ap_plan", "autopay_menu", line("autopay.no_plans"))


def _plan_ask(ctx) -> Ask:
    lines = tuple(
        line("autopay.plan_option", kind=Term(f"kind.{plan.kind}"), choice=str(number))
        for number, plan in enumerate(autopay_plans(ctx), start=1)
    )
    return Ask(lines, Input.MENU)


def _plan(ctx, keys: str) -> Outcome:
    plans = autopay_plans(ctx)
    if not keys.isdigit() or not 1 <= int(keys) <= len(plans):
        return Retry((line("error.choice"),))
    ctx.state["ap_plan"] = plans[int(keys) - 1].plan_id
    return Go("autopay_menu")


def _menu_ask(ctx) -> Ask:
    plan = chosen(ctx)
    view, kind = plan.autopay, Term(f"kind.{plan.kind}")
    if not _has(view):
        about = (line("autopay.cancelled", kind=kind),) if view.status == "cancelled" else ()
        return Ask(
            (*about, line("autopay.about", kind=kind), line("autopay.none_choice")), Input.MENU
        )
    return Ask((*state_lines(plan), line(f"autopay.{_choices(ctx, view)}")), Input.MENU)


def _choices(ctx, view: AutopayView) -> str:
    """Only the choices there are: no new account or day when bank accounts are off, none
    while the plan has ended."""
    if not ctx.settings.bank_enabled or view.reason == "coverage_ended":
        return "cancel_choice"
    return "active_choice" if view.status == "active" else "paused_choice"


_TARGETS: dict[str, dict[str, tuple[str, str | None]]] = {
    "none_choice": {"1": ("autopay_day", ENROL), "2": ("main_menu", None)},
    "active_choice": {
        "1": ("autopay_day", CHANGE_DAY),
        "2": ("bank_account_type", CHANGE_ACCOUNT),
        "3": ("autopay_cancel", None),
        "4": ("main_menu", None),
    },
    "paused_choice": {
        "2": ("bank_account_type", CHANGE_ACCOUNT),
        "3": ("autopay_cancel", None),
        "4": ("main_menu", None),
    },
    "cancel_choice": {"3": ("autopay_cancel", None), "4": ("main_menu", None)},
}


def _menu(ctx, keys: str) -> Outcome:
    view = chosen(ctx).autopay
    targets = _TARGETS["none_choice" if not _has(view) else _choices(ctx, view)]
    if keys not in targets:
        return Retry((line("error.choice"),))
    step, purpose = targets[keys]
    begin(ctx, purpose)
    return Go(step)


def begin(ctx, purpose: str | None) -> None:
    """What the steps after the menu are for: enrolling, a new day or a new account."""
    ctx.erase_secrets()
    for stale in ("bank", "method", "ap_sms", "ap_first"):
        ctx.state.pop(stale, None)
    if purpose is None:
        ctx.state.pop("purpose", None)
        return
    ctx.state["purpose"] = purpose
    if purpose == CHANGE_ACCOUNT:
        ctx.state["ap_day"] = chosen(ctx).autopay.day


def _cancel_ask(ctx) -> Ask:
    return Ask((line("autopay.cancel_confirm", kind=Term(f"kind.{chosen(ctx).kind}")),), Input.MENU)


def _cancel(ctx, keys: str) -> Outcome:
    if keys == "2":
        return Go("main_menu", (line("autopay.kept"),))
    if keys != "1":
        return Retry((line("error.choice"),))
    actor = ctx.state.get("agent") or "caller"
    try:
        done = ctx.services.autopay.cancel(
            ctx.state["sub"], ctx.state["ap_plan"], actor, ctx.call_sid
        )
    except AutopayRefused:
        return Go("main_menu", (line("autopay.not_set"),))
    ctx.refresh_account()
    said = [
        line("autopay.cancelled_on_the_way", amount=Money(amount), when=When(day))
        for day, amount in done.on_the_way
    ]
    said += [
        line("autopay.cancelled_stopped", amount=Money(amount), when=When(day))
        for day, amount in done.stopped
    ]
    return Go("main_menu", (line("autopay.cancelled_now"), *said))


STEPS = (
    Step("autopay", enter=_enter, ask=_plan_ask, handle=_plan),
    Step("autopay_menu", ask=_menu_ask, handle=_menu),
    Step("autopay_cancel", ask=_cancel_ask, handle=_cancel),
)
