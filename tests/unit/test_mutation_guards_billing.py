"""Money rules of the domain (payments.domain): what is left to pay, limits and their
boundaries. Written against surviving mutants of `make mutation`: each test names the behaviour
it protects."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from payments.domain.plans import left_after
from payments.domain.values import BillDue

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
