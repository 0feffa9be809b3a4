"""AutoPay's and ACH's rules as pure functions: banking days, debit dates, what a debit takes,
Regulation E's cap, settlement and retries."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.domain import ach
from payments.domain import autopay as rules
from payments.domain.banking import (
    add_banking_days,
    banking_days_between,
    is_banking_day,
    next_banking_day,
    on_or_after,
)
from payments.domain.billing import Bill
from payments.domain.plans import PlanAccount
from payments.domain.values import PlanStatus

D = Decimal


def plan(*bills: Bill, status: PlanStatus = PlanStatus.ACTIVE, reserved: str = "0") -> PlanAccount:
    return PlanAccount(1, "H-1", "health", "Plan", "Carrier", status, None, bills, D(reserved))


def bill(period: date, amount: str, paid: str = "0") -> Bill:
    due = date(period.year - (period.month == 1), (period.month - 2) % 12 + 1, 23)
    return Bill(period, D(amount), due, D(paid))


@pytest.mark.parametrize(
    ("day", "banking"),
    [
        (date(2026, 12, 2), True),  # a Wednesday
        (date(2026, 12, 5), False),  # Saturday
        (date(2026, 12, 6), False),  # Sunday
        (date(2026, 11, 26), False),  # Thanksgiving
        (date(2026, 12, 25), False),  # Christmas
        (date(2026, 7, 3), True),  # Friday before a Saturday 4th: the Fed is open
        (date(2027, 7, 5), False),  # Monday after a Sunday 4th: observed
        (date(2026, 10, 12), False),  # Columbus Day: a Fed holiday
        (date(2026, 11, 27), True),  # the day after Thanksgiving: banks settle
    ],
)
def test_banking_days_follow_the_federal_reserve(day, banking):
    assert is_banking_day(day) is banking


def test_counting_banking_days():
    assert next_banking_day(date(2026, 11, 25)) == date(2026, 11, 27)  # over Thanksgiving
    assert add_banking_days(date(2026, 12, 24), 2) == date(2026, 12, 29)  # over Christmas
    assert banking_days_between(date(2026, 12, 18), date(2026, 12, 23)) == 3
    assert on_or_after(date(2026, 12, 5)) == date(2026, 12, 7)


@given(st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31)))
def test_a_debit_date_is_the_first_banking_day_on_or_after_the_chosen_day(month):
    for day in rules.DAYS:
        debit = rules.debit_date(month, day)
        nominal = date(month.year, month.month, day)
        assert is_banking_day(debit) and nominal <= debit and debit.month == month.month
        assert all(
            not is_banking_day(date.fromordinal(o))
            for o in range(nominal.toordinal(), debit.toordinal())
        )


@pytest.mark.parametrize(
    ("month", "day", "debit"),
    [
        (date(2026, 11, 1), 15, date(2026, 11, 16)),  # Sunday the 15th
        (date(2026, 12, 1), 23, date(2026, 12, 23)),
        (date(2026, 8, 1), 15, date(2026, 8, 17)),  # Saturday
        (date(2028, 11, 1), 23, date(2028, 11, 24)),  # Thanksgiving on the 23rd
    ],
)
def test_debit_dates(month, day, debit):
    assert rules.debit_date(month, day) == debit


@pytest.mark.parametrize(
    ("today", "day", "first"),
    [
        (date(2026, 12, 2), 15, date(2026, 12, 15)),
        (date(2026, 12, 18), 23, date(2026, 12, 23)),  # exactly 3 banking days away
        (date(2026, 12, 21), 23, date(2027, 1, 25)),  # 2 away: next month's (a Saturday 23rd)
        (date(2026, 12, 24), 15, date(2027, 1, 15)),
    ],
)
def test_the_first_debit_is_at_least_three_banking_days_away(today, day, first):
    assert rules.first_debit_date(day, today) == first


def test_an_other_day_than_the_15th_or_23rd_is_refused():
    with pytest.raises(ValueError):
        rules.debit_date(date(2026, 12, 1), 1)


def test_the_balance_due_is_every_bill_issued_by_then_less_payments_in_flight():
    account = plan(bill(date(2026, 12, 1), "45.00"), bill(date(2027, 1, 1), "50.00"), reserved="5")
    assert rules.balance_due(account, date(2026, 11, 30)) == D("40.00")  # January's not issued
    assert rules.balance_due(account, date(2026, 12, 1)) == D("90.00")
    assert rules.balance_due(plan(bill(date(2026, 12, 1), "45", "45")), date(2026, 12, 23)) == 0


def test_the_last_amount_told_caps_the_debit():
    told = [(date(2026, 11, 23), D("45.00")), (date(2026, 12, 10), D("50.00"))]
    assert rules.allowed_amount(told) == D("50.00")
    assert rules.allowed_amount(list(reversed(told))) == D("50.00")
    assert rules.allowed_amount([]) is None
    notices = [(date(2026, 12, 13), D("60.00")), (date(2026, 12, 14), D("70.00"))]
    assert rules.timely(notices, date(2026, 12, 23)) == [(date(2026, 12, 13), D("60.00"))]


DEC23, NOV23 = date(2026, 12, 23), date(2026, 11, 23)
ENROLLED = rules.Enrolment(day=23, first_debit_on=DEC23)
DUE = plan(bill(date(2027, 1, 1), "50.00"))


@pytest.mark.parametrize(
    ("enrolment", "account", "on", "allowed", "copy", "decision"),
    [
        (ENROLLED, DUE, DEC23, D("50.00"), True, rules.Decision(D("50.00"))),
        (ENROLLED, DUE, DEC23, None, True, rules.Decision(D("50.00"))),
        (ENROLLED, DUE, DEC23, D("45.00"), True, rules.Decision(D("45.00"), capped=True)),
        (ENROLLED, DUE, DEC23, D("45.00"), False, rules.Decision(D(0), "no_written_copy")),
        (ENROLLED, DUE, NOV23, D("50.00"), True, rules.Decision(D(0), "before_first_debit")),
        (ENROLLED, plan(), DEC23, D("50.00"), True, rules.Decision(D(0), "nothing_due")),
        (
            ENROLLED,
            plan(bill(date(2027, 1, 1), "50.00"), status=PlanStatus.TERMINATED),
            DEC23, D("50.00"), True, rules.Decision(D(0), "coverage_ended"),
        ),
        (
            rules.Enrolment(23, DEC23, stopped=rules.PauseReason.ACCOUNT),
            DUE, DEC23, D("50.00"), True, rules.Decision(D(0), "account"),
        ),
        (
            rules.Enrolment(23, DEC23, cancelled=True),
            DUE, DEC23, D("50.00"), True, rules.Decision(D(0), "cancelled"),
        ),
    ],
)  # fmt: skip
def test_what_the_run_does_with_an_enrolment(enrolment, account, on, allowed, copy, decision):
    assert rules.decide(enrolment, account, on, allowed, copy) == decision


def test_status_follows_the_plan_and_the_bank():
    assert rules.status_of(None, PlanStatus.ACTIVE) == (rules.AutopayStatus.NONE, None)
    assert rules.status_of(ENROLLED, PlanStatus.GRACE) == (rules.AutopayStatus.ACTIVE, None)
    paused = rules.status_of(ENROLLED, PlanStatus.TERMINATED)
    assert paused == (rules.AutopayStatus.PAUSED, "coverage_ended")


def test_the_next_debit_skips_a_month_already_debited():
    assert rules.next_debit(ENROLLED, date(2026, 12, 2), None) == date(2026, 12, 23)
    assert rules.next_debit(ENROLLED, date(2026, 12, 2), "2026-12") == date(2027, 1, 25)
    assert rules.next_debit(ENROLLED, date(2026, 11, 2), None) == date(2026, 12, 23)


def test_a_notice_is_needed_only_for_a_different_amount():
    assert rules.needs_notice(D("50.00"), D("45.00"))
    assert not rules.needs_notice(D("45.00"), D("45.00"))
    assert not rules.needs_notice(D("0.00"), D("45.00"))


@pytest.mark.parametrize(
    ("code", "kind"),
    [("R01", ach.ReturnKind.FUNDS), ("R09", ach.ReturnKind.FUNDS), ("R02", ach.ReturnKind.ACCOUNT),
     ("R03", ach.ReturnKind.ACCOUNT), ("R04", ach.ReturnKind.ACCOUNT),
     ("R05", ach.ReturnKind.AUTHORIZATION), ("R07", ach.ReturnKind.AUTHORIZATION),
     ("R10", ach.ReturnKind.AUTHORIZATION), ("R29", ach.ReturnKind.AUTHORIZATION),
     ("R06", ach.ReturnKind.OTHER)],
)  # fmt: skip
def test_return_codes_by_what_they_mean_for_autopay(code, kind):
    assert ach.kind_of(code) is kind


def test_settlement_and_effective_dates():
    assert ach.effective_date(date(2026, 12, 2), date(2026, 12, 2)) == date(2026, 12, 3)
    assert ach.effective_date(date(2026, 12, 23), date(2026, 12, 22)) == date(2026, 12, 23)
    assert ach.effective_date(date(2026, 12, 26), date(2026, 12, 22)) == date(2026, 12, 28)
    assert not ach.settled_by(date(2026, 12, 3), date(2026, 12, 4))
    assert ach.settled_by(date(2026, 12, 3), date(2026, 12, 7))  # Fri 4th, Mon 7th


def test_a_funds_return_is_retried_twice_within_30_days_and_the_coverage_deadline():
    first, deadline = date(2026, 12, 3), date(2026, 12, 31)
    assert ach.may_retry(ach.ReturnKind.FUNDS, 0, first, date(2026, 12, 8), deadline)
    assert ach.may_retry(ach.ReturnKind.FUNDS, 1, first, date(2026, 12, 15), deadline)
    assert not ach.may_retry(ach.ReturnKind.FUNDS, 2, first, date(2026, 12, 16), deadline)
    assert not ach.may_retry(ach.ReturnKind.FUNDS, 0, first, date(2027, 1, 4), date(2027, 1, 31))
    assert not ach.may_retry(ach.ReturnKind.FUNDS, 0, first, date(2027, 1, 1), deadline)
    assert not ach.may_retry(ach.ReturnKind.ACCOUNT, 0, first, date(2026, 12, 8), deadline)
    assert ach.retry_date(date(2026, 12, 24)) == date(2026, 12, 29)
