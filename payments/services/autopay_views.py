"""A plan's AutoPay as the member hears it and `ivr account show` prints it: its state, and the
next debit's date and amount as things stand (the balance due then, never more than the member
was last told)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection

from payments.domain import autopay as rules
from payments.domain.plans import PlanAccount
from payments.domain.values import NO_AUTOPAY, AutopayView
from payments.storage.enrolments import EnrolmentRow, cycle_month, notices_since


def view_of(
    conn: Connection, enrolment: EnrolmentRow | None, plan: PlanAccount, today: date
) -> AutopayView:
    if enrolment is None:
        return NO_AUTOPAY
    return project(enrolment, plan, today, lambda on: _notices(conn, enrolment.id, on))


Told = list[tuple[date, Decimal]]


def project(
    enrolment: EnrolmentRow, plan: PlanAccount, today: date, notices_for: Callable[[date], Told]
) -> AutopayView:
    """The view of `enrolment` on `today`; `notices_for(debit_date)` gives the notices sent
    for a debit date, as (told on, amount)."""
    state, reason = rules.status_of(enrolment.rules, plan.status)
    about = {
        "status": state.value,
        "day": enrolment["day"],
        "account_type": enrolment["account_type"],
        "last4": enrolment["last4"],
        "reference": enrolment["reference"],
        "reason": reason,
    }
    if state is not rules.AutopayStatus.ACTIVE:
        return AutopayView(**about)
    last = enrolment.last_debit
    on = rules.next_debit(enrolment.rules, today, cycle_month(last[0]) if last else None)
    notices = rules.timely(notices_for(on), on)
    allowed = rules.allowed_amount(enrolment.told(notices))
    decision = rules.decide(enrolment.rules, plan, on, allowed, written_copy=True)
    return AutopayView(**about, next_debit_date=on, next_amount=decision.amount)


def _notices(conn: Connection, enrolment_id: int, on: date) -> Told:
    found = notices_since(conn, [enrolment_id], on).get(enrolment_id, [])
    return [(told_on, amount) for debit_date, told_on, amount in found if debit_date == on]
