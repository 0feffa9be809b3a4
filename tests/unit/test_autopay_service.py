"""AutoPay on the demo accounts (SQLite, November 10, 2026): enrolment with its authorization and
written copy, the run for a banking day, what it takes, and cancelling."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import delete, select, update

from payments.bank.sealing import Sealer
from payments.domain.instruments import AccountType, BankDetails
from payments.domain.values import Channel
from payments.operations.autopay_run import plan_run, run_chunk, totals
from payments.services.autopay import AutopayRefused, AutopayService
from payments.services.autopay_values import EnrolRequest, RecurringConsent
from payments.storage.enrolments import record_written_copy
from payments.storage.tables import (
    ACH_ENTRIES,
    ENROLMENTS,
    INVOICES,
    OUTBOX,
    PAYMENTS,
    PLANS,
    RECURRING_AUTHORIZATIONS,
)

D = Decimal
ANA, HEALTH = "100000000001", "H-100000000001"
ACCOUNT = "000123456789"
NOV_23 = date(2026, 11, 23)


@pytest.fixture(autouse=True)
def anas_alone(db):
    """The demo's portal enrolment (Rosa's) taken out: these tests count Ana's rows and runs."""
    with db() as uow:
        uow.connection.execute(delete(RECURRING_AUTHORIZATIONS))
        uow.connection.execute(delete(ENROLMENTS))
        uow.commit()


@pytest.fixture()
def sealer():
    return Sealer.ephemeral()


@pytest.fixture()
def autopay(db, sealer, clock):
    return AutopayService(db, sealer, clock, "1-877-623-6765")


def request(clock, day: int = 23, account: str | None = ACCOUNT, sms: str | None = "+16175550100"):
    bank = BankDetails(AccountType.CHECKING, "011000015", account) if account else None
    consent = RecurringConsent("the words as read", clock(), "CA1", "1", Channel.VOICE)
    return EnrolRequest(ANA, HEALTH, day, bank, consent, sms, "en")


def rows(db, table, *where):
    with db.reader() as uow:
        return uow.connection.execute(select(table).where(*where)).all()


def copy_sent(db, clock) -> None:
    with db() as uow:
        for row in uow.connection.execute(select(RECURRING_AUTHORIZATIONS)):
            record_written_copy(uow.connection, row.id, clock(), "sms")
        uow.commit()


def run(db, clock, on: date = NOV_23):
    return totals([run_chunk(db, on, chunk, clock) for chunk in plan_run(db, on)])


def test_enrolling_keeps_the_authorization_and_sends_its_written_copy(db, autopay, clock, sealer):
    enrolled = autopay.enrol(request(clock))
    assert (enrolled.first_debit, enrolled.first_amount, enrolled.written_copy) == (
        NOV_23, D("45.00"), "sms",
    )  # fmt: skip
    (authorization,) = rows(db, RECURRING_AUTHORIZATIONS)
    assert (authorization.text, authorization.call_sid, authorization.accepting_key) == (
        "the words as read", "CA1", "1",
    )  # fmt: skip
    assert authorization.written_copy_at is None and authorization.ended_at is None
    (message,) = rows(db, OUTBOX)
    assert (message.channel, message.to_number, message.status) == ("sms", "+16175550100", "queued")
    assert "ending in 6789" in message.body and "23" in message.body and ACCOUNT not in message.body
    view = autopay.view(ANA, HEALTH)
    assert (view.status, view.day, view.next_debit_date, view.next_amount) == (
        "active", 23, NOV_23, D("45.00"),
    )  # fmt: skip


def test_no_written_copy_no_debit(db, autopay, clock):
    autopay.enrol(request(clock))
    report = run(db, clock)
    assert (report.debited, report.skipped) == (0, {"no_written_copy": 1})
    assert rows(db, PAYMENTS) == []


def test_the_run_debits_the_balance_due_once(db, autopay, clock, sealer):
    autopay.enrol(request(clock))
    copy_sent(db, clock)
    first = run(db, clock)
    assert (first.debited, first.total, first.already) == (1, D("45.00"), 0)
    again = run(db, clock)
    assert (again.debited, again.already) == (0, 1)
    (payment,) = rows(db, PAYMENTS)
    assert (payment.status, payment.channel, payment.amount) == ("approved", "autopay", D("45.00"))
    (entry,) = rows(db, ACH_ENTRIES)
    assert (entry.payment_type, entry.status, entry.amount_cents) == ("R", "queued", 4500)
    assert (entry.effective_date, sealer.open(entry.account_sealed)) == (NOV_23, ACCOUNT)
    assert autopay.view(ANA, HEALTH).next_debit_date == date(2026, 12, 23)


def test_a_payment_made_meanwhile_lowers_the_debit_and_nothing_due_means_none(db, autopay, clock):
    autopay.enrol(request(clock))
    copy_sent(db, clock)
    with db() as uow:
        health = uow.connection.scalar(select(PLANS.c.id).where(PLANS.c.plan_id == HEALTH))
        uow.connection.execute(
            update(INVOICES)
            .where(INVOICES.c.plan_id == health)
            .values(paid_external=INVOICES.c.amount)
        )
        uow.commit()
    assert run(db, clock).skipped == {"nothing_due": 1}


def test_a_higher_amount_not_told_ten_days_ahead_is_capped(db, autopay, clock):
    autopay.enrol(request(clock))
    copy_sent(db, clock)
    with db() as uow:
        health = uow.connection.scalar(select(PLANS.c.id).where(PLANS.c.plan_id == HEALTH))
        uow.connection.execute(
            update(INVOICES).where(INVOICES.c.plan_id == health).values(amount=D("50.00"))
        )
        uow.commit()
    report = run(db, clock)
    assert (report.debited, report.total, report.capped) == (1, D("45.00"), 1)


def test_cancelling_stops_a_debit_not_yet_sent(db, autopay, clock):
    autopay.enrol(request(clock))
    copy_sent(db, clock)
    run(db, clock)
    cancelled = autopay.cancel(ANA, HEALTH, "caller", "CA2")
    assert (cancelled.stopped, cancelled.on_the_way) == (((NOV_23, D("45.00")),), ())
    (payment,) = rows(db, PAYMENTS)
    (entry,) = rows(db, ACH_ENTRIES)
    assert (payment.status, entry.status, entry.account_sealed) == ("refunded", "cancelled", None)
    assert autopay.view(ANA, HEALTH).status == "cancelled"
    (authorization,) = rows(db, RECURRING_AUTHORIZATIONS)
    assert authorization.ended_why == "cancelled" and authorization.retain_until.year == 2028
    assert run(db, clock).debited == 0


def test_a_change_of_day_is_a_new_authorization_keeping_the_account(db, autopay, clock, sealer):
    autopay.enrol(request(clock))
    changed = autopay.enrol(request(clock, day=15, account=None))
    assert changed.first_debit == date(2026, 11, 16)  # the 15th is a Sunday
    old, new = rows(db, RECURRING_AUTHORIZATIONS)
    assert (old.ended_why, new.ended_at, new.day) == ("replaced", None, 15)
    assert autopay.view(ANA, HEALTH).day == 15


def test_a_new_enrolment_needs_an_account_and_a_live_plan(db, autopay, clock):
    with pytest.raises(AutopayRefused):
        autopay.enrol(request(clock, account=None))
    with pytest.raises(AutopayRefused):
        autopay.enrol(request(clock, account="12"))


def test_without_a_number_to_text_the_written_copy_is_a_letter(db, autopay, clock):
    assert autopay.enrol(request(clock, sms=None)).written_copy == "letter"
    (message,) = rows(db, OUTBOX)
    assert message.channel == "letter"
    assert "each month on the 23rd from your checking account ending in 6789" in message.body
    assert message.body != "the words as read"  # the written terms, not the speech
