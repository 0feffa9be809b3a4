"""What a call says about money and how it hands a payment over (ivr.flows.submit and
ivr.flows.money), on a scripted payments core. Written against surviving mutants of
`make mutation`: each test names the behaviour it protects."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from ivr.config import Settings
from ivr.engine.context import CallContext, FlowServices
from ivr.flows.base import Chars, Day, Go, Hold, Money, Month, MonthDay, Retry, Term, When, line
from ivr.flows.money import (
    fault_lines,
    late_news,
    left_owing,
    methods_term,
    payment_news,
    recap,
    result_lines,
)
from ivr.flows.submit import MAX_HOLDS, PROCESSING, answer_readback, poll_payment, submit, told
from ivr.hours import BusinessHours
from payments.domain.errors import AmountNotAllowed, InvalidInstrument, TooManyDeclines
from payments.domain.limits import DECLINES_PER_CALL
from payments.domain.values import (
    AccountSummary,
    BillDue,
    CallPayment,
    DeclineReason,
    PaymentOutcome,
    PaymentRequest,
    PaymentStatus,
    PlanStatus,
    PlanSummary,
)

D = Decimal
NOW = datetime(2026, 11, 18, 10, 0, tzinfo=ZoneInfo("America/New_York"))
CALL = "CA" + "7" * 32
DEC, JAN = date(2026, 12, 1), date(2027, 1, 1)
DEC_BILL = BillDue(D("45.00"), date(2026, 11, 23), DEC, False)
JAN_BILL = BillDue(D("45.00"), date(2026, 12, 23), JAN, False)


def plan(status: PlanStatus = PlanStatus.ACTIVE, bills: tuple[BillDue, ...] = ()) -> PlanSummary:
    balance = sum((bill.amount for bill in bills), D("0.00"))
    past_due = sum((bill.amount for bill in bills if bill.past_due), D("0.00"))
    first = bills[0] if bills else None
    return PlanSummary(
        "H-1",
        "health",
        "Plan",
        "Carrier",
        status,
        balance,
        first.due_date if first else None,
        first.coverage_month if first else None,
        past_due,
        None,
        None,
        bills,
    )


def outcome(
    status: PaymentStatus = PaymentStatus.APPROVED,
    *,
    remaining: str = "0.00",
    coverage_start: date | None = None,
    paid_through: date | None = None,
    reason: DeclineReason | None = None,
    after: PlanSummary | None = None,
    amount: str = "45.00",
) -> PaymentOutcome:
    return PaymentOutcome(
        status=status,
        confirmation="HK2R7WXY" if status.charged else None,
        amount=D(amount),
        plan_kind="health",
        decline_reason=reason,
        plan_status=PlanStatus.ACTIVE,
        remaining_balance=D(remaining),
        coverage_start=coverage_start,
        paid_through=paid_through,
        plan=after,
    )


def paid(key: str, status: PaymentStatus, amount: str, kind: str = "health") -> CallPayment:
    return CallPayment(key, "HK2R7WXY", kind, D(amount), status)


def about(amount: str, kind: str = "health") -> dict[str, object]:
    return {"amount": Money(D(amount)), "kind": Term(f"kind.{kind}")}


class ScriptedPayments:
    """The payments core as the flows use it: requests are kept; answers are scripted."""

    def __init__(self, refuse: Exception | None = None) -> None:
        self.requests: list[PaymentRequest] = []
        self.refuse = refuse
        self.answers: dict[str, PaymentOutcome] = {}  # by idempotency key
        self.answer_next: PaymentOutcome | None = None  # for the next payment started
        self.of_call: list[CallPayment] | Exception = []
        self.summaries = 0

    def account_summary(self, subscriber_id: str) -> AccountSummary:
        self.summaries += 1
        return AccountSummary(subscriber_id, "Ana", "en", (plan(bills=(DEC_BILL,)),))

    def start_payment(self, request: PaymentRequest) -> None:
        if self.refuse is not None:
            raise self.refuse
        self.requests.append(request)
        if self.answer_next is not None:
            self.answers[request.idempotency_key] = self.answer_next

    def outcome(self, key: str, wait: float = 0.0) -> PaymentOutcome | None:
        return self.answers.get(key)

    def payments_of_call(self, call_sid: str) -> list[CallPayment]:
        if isinstance(self.of_call, Exception):
            raise self.of_call
        return self.of_call


def context(payments: ScriptedPayments, secrets: dict[str, str] | None = None, **state):
    """A verified caller at the card read-back of a $45.00 health payment."""
    settings = Settings(twilio_auth_token="t", processor_wait=0.0)
    services = FlowServices(payments, settings, BusinessHours(), lambda: NOW, lambda *a: "")
    card = {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2028, "zip": "02110"}
    base = {
        "turn": 3,
        "step": "confirm_payment",
        "lang": "en",
        "channel": "voice",
        "sub": "100000000001",
        "verified": True,
        "plan": "H-1",
        "amount": "45.00",
        "method": "card",
        "card": card,
        "pay_key": f"{CALL}-aaaaaaaaaaaa",
    }
    keyed = {"card_number": "4242424242424242", "security_code": "123"}
    return CallContext(CALL, {**base, **state}, keyed if secrets is None else secrets, services)


PENDING = outcome(PaymentStatus.PENDING)


# --- the result of one payment -------------------------------------------------------------


def test_a_payment_in_full_says_approved_with_its_number_and_the_month_paid_through():
    said = result_lines(outcome(paid_through=date(2026, 12, 31)), "card")
    assert said == (
        line("result.approved", confirmation=Chars("HK2R7WXY")),
        line("result.paid_through", through=MonthDay(date(2026, 12, 31))),
    )


def test_a_partial_payment_says_what_is_still_due_not_paid_through():
    after = plan(bills=(replace_amount(DEC_BILL, "12.50"), JAN_BILL))
    said = result_lines(
        outcome(remaining="57.50", paid_through=date(2026, 11, 30), after=after), "card"
    )
    assert said == (
        line("result.approved", confirmation=Chars("HK2R7WXY")),
        line(
            "result.still_due",
            amount=Money(D("12.50")),
            due=When(DEC_BILL.due_date),
            month=Month(DEC),
        ),
    )


def test_a_binder_payment_says_when_coverage_starts_rather_than_paid_through():
    said = result_lines(outcome(coverage_start=JAN, paid_through=date(2027, 1, 31)), "card")
    assert said == (
        line("result.approved", confirmation=Chars("HK2R7WXY")),
        line("result.coverage_starts", start=Day(JAN)),
    )


@pytest.mark.parametrize(
    ("status", "reason", "method", "key"),
    [
        (PaymentStatus.DECLINED, DeclineReason.GENERIC, "card", "result.declined.generic.card"),
        (PaymentStatus.DECLINED, None, "bank", "result.declined.generic.bank"),
        (
            PaymentStatus.DECLINED,
            DeclineReason.INSUFFICIENT_FUNDS,
            "card",
            "result.declined.insufficient_funds",
        ),
        (PaymentStatus.FAILED, DeclineReason.PROCESSING_ERROR, "card", "result.failed"),
    ],
)
def test_a_payment_not_made_says_why_and_that_nothing_was_charged(status, reason, method, key):
    said = result_lines(outcome(status, reason=reason, remaining="45.00"), method)
    assert said == (line(key), line("result.not_charged"))


# --- what is left to pay -------------------------------------------------------------------


def replace_amount(bill: BillDue, amount: str, past_due: bool | None = None) -> BillDue:
    return BillDue(
        D(amount),
        bill.due_date,
        bill.coverage_month,
        bill.past_due if past_due is None else past_due,
    )


def test_nothing_left_says_nothing_more():
    assert left_owing(plan(), (), "result.still") == ()


def test_what_is_past_due_is_said_as_the_sum_of_the_past_due_bills_only():
    left = (
        replace_amount(DEC_BILL, "68.00", past_due=True),
        replace_amount(DEC_BILL, "0.01", past_due=True),
        JAN_BILL,
    )
    said = left_owing(plan(PlanStatus.GRACE, left), left, "result.still")
    assert said == (line("result.still_past_due", amount=Money(D("68.01"))),)


def test_a_past_due_remainder_of_one_cent_is_still_said_as_past_due():
    left = (replace_amount(DEC_BILL, "0.01", past_due=True), JAN_BILL)
    said = left_owing(plan(PlanStatus.GRACE, left), left, "pay.left")
    assert said == (line("pay.left_past_due", amount=Money(D("0.01"))),)


def test_the_next_bill_is_said_with_its_own_amount_due_date_and_month():
    left = (replace_amount(JAN_BILL, "0.01"), JAN_BILL)
    said = left_owing(plan(bills=left), left, "result.still")
    assert said == (
        line(
            "result.still_due",
            amount=Money(D("0.01")),
            due=When(JAN_BILL.due_date),
            month=Month(JAN),
        ),
    )


def test_a_pending_plan_is_told_the_rest_of_its_first_bill_before_coverage_starts():
    left = (replace_amount(DEC_BILL, "89.00"),)
    said = left_owing(plan(PlanStatus.PENDING, left), left, "result.still")
    assert said == (
        line("result.still_binder", amount=Money(D("89.00")), due=When(DEC_BILL.due_date)),
    )


@pytest.mark.parametrize(
    ("card", "bank", "term"),
    [
        (True, True, "method.card_or_bank"),
        (True, False, "method.card"),
        (False, True, "method.bank"),
    ],
)
def test_the_readback_offers_to_change_only_to_methods_the_line_takes(card, bank, term):
    ctx = context(ScriptedPayments())
    services = ctx.services
    settings = replace(services.settings, card_enabled=card, bank_enabled=bank)
    ctx.services = replace(services, settings=settings)
    assert methods_term(ctx) == Term(term)


# --- late news, recaps and faults ----------------------------------------------------------


def test_late_news_of_an_approval_gives_amount_plan_and_confirmation_number():
    assert late_news(outcome(amount="12.50")) == (
        line("news.approved", **about("12.50")),
        line("result.confirmation", confirmation=Chars("HK2R7WXY")),
    )


def test_late_news_of_a_decline_says_the_amount_and_plan_were_not_charged():
    declined = outcome(PaymentStatus.DECLINED, amount="12.50", reason=DeclineReason.GENERIC)
    assert late_news(declined) == (line("news.not_charged", **about("12.50")),)


def test_a_recap_names_every_payment_that_took_money_or_is_still_processing():
    payments = [
        paid("a", PaymentStatus.APPROVED, "45.00"),
        paid("b", PaymentStatus.DECLINED, "32.00", "dental"),
        paid("c", PaymentStatus.PENDING, "32.00", "dental"),
        paid("d", PaymentStatus.PENDING, "5.00"),
        paid("e", PaymentStatus.SETTLED, "7.00"),
    ]
    assert recap(payments, "recap.nothing") == (
        line("recap.went_through", **about("45.00")),
        line("recap.processing", **about("32.00", "dental")),
        line("recap.processing", **about("5.00")),
        line("recap.went_through", **about("7.00")),
    )


def test_a_recap_of_nothing_charged_says_so_only_when_asked_to():
    declined = [paid("b", PaymentStatus.DECLINED, "32.00")]
    assert recap(declined, "recap.nothing") == (line("recap.nothing"),)
    assert recap(declined, None) == ()


def test_a_fault_during_a_confirmation_says_it_was_not_made_and_recaps_the_others():
    payments = ScriptedPayments()
    payments.of_call = [
        paid("earlier", PaymentStatus.APPROVED, "45.00"),
        paid("this-one", PaymentStatus.PENDING, "32.00"),
    ]
    ctx = context(payments, confirming="this-one")
    assert fault_lines(ctx) == (
        line("fault.not_started"),
        line("recap.went_through", **about("45.00")),
    )


@pytest.mark.parametrize("had", ["processing", "untold", "result"])
def test_a_fault_with_unreadable_records_sends_a_caller_who_paid_to_learn_the_result(had):
    payments = ScriptedPayments()
    payments.of_call = RuntimeError("database down")
    ctx = context(payments, **{had: "something"})
    assert fault_lines(ctx) == (line("fault.unknown"),)


def test_a_fault_with_unreadable_records_says_nothing_about_money_when_there_was_none():
    payments = ScriptedPayments()
    payments.of_call = RuntimeError("database down")
    assert fault_lines(context(payments)) == ()
    assert fault_lines(context(payments, confirming="k")) == (line("fault.not_started"),)


def test_news_is_told_once_for_each_answered_payment_and_the_rest_keep_waiting():
    payments = ScriptedPayments()
    payments.answers = {"late": outcome(amount="12.50"), "still": PENDING}
    ctx = context(payments, untold=["late", "still"])
    assert payment_news(ctx) == late_news(outcome(amount="12.50"))
    assert ctx.state["untold"] == ["still"]
    payments.answers["still"] = outcome(PaymentStatus.DECLINED, amount="3.00")
    assert payment_news(ctx) == (line("news.not_charged", **about("3.00")),)
    assert "untold" not in ctx.state


# --- holds while the processor has not answered --------------------------------------------


def test_a_payment_still_processing_is_held_then_told_later_after_max_holds():
    payments = ScriptedPayments()
    payments.answers["k"] = PENDING
    ctx = context(payments, processing="k", holds=0)
    said = [poll_payment(ctx) for _ in range(MAX_HOLDS)]
    assert said[0] == Hold(PROCESSING, (line("pay.processing"),))
    assert said[1 : MAX_HOLDS - 1] == [Hold(PROCESSING, (line("pay.still_processing"),))] * (
        MAX_HOLDS - 2
    )
    assert said[-1] == Go("main_menu", (line("pay.will_tell"),))
    assert ctx.state["untold"] == ["k"] and "processing" not in ctx.state


def test_polling_a_payment_found_at_a_readback_starts_its_holds_from_the_first():
    """A read-back answered after its payment started (the answer to '1' was lost): the state
    has no hold count yet."""
    payments = ScriptedPayments()
    payments.answers[f"{CALL}-aaaaaaaaaaaa"] = PENDING
    ctx = context(payments)
    assert answer_readback(ctx, "3", lambda: pytest.fail("must not pay again")) == Hold(
        PROCESSING, (line("pay.processing"),)
    )
    assert ctx.state["processing"] == f"{CALL}-aaaaaaaaaaaa" and "pay_key" not in ctx.state


def test_a_second_payment_in_the_call_starts_its_holds_afresh():
    payments = ScriptedPayments()
    payments.answer_next = PENDING
    ctx = context(payments, holds=MAX_HOLDS - 1)  # left from the call's first payment
    assert submit(ctx) == Hold(PROCESSING, (line("pay.processing"),))
    assert ctx.state["holds"] == 1


# --- handing the payment over --------------------------------------------------------------


def test_the_confirmed_payment_is_requested_with_the_keyed_card_amount_and_key():
    payments = ScriptedPayments()
    payments.answer_next = outcome(paid_through=date(2026, 12, 31))
    ctx = context(payments)
    assert submit(ctx) == Go("payment_result", result_lines(payments.answer_next, "card"))
    (request,) = payments.requests
    assert (request.subscriber_id, request.plan_id, request.amount) == (
        "100000000001",
        "H-1",
        D("45.00"),
    )
    assert request.idempotency_key == f"{CALL}-aaaaaaaaaaaa"
    card = request.instrument
    assert (card.number, card.exp_month, card.exp_year, card.security_code, card.postal_code) == (
        "4242424242424242",
        12,
        2028,
        "123",
        "02110",
    )
    assert ctx.secrets == {} and "processing" not in ctx.state
    assert ctx.state["result"] == {"confirmation": "HK2R7WXY"}


def test_a_confirmation_without_a_drawn_key_draws_one_of_this_call():
    payments = ScriptedPayments()
    payments.answer_next = PENDING
    ctx = context(payments)
    del ctx.state["pay_key"]
    submit(ctx)
    (request,) = payments.requests
    assert request.idempotency_key.startswith(f"{CALL}-")
    assert len(request.idempotency_key) > len(CALL) + 1


def test_card_details_gone_before_the_confirmation_are_asked_again_and_nothing_is_paid():
    payments = ScriptedPayments()
    ctx = context(payments, secrets={})
    assert submit(ctx) == Go("choose_method", (line("pay.details_expired"),))
    assert payments.requests == []


def test_a_balance_changed_meanwhile_is_said_with_not_charged_and_the_account_read_again():
    payments = ScriptedPayments(refuse=AmountNotAllowed("at most 12.00 can be paid now"))
    ctx = context(payments, account="stale snapshot")
    assert submit(ctx) == Go("main_menu", (line("pay.balance_changed"), line("result.not_charged")))
    assert "confirming" not in ctx.state and "account" not in ctx.state and ctx.secrets == {}


def test_a_refused_card_is_said_not_charged_and_offered_another_try():
    payments = ScriptedPayments(refuse=InvalidInstrument("the card has expired"))
    ctx = context(payments)
    assert submit(ctx) == Go("retry_payment", (line("pay.refused"), line("result.not_charged")))
    assert "confirming" not in ctx.state


@pytest.mark.parametrize("scope", ["call", "subscriber"])
def test_the_decline_limit_refused_by_the_core_offers_only_a_representative(scope):
    payments = ScriptedPayments(refuse=TooManyDeclines(scope))
    ctx = context(payments, resume="confirm_payment")
    assert submit(ctx) == Go("offer_agent", (line(f"pay.limit.{scope}"),))
    assert ctx.state["resume"] == "main_menu" and "confirming" not in ctx.state


def test_a_bank_debit_declined_says_the_bank_said_no_not_the_card_issuer():
    ctx = context(ScriptedPayments(), method="bank", processing="k")
    declined = outcome(PaymentStatus.DECLINED, reason=DeclineReason.GENERIC, remaining="45.00")
    said = told(ctx, declined).said
    assert said == (line("result.declined.generic.bank"), line("result.not_charged"))


def test_declines_in_a_call_reach_the_limit_at_the_third():
    ctx = context(ScriptedPayments(), resume="confirm_payment")
    declined = outcome(PaymentStatus.DECLINED, reason=DeclineReason.GENERIC, remaining="45.00")
    said = result_lines(declined, "card")
    answers = []
    for _ in range(DECLINES_PER_CALL):
        ctx.state["processing"] = "k"
        answers.append(told(ctx, declined))
        assert "processing" not in ctx.state
    assert answers[:-1] == [Go("retry_payment", said)] * (DECLINES_PER_CALL - 1)
    assert answers[-1] == Go("offer_agent", said + (line("pay.limit.call"),))
    assert ctx.state["resume"] == "main_menu"


# --- the read-back's other answers ---------------------------------------------------------


def test_a_key_other_than_1_2_or_3_at_the_readback_is_asked_again():
    ctx = context(ScriptedPayments())
    assert answer_readback(ctx, "4", lambda: pytest.fail("must not pay")) == Retry(
        (line("error.choice"),)
    )
    assert ctx.secrets != {}  # still there for the '1' that may follow


def test_changing_the_method_before_any_key_was_drawn_goes_to_the_methods():
    ctx = context(ScriptedPayments())
    del ctx.state["pay_key"]
    assert answer_readback(ctx, "2", lambda: pytest.fail("must not pay")) == Go("choose_method")
    assert ctx.secrets == {}


def test_cancelling_at_the_readback_recaps_the_payments_that_stand():
    payments = ScriptedPayments()
    payments.of_call = [paid("earlier", PaymentStatus.APPROVED, "32.00", "dental")]
    ctx = context(payments)
    assert answer_readback(ctx, "3", lambda: pytest.fail("must not pay")) == Go(
        "main_menu",
        (line("confirm.cancelled"), line("recap.went_through", **about("32.00", "dental"))),
    )
