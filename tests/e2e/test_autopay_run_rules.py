"""What the AutoPay run takes, on the demo line after Ana enrols by phone: the balance due that
day; less when she paid part meanwhile; a new premium only once it was told 10 days ahead
(Regulation E), else the amount last told; nothing while her plan has ended, and again once it
is reinstated."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from cryptography.fernet import Fernet
from sqlalchemy import insert, select, update

from payments.operations.autopay_notices import notice_chunk
from payments.operations.autopay_run import run_chunk
from payments.storage.tables import ENROLMENTS, INVOICES, OUTBOX, PAYMENTS, PLANS
from tests.e2e.conftest import EASTERN, Line

ANA, ANA_DOB, PLAN = "100000000001", "04171980", "H-100000000001"
KEY = Fernet.generate_key().decode()
NOVEMBER_23, DECEMBER_23 = date(2026, 11, 23), date(2026, 12, 23)


def enrolled(make_line) -> tuple[Line, int]:
    """Ana on AutoPay on the 23rd (told $45.00), her written copy sent by mail."""
    from payments.messages.letters import export_letters

    line = make_line(bank_data_key=KEY)
    keys = ["4", "1", "1", "2", "1", "011000015#", "000123456789#", "000123456789#", "1"]
    line.call(["1", f"{ANA}#", f"{ANA_DOB}#", *keys])
    core = line.app.extensions["ivr"].core
    export_letters(core.uow, line.database.with_suffix(".csv"), line.clock)
    with core.engine.connect() as conn:
        enrolment = conn.scalar(select(ENROLMENTS.c.id).where(ENROLMENTS.c.source == "voice"))
    return line, enrolment


def debits(line: Line) -> list[tuple[Decimal, str]]:
    with line.app.extensions["ivr"].core.engine.connect() as conn:
        query = select(PAYMENTS.c.amount, PAYMENTS.c.status).where(PAYMENTS.c.channel == "autopay")
        return [tuple(row) for row in conn.execute(query)]


def run(line: Line, enrolment: int, on: date):
    core = line.app.extensions["ivr"].core
    return run_chunk(core.uow, on, [enrolment], line.clock)


def billed(line: Line, amount: str) -> None:
    """The billing feed's next bill for the health plan: January, due December 23."""
    with line.app.extensions["ivr"].core.engine.begin() as conn:
        plan = conn.scalar(select(PLANS.c.id).where(PLANS.c.plan_id == PLAN))
        conn.execute(
            insert(INVOICES).values(
                plan_id=plan, period=date(2027, 1, 1), amount=Decimal(amount),
                due_date=DECEMBER_23, paid_external=Decimal("0.00"),
            )
        )  # fmt: skip


def test_a_payment_made_meanwhile_lowers_the_debit(make_line) -> None:
    line, enrolment = enrolled(make_line)
    card = ["1", "4242424242424242#", "1228#", "123#", "02110#"]
    heard = line.call(["1", f"{ANA}#", f"{ANA_DOB}#", "1", "1", "3", "20*00#", *card, "1", "3"])
    assert "Approved." in heard.spoken
    assert run(line, enrolment, NOVEMBER_23).debited == 1
    assert debits(line) == [(Decimal("25.00"), "approved")]


def test_nothing_due_is_no_debit(make_line) -> None:
    line, enrolment = enrolled(make_line)
    card = ["1", "4242424242424242#", "1228#", "123#", "02110#"]
    line.call(["1", f"{ANA}#", f"{ANA_DOB}#", "1", "1", *card, "1", "3"])
    report = run(line, enrolment, NOVEMBER_23)
    assert report.debited == 0 and report.skipped == {"nothing_due": 1}
    assert debits(line) == []


def test_a_new_premium_is_taken_only_once_told_ten_days_ahead(make_line) -> None:
    line, enrolment = enrolled(make_line)
    assert run(line, enrolment, NOVEMBER_23).debited == 1
    billed(line, "52.00")
    core = line.app.extensions["ivr"].core
    # Told on December 1, 22 days ahead: a notice by letter (no number to text agreed to).
    told = notice_chunk(core.uow, date(2026, 12, 1), [enrolment], "1-877-623-6765", line.clock)
    assert told.told == 1
    again = notice_chunk(core.uow, date(2026, 12, 2), [enrolment], "1-877-623-6765", line.clock)
    assert again.told == 0  # told once
    with core.engine.connect() as conn:
        [body] = conn.scalars(select(OUTBOX.c.body).where(OUTBOX.c.kind == "autopay_amount_change"))
    assert "$52.00" in body and "December 23, 2026" in body
    assert run(line, enrolment, DECEMBER_23).debited == 1
    assert sorted(debits(line)) == [(Decimal("45.00"), "approved"), (Decimal("52.00"), "approved")]


def test_a_new_premium_never_told_is_capped_at_the_amount_last_told(make_line) -> None:
    line, enrolment = enrolled(make_line)
    assert run(line, enrolment, NOVEMBER_23).debited == 1
    billed(line, "52.00")
    report = run(line, enrolment, DECEMBER_23)
    assert (report.debited, report.capped) == (1, 1)
    assert sorted(debits(line)) == [(Decimal("45.00"), "approved"), (Decimal("45.00"), "approved")]


def test_an_ended_plan_pauses_autopay_and_reinstatement_resumes_it(make_line) -> None:
    line, enrolment = enrolled(make_line)
    core = line.app.extensions["ivr"].core
    with core.engine.begin() as conn:
        conn.execute(update(PLANS).where(PLANS.c.plan_id == PLAN).values(status="terminated"))
    report = run(line, enrolment, NOVEMBER_23)
    assert report.debited == 0 and sum(report.skipped.values()) == 1
    line.clock.now = datetime(2026, 11, 19, 10, tzinfo=EASTERN)
    heard = line.call(["1", f"{ANA}#", f"{ANA_DOB}#"]).spoken
    assert "AutoPay for your health plan is paused while the plan has ended." in heard
    with core.engine.begin() as conn:
        conn.execute(update(PLANS).where(PLANS.c.plan_id == PLAN).values(status="active"))
    assert run(line, enrolment, NOVEMBER_23).debited == 1
    assert debits(line) == [(Decimal("45.00"), "approved")]
