from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from payments.domain.billing import (
    Bill,
    OverpaymentError,
    add_months,
    allocate,
    apply_allocations,
    binder_coverage_start,
    due_date_for,
    open_total,
    paid_through,
    past_due_total,
    status_after_payment,
)
from payments.domain.values import PlanStatus

D = Decimal


def bill(period: date, amount: str = "45.00", paid: str = "0.00") -> Bill:
    return Bill(period, D(amount), due_date_for(period), D(paid))


def test_premium_is_due_on_the_23rd_of_the_month_before():
    assert due_date_for(date(2026, 12, 1)) == date(2026, 11, 23)


def test_due_date_rolls_back_over_new_year():
    assert due_date_for(date(2027, 1, 1)) == date(2026, 12, 23)


def test_add_months_rolls_over_december():
    assert add_months(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 15), -1) == date(2025, 12, 1)


@pytest.mark.parametrize(
    ("paid_on", "start"),
    [
        (date(2026, 11, 22), date(2026, 12, 1)),
        (date(2026, 11, 23), date(2026, 12, 1)),  # the 23rd itself is on time
        (date(2026, 11, 24), date(2027, 1, 1)),
        (date(2026, 10, 2), date(2026, 12, 1)),  # early: never before the coverage month
        (date(2026, 12, 5), date(2027, 1, 1)),
    ],
)
def test_binder_coverage_start(paid_on, start):
    assert binder_coverage_start(date(2026, 12, 1), paid_on) == start


def test_binder_late_in_december_starts_in_february():
    assert binder_coverage_start(date(2027, 1, 1), date(2026, 12, 24)) == date(2027, 2, 1)


def test_binder_on_time_in_december_starts_in_january():
    assert binder_coverage_start(date(2027, 1, 1), date(2026, 12, 23)) == date(2027, 1, 1)


def test_allocate_pays_oldest_first_and_allows_partial():
    older, newer = bill(date(2026, 11, 1)), bill(date(2026, 12, 1))
    result = allocate([newer, older], D("50.00"))
    assert result == [(older, D("45.00")), (newer, D("5.00"))]


def test_allocate_skips_paid_and_partly_paid_bills_count_their_rest():
    paid = bill(date(2026, 10, 1), paid="45.00")
    partly = bill(date(2026, 11, 1), paid="40.00")
    assert allocate([paid, partly], D("5.00")) == [(partly, D("5.00"))]


def test_allocate_refuses_overpayment():
    with pytest.raises(OverpaymentError):
        allocate([bill(date(2026, 12, 1))], D("45.01"))


@pytest.mark.parametrize("amount", ["0.00", "-1.00"])
def test_allocate_refuses_nothing_or_negative(amount):
    with pytest.raises(ValueError):
        allocate([bill(date(2026, 12, 1))], D(amount))


@given(
    amounts=st.lists(st.integers(min_value=1, max_value=100_000), min_size=1, max_size=6),
    data=st.data(),
)
def test_allocation_sums_to_the_payment_and_never_exceeds_a_bill(amounts, data):
    bills = [bill(add_months(date(2026, 1, 1), i), str(D(a) / 100)) for i, a in enumerate(amounts)]
    total = sum(amounts)
    pay = D(data.draw(st.integers(min_value=1, max_value=total))) / 100
    result = allocate(bills, pay)
    assert sum(share for _, share in result) == pay
    assert all(0 < share <= b.open_amount for b, share in result)
    after = apply_allocations(bills, result)
    assert open_total(after) == open_total(bills) - pay


def test_paid_through_counts_contiguous_paid_months_from_the_oldest():
    bills = [
        bill(date(2026, 10, 1), paid="45.00"),
        bill(date(2026, 11, 1), paid="45.00"),
        bill(date(2026, 12, 1), paid="10.00"),
        bill(date(2027, 1, 1), paid="45.00"),  # paid ahead, but December is not
    ]
    assert paid_through(bills) == date(2026, 11, 30)


def test_paid_through_none_when_oldest_is_open():
    assert paid_through([bill(date(2026, 12, 1))]) is None


def test_paid_through_december_ends_on_new_years_eve():
    assert paid_through([bill(date(2026, 12, 1), paid="45.00")]) == date(2026, 12, 31)


def test_paid_through_counts_from_a_later_coverage_start():
    bills = [bill(date(2026, 12, 1), paid="45.00")]
    assert paid_through(bills, coverage_start=date(2027, 1, 1)) == date(2027, 1, 31)


def test_past_due_is_only_bills_whose_due_date_has_passed():
    bills = [bill(date(2026, 11, 1)), bill(date(2026, 12, 1))]  # due Oct 23, Nov 23
    assert past_due_total(bills, date(2026, 11, 23)) == D("45.00")
    assert past_due_total(bills, date(2026, 11, 24)) == D("90.00")


def test_pending_plan_activates_when_first_invoice_paid_in_full():
    bills = [bill(date(2026, 12, 1), paid="45.00")]
    assert status_after_payment(PlanStatus.PENDING, bills, date(2026, 11, 23)) == (
        PlanStatus.ACTIVE,
        date(2026, 12, 1),
    )


def test_pending_plan_paid_late_starts_a_month_later():
    bills = [bill(date(2026, 12, 1), paid="45.00")]
    result = status_after_payment(PlanStatus.PENDING, bills, date(2026, 11, 24))
    assert result == (PlanStatus.ACTIVE, date(2027, 1, 1))


def test_pending_plan_stays_pending_on_partial_payment():
    bills = [bill(date(2026, 12, 1), paid="44.99")]
    assert status_after_payment(PlanStatus.PENDING, bills, date(2026, 11, 1)) == (
        PlanStatus.PENDING,
        None,
    )


def test_grace_returns_to_active_when_nothing_past_due_remains():
    today = date(2026, 11, 10)
    past_paid = bill(date(2026, 11, 1), paid="45.00")  # due Oct 23: past, now paid
    current = bill(date(2026, 12, 1))  # due Nov 23: not yet past due
    assert status_after_payment(PlanStatus.GRACE, [past_paid, current], today) == (
        PlanStatus.ACTIVE,
        None,
    )


def test_grace_stays_while_a_past_due_invoice_is_open():
    today = date(2026, 11, 10)
    bills = [bill(date(2026, 10, 1), paid="45.00"), bill(date(2026, 11, 1), paid="20.00")]
    assert status_after_payment(PlanStatus.GRACE, bills, today) == (PlanStatus.GRACE, None)


def test_active_and_terminated_plans_keep_their_status():
    bills = [bill(date(2026, 12, 1), paid="45.00")]
    for status in (PlanStatus.ACTIVE, PlanStatus.TERMINATED):
        assert status_after_payment(status, bills, date(2026, 11, 1)) == (status, None)
