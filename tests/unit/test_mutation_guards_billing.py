"""Money rules of the domain (payments.domain): what is left to pay, limits and their
boundaries. Written against surviving mutants of `make mutation`: each test names the behaviour
it protects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from payments.domain.billing import Bill
from payments.domain.plans import PlanAccount, credit, left_after
from payments.domain.values import BillDue, PlanStatus

D = Decimal
DEC, JAN, FEB = date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)


def due(amount: str, month: date, past_due: bool = False) -> BillDue:
    return BillDue(D(amount), month.replace(day=23), month, past_due)


# --- what a payment leaves to pay ----------------------------------------------------------


def test_a_payment_leaves_the_rest_of_the_bill_it_ends_in_and_every_later_bill():
    bills = (due("45.00", DEC), due("45.00", JAN), due("45.00", FEB))
    assert left_after(bills, D("60.00")) == (due("30.00", JAN), due("45.00", FEB))


def test_a_payment_of_exactly_whole_bills_leaves_only_the_later_bills():
    bills = (due("45.00", DEC), due("30.00", JAN), due("45.00", FEB))
    assert left_after(bills, D("75.00")) == (due("45.00", FEB),)


# --- crediting an approved payment ---------------------------------------------------------


def plan_with(*paid: str) -> PlanAccount:
    """An active plan with a $45.00 bill for each of December and January, paid so far."""
    bills = tuple(
        Bill(month, D("45.00"), month.replace(day=23), D(already), ref=i)
        for i, (month, already) in enumerate(zip((DEC, JAN), paid, strict=True), start=1)
    )
    return PlanAccount(7, "H-1", "health", "Plan", "Carrier", PlanStatus.ACTIVE, None, bills)


def test_a_payment_of_one_cent_or_one_dollar_is_credited_to_the_oldest_bill():
    for amount in ("0.01", "1.00"):
        credited = credit(plan_with("0.00", "0.00"), D(amount), date(2026, 11, 20))
        assert [(bill.ref, share) for bill, share in credited.shares] == [(1, D(amount))]
        assert [bill.paid for bill in credited.plan.bills] == [D(amount), D("0.00")]
        assert credited.unapplied == 0


def test_a_payment_when_the_billing_feed_has_paid_every_bill_is_kept_whole_as_unapplied():
    credited = credit(plan_with("45.00", "45.00"), D("45.00"), date(2026, 11, 20))
    assert credited.shares == [] and credited.unapplied == D("45.00")
    assert [bill.paid for bill in credited.plan.bills] == [D("45.00"), D("45.00")]
