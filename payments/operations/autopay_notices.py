"""AutoPay's advance notices (Regulation E), a job of each banking day (`ivr autopay notices`):
when a debit 10 to 24 days away would take a different amount from the one the member was last
told (the last debit, the amount announced with the authorization, an earlier notice), the new
amount and date are told now, by SMS to the number the member agreed to, else by letter. A debit
never takes more than what was told at least ten days before it (payments.domain.autopay)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection

from payments.domain import autopay as rules
from payments.domain.clock import Clock, system_clock
from payments.domain.plans import PlanAccount
from payments.messages import outbox, texts
from payments.storage.conflicts import insert_new
from payments.storage.enrolments import (
    EnrolmentRow,
    cycle_month,
    enrolments_for_run,
    notices_since,
    runnable_on_days,
)
from payments.storage.ledger import plan_ledgers
from payments.storage.tables import NOTICES
from payments.storage.unit_of_work import UnitOfWorkFactory

CHUNK_SIZE = 1000


@dataclass
class NoticeReport:
    told: int = 0  # notices written (and their messages)
    looked_at: int = 0

    def add(self, other: NoticeReport) -> None:
        self.told += other.told
        self.looked_at += other.looked_at


def plan_notices(uow_factory: UnitOfWorkFactory, size: int = CHUNK_SIZE) -> list[list[int]]:
    with uow_factory.reader() as uow:
        ids = runnable_on_days(uow.connection, list(rules.DAYS))
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def notice_chunk(
    uow_factory: UnitOfWorkFactory,
    today: date,
    ids: list[int],
    phone: str,
    clock: Clock = system_clock,
) -> NoticeReport:
    """Tell the members of these enrolments of a new amount, where one is due."""
    report, now = NoticeReport(), clock()
    with uow_factory() as uow:
        conn = uow.connection
        rows = enrolments_for_run(conn, ids)
        ledgers = plan_ledgers(conn, [row["plan_id"] for row in rows])
        sent = notices_since(conn, ids, today)
        for row in rows:
            report.looked_at += 1
            report.told += _maybe_tell(conn, row, ledgers[row["plan_id"]], today, sent, now, phone)
        uow.commit()
    return report


def _maybe_tell(
    conn: Connection,
    row: EnrolmentRow,
    plan: PlanAccount,
    today: date,
    sent: dict[int, list[tuple[date, date, Decimal]]],
    now: datetime,
    phone: str,
) -> bool:
    last = row.last_debit
    on = rules.next_debit(row.rules, today, cycle_month(last[0]) if last else None)
    if not rules.NOTICE_DAYS <= (on - today).days <= rules.NOTICE_HORIZON_DAYS:
        return False
    projected = rules.balance_due(plan, on)
    earlier = [(told_on, amount) for day, told_on, amount in sent.get(row.id, []) if day == on]
    if not rules.needs_notice(projected, rules.allowed_amount(row.told(earlier))):
        return False
    notice = {
        "enrolment_id": row.id,
        "debit_date": on,
        "amount": projected,
        "noticed_on": today,
        "created_at": now,
    }
    if not insert_new(conn, NOTICES, [notice], NOTICES.c.id):
        return False  # told already (another worker, a rerun)
    lang = texts.lang_of(row["language"])
    body = texts.sms(
        "amount_change", lang, kind=texts.kind(plan.kind, lang),
        amount=texts.money(projected, lang), day=texts.day(on, lang), last4=row["last4"],
    )  # fmt: skip
    outbox.queue_sms_or_letter(
        conn, row["sms_to"], event_key=f"notice:{row.id}:{on}:{projected}",
        kind="autopay_amount_change", subscriber_id=row["subscriber_id"], language=lang,
        body=body, now=now, details={"debit_date": on.isoformat(), "amount": str(projected)},
    )  # fmt: skip
    return True
