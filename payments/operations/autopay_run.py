"""The AutoPay run for one banking day (`ivr autopay run --date D`): every active enrolment whose
debit falls on D is debited the plan's balance due that day.

The run is split into chunks of enrolments (`plan_run`); any number of workers take chunks
(`run_chunk`), each one transaction: the chunk's plans locked in id order, their ledgers read in
one statement, the debits decided by payments.domain.autopay, and the payments, their
allocations and ACH entries written together. A debit's idempotency key names its enrolment and
month, and the payments' unique key holds it: a chunk run twice, by a retry, after a crash or by
a second run at the same time, debits nobody twice. The debit is the line's own (it originates
the entry), so it is approved and credited when written, like a bank payment taken on a call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import Connection

from payments.domain import autopay as rules
from payments.domain.ach import transaction_code
from payments.domain.clock import Clock, eastern_date, system_clock
from payments.domain.money import ZERO
from payments.domain.plans import PlanAccount
from payments.operations.debits import Debit, write_debits
from payments.storage.db import for_batch_work
from payments.storage.enrolments import (
    EnrolmentRow,
    cycle_key,
    cycle_month,
    enrolments_for_run,
    lock_plans_of,
    notices_since,
    runnable_on_days,
)
from payments.storage.ledger import plan_ledgers
from payments.storage.unit_of_work import UnitOfWorkFactory

CHUNK_SIZE = 1000  # enrolments a job: one transaction, well under the driver's 65,535 parameters


@dataclass
class RunReport:
    debited: int = 0
    total: Decimal = ZERO
    capped: int = 0  # took less than the balance due: more than the member was told
    already: int = 0  # this month's debit was made before (a rerun, another worker)
    skipped: dict[str, int] = field(default_factory=dict)  # why no debit, by reason

    def add(self, other: RunReport) -> None:
        self.debited += other.debited
        self.total += other.total
        self.capped += other.capped
        self.already += other.already
        for reason, count in other.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count

    def as_json(self) -> dict[str, object]:
        return {**self.__dict__, "total": str(self.total)}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> RunReport:
        return cls(**{**data, "total": Decimal(str(data["total"]))})  # type: ignore[arg-type]


def days_debiting_on(on: date) -> list[int]:
    """The AutoPay days whose debit this month falls on `on` (none on a non-banking day)."""
    return [day for day in rules.DAYS if rules.debit_date(on, day) == on]


def plan_run(uow_factory: UnitOfWorkFactory, on: date, size: int = CHUNK_SIZE) -> list[list[int]]:
    """The enrolments that may debit on `on`, in chunks of `size`."""
    with uow_factory.reader() as uow:
        ids = runnable_on_days(uow.connection, days_debiting_on(on))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def run_chunk(
    uow_factory: UnitOfWorkFactory, on: date, ids: list[int], clock: Clock = system_clock
) -> RunReport:
    """Debit these enrolments for `on`, in one transaction (see the module's docstring)."""
    now = clock()
    with uow_factory() as uow:
        conn = uow.connection
        for_batch_work(conn)
        lock_plans_of(conn, ids)
        report, debits = _decide_all(conn, on, enrolments_for_run(conn, ids))
        written = write_debits(conn, debits, now, eastern_date(now))
        uow.commit()
    report.already += len(debits) - len(written)
    report.debited = len(written)
    report.total = sum((debit.amount for debit in written), ZERO)
    report.capped = sum(debit.capped for debit in written)
    return report


def _decide_all(
    conn: Connection, on: date, enrolments: list[EnrolmentRow]
) -> tuple[RunReport, list[Debit]]:
    report, debits = RunReport(), []
    ledgers = plan_ledgers(conn, [row["plan_id"] for row in enrolments])
    notices = notices_since(conn, [row.id for row in enrolments], on)
    for row in enrolments:
        last = row.last_debit
        if last is not None and cycle_month(last[0]) == f"{on:%Y-%m}":
            report.already += 1
            continue
        told = [(told_on, amount) for day, told_on, amount in notices.get(row.id, []) if day == on]
        allowed = rules.allowed_amount(row.told(rules.timely(told, on)))
        plan = ledgers[row["plan_id"]]
        decision = rules.decide(row.rules, plan, on, allowed, row["written_copy_at"] is not None)
        if decision.skipped is not None:
            report.skipped[decision.skipped] = report.skipped.get(decision.skipped, 0) + 1
            continue
        debits.append(_debit(row, plan, on, decision))
    return report, debits


def _debit(row: EnrolmentRow, plan: PlanAccount, on: date, decision: rules.Decision) -> Debit:
    return Debit(
        key=cycle_key(row.id, on),
        plan=plan,
        subscriber_id=row["subscriber_id"],
        name=f"{row['first_name']} {row['last_name']}",
        amount=decision.amount,
        enrolment_id=row.id,
        account_type=row["account_type"],
        transaction_code=transaction_code(row["account_type"]),
        routing=row["routing"],
        account_sealed=row["account_sealed"],
        last4=row["last4"],
        effective_date=on,
        payment_type="R",
        capped=decision.capped,
        reference=row["reference"],
    )


def totals(reports: list[RunReport]) -> RunReport:
    whole = RunReport()
    for report in reports:
        whole.add(report)
    return whole
