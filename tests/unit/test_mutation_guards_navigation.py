"""Where "go back" leads (ivr.flows.back) and how a payment's first choices are offered
(ivr.flows.payment, ivr.flows.member): on plain stand-ins for the call. Written against
surviving mutants of `make mutation`: each test names the behaviour it protects."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from ivr.config import Settings
from ivr.engine.context import CallContext, FlowServices
from ivr.flows import account, member, payment
from ivr.flows.back import _PREVIOUS, back_from
from ivr.flows.base import Ask, Day, Go, Input, Line, Money, Month, Retry, Term, When, line
from ivr.hours import BusinessHours
from payments.domain.values import AccountSummary, BillDue, PlanStatus, PlanSummary

SPECIAL = {"choose_method", "enter_amount", "card_number", "bank_account_type", "autopay_copy"}


def ctx(step: str, payable: int = 1, card: bool = True, bank: bool = True, **state):
    account = SimpleNamespace(payable_plans=tuple(range(payable)))
    settings = Settings(twilio_auth_token="t", card_enabled=card, bank_enabled=bank)
    return SimpleNamespace(step=step, state=state, account=account, settings=settings)


@pytest.mark.parametrize(
    ("step", "previous"), sorted(item for item in _PREVIOUS.items() if item[0] not in SPECIAL)
)
def test_back_from_a_step_is_the_question_asked_before_it(step, previous) -> None:
    assert back_from(ctx(step)) == previous  # the steps in SPECIAL depend on the call: below


def test_back_from_the_amount_menu_is_the_plan_choice_or_the_menu() -> None:
    assert back_from(ctx("choose_amount", payable=2)) == "choose_plan"
    assert back_from(ctx("choose_amount", payable=1)) == "main_menu"


def test_back_from_the_methods_and_another_amount_with_no_amount_menu_asked() -> None:
    assert back_from(ctx("choose_method", payable=2, amount_offer=True)) == "choose_plan"
    assert back_from(ctx("choose_method", payable=1, amount_offer=True)) == "main_menu"
    assert back_from(ctx("enter_amount", amount_offer=True)) == "choose_method"
    assert back_from(ctx("choose_method")) == "choose_amount"
    assert back_from(ctx("enter_amount")) == "choose_amount"


@pytest.mark.parametrize("step", ["card_number", "bank_account_type"])
def test_back_from_the_first_detail_is_the_methods_when_there_are_two(step) -> None:
    assert back_from(ctx(step)) == "choose_method"
    assert back_from(ctx(step, bank=False)) == "choose_amount"
    assert back_from(ctx(step, card=False)) == "choose_amount"


def test_back_in_autopay_follows_what_the_caller_is_doing() -> None:
    assert back_from(ctx("bank_account_type", purpose="autopay")) == "autopay_day"
    assert back_from(ctx("bank_account_type", purpose="change_account")) == "autopay_menu"
    assert back_from(ctx("autopay_copy", purpose="change_day")) == "autopay_day"
    assert back_from(ctx("autopay_copy", purpose="autopay")) == "bank_account"
    assert back_from(ctx("autopay_authorization")) == "autopay_day"


def test_nothing_is_before_the_first_question_or_after_a_payment() -> None:
    for step in ("greeting", "main_menu", "payment_result", "payment_processing"):
        assert back_from(ctx(step)) is None


# --- the first choices of a payment, and the account offered by caller ID ------------------


NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/New_York"))
DEC = BillDue(Decimal("45.00"), date(2026, 11, 23), date(2026, 12, 1), False)
JAN = BillDue(Decimal("45.00"), date(2026, 12, 23), date(2027, 1, 1), False)
WRONG = Retry((line("error.choice"),))


def a_plan(plan_id: str, *bills: BillDue, start: date | None = None, processing: str = "0"):
    balance = sum((bill.amount for bill in bills), Decimal("0.00"))
    status = PlanStatus.PENDING if start else PlanStatus.ACTIVE
    return PlanSummary(
        plan_id, "health" if plan_id.startswith("H") else "dental", "Plan", "Carrier", status,
        balance, DEC.due_date, DEC.coverage_month, Decimal("0.00"), start, None, bills,
        processing=Decimal(processing),
    )  # fmt: skip


class Accounts:
    def __init__(self, *plans: PlanSummary) -> None:
        self.summary = AccountSummary("100000000001", "Ana", "en", plans)

    def account_summary(self, subscriber_id: str) -> AccountSummary:
        return self.summary


def call(*plans: PlanSummary, card: bool = True, bank: bool = True, **state) -> CallContext:
    settings = Settings(twilio_auth_token="t", card_enabled=card, bank_enabled=bank)
    services = FlowServices(Accounts(*plans), settings, BusinessHours(), lambda: NOW, lambda *a: "")
    base = {"turn": 3, "step": "choose_amount", "lang": "en", "channel": "voice",
            "sub": "100000000001", "verified": True, "plan": plans[0].plan_id}  # fmt: skip
    return CallContext("CA" + "7" * 32, {**base, **state}, {}, services)


def test_the_bill_just_heard_is_paid_in_full_and_the_methods_offer_another_amount() -> None:
    ctx = call(a_plan("H-1", DEC))
    assert payment._choose_amount_enter(ctx) == Go("choose_method")
    assert ctx.state["amount"] == "45.00" and ctx.state["amount_offer"] is True
    asked = payment._choose_method_ask(ctx)
    assert asked.lines == (line("pay.method_choice"), line("pay.other_amount"))
    assert payment._choose_method(ctx, "3") == Go("enter_amount")
    assert payment._choose_method(ctx, "7") == WRONG


@pytest.mark.parametrize(
    "case",
    ["two bills", "a charge in flight", "a binder", "one method", "not named"],
)
def test_otherwise_the_amount_menu_is_asked_and_no_other_amount_offered(case) -> None:
    plans = {
        "two bills": (a_plan("H-1", DEC, JAN),),
        "a charge in flight": (a_plan("H-1", DEC, processing="10.00"),),
        "a binder": (a_plan("H-1", DEC, start=date(2026, 12, 1)),),
        "one method": (a_plan("H-1", DEC),),
        "not named": (a_plan("H-1", DEC), a_plan("D-1")),  # the only payable of two plans
    }[case]
    ctx = call(*plans, bank=case != "one method", amount_offer=True)
    assert payment._choose_amount_enter(ctx) is None
    assert "amount_offer" not in ctx.state
    assert payment._choose_method_ask(ctx).lines == (line("pay.method_choice"),)
    assert payment._choose_method(ctx, "3") == WRONG


def test_the_amount_menu_says_the_amount_unless_just_heard_and_the_plan_when_not_alone() -> None:
    one_plan = call(a_plan("H-1", DEC, JAN))
    assert payment._choose_amount_ask(one_plan).lines == (
        line("pay.amount_only", amount=Money(Decimal("90.00"))),
    )
    not_named = call(a_plan("H-1", DEC), a_plan("D-1"))
    assert payment._choose_amount_ask(not_named).lines == (
        line("pay.amount_choice", amount=Money(Decimal("45.00")), kind=Term("kind.health")),
    )
    heard = call(a_plan("H-1", DEC), card=False)
    assert payment._choose_amount_ask(heard) == Ask((line("pay.in_full"),), Input.MENU)
    start = date(2026, 12, 1)
    binder = payment._choose_amount_ask(call(a_plan("H-1", DEC, start=start)))
    assert binder == Ask(
        (line("pay.binder_start", start=Day(start)), line("pay.in_full")), Input.MENU
    )


def offered(**state) -> CallContext:
    ctx = call(a_plan("H-1", DEC), step="use_phone_account", phone_match="100000000001")
    ctx.state.pop("sub")
    ctx.state.update(state)
    return ctx


def test_the_account_offered_by_caller_id_is_taken_or_another_asked_for() -> None:
    taken = offered()
    assert member._phone_account(taken, "1") == Go("birth_date")
    assert taken.state["sub"] == "100000000001"
    other = offered()
    assert member._phone_account(other, "2") == Go("subscriber_id")
    assert "sub" not in other.state
    assert member._phone_account(offered(), "5") == WRONG


def test_a_call_started_at_the_offer_can_switch_language_and_choose_relay() -> None:
    ctx = offered(lang_from_file=True)
    assert member._phone_account(ctx, "9") == Go("use_phone_account")
    assert ctx.state["lang"] == "es"
    assert member._phone_account(ctx, "9") == Go("use_phone_account")
    assert ctx.state["lang"] == "en"
    assert member._phone_account(ctx, "3") == Go("use_phone_account")
    assert ctx.state["channel"] == "relay"
    assert member._phone_account(ctx, "3") == WRONG  # relay already
    ask = member._phone_account_ask(ctx)
    assert ask.lines[-1] == Line("phone_account.language", lang="es")
    assert line("phone_account.relay") not in ask.lines


def test_a_call_that_chose_its_language_is_offered_the_account_alone() -> None:
    ctx = offered()
    assert member._phone_account(ctx, "9") == WRONG and ctx.state["lang"] == "en"
    assert member._phone_account(ctx, "3") == WRONG and ctx.state["channel"] == "voice"
    assert len(member._phone_account_ask(ctx).lines) == 1
    voice = member._phone_account_ask(offered(lang_from_file=True)).lines
    assert voice[1:] == (line("phone_account.relay"), Line("phone_account.language", lang="es"))


def test_the_balance_choice_says_the_summary_with_autopay_then_a_menu_without_it() -> None:
    ctx = call(a_plan("H-1", DEC), step="main_menu")
    kind = Term("kind.health")
    assert account._balance(ctx) == Go(
        "main_menu",
        (
            line(
                "summary.only_due",
                amount=Money(Decimal("45.00")),
                due=When(DEC.due_date),
                kind=None,
                month=Month(DEC.coverage_month),
            ),  # fmt: skip
            line("summary.no_autopay", kind=kind),
        ),
    )
    assert ctx.summary_said
    assert line("main_menu.balance") not in account._main_menu_ask(ctx).lines


def test_the_menu_offers_pay_and_the_balance_when_the_summary_was_not_just_said() -> None:
    ctx = call(a_plan("H-1", DEC), step="main_menu")
    assert account._main_menu_ask(ctx).lines[:2] == (
        line("main_menu.pay"),
        line("main_menu.balance"),
    )


def test_with_one_method_taken_the_method_menu_goes_straight_to_its_details() -> None:
    assert payment._choose_method_enter(call(a_plan("H-1", DEC), card=False)) == Go(
        "bank_account_type"
    )
    assert payment._choose_method_enter(call(a_plan("H-1", DEC), bank=False)) == Go("card_number")
    assert payment._choose_method_enter(call(a_plan("H-1", DEC))) is None
