"""Stopping an enrolment's debits that have not reached the bank (AutoPay cancelled): their
entries are cancelled before any file carries them and their payments are `refunded` (nothing
was taken). Debits already in a file sent to the bank cannot be called back."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, bindparam, select, update

from payments.bank.originator import CANCELLED, EXPORTED, QUEUED
from payments.domain.money import from_minor_units
from payments.domain.values import PaymentStatus
from payments.services.reversal import reverse_credit
from payments.storage.tables import ACH_ENTRIES, PAYMENTS

_IN_FLIGHT = (
    select(
        ACH_ENTRIES.c.id,
        ACH_ENTRIES.c.payment_id,
        ACH_ENTRIES.c.status,
        ACH_ENTRIES.c.amount_cents,
        ACH_ENTRIES.c.effective_date,
        ACH_ENTRIES.c.sent_effective_date,
    )
    .join(PAYMENTS, ACH_ENTRIES.c.payment_id == PAYMENTS.c.id)
    .where(
        PAYMENTS.c.enrolment_id == bindparam("enrolment_id"),
        ACH_ENTRIES.c.status.in_((QUEUED, EXPORTED)),
    )
    .order_by(ACH_ENTRIES.c.id)
    .with_for_update(of=ACH_ENTRIES)
)
_CANCEL = (
    update(ACH_ENTRIES)
    .where(ACH_ENTRIES.c.id == bindparam("entry_id"), ACH_ENTRIES.c.status == QUEUED)
    .values(status=CANCELLED, account_sealed=None, updated_at=bindparam("now"))
)

Debit = tuple[date, Decimal]


def void_queued_debits(
    conn: Connection, enrolment_id: int, now: datetime, actor: str
) -> tuple[list[Debit], list[Debit]]:
    """Cancel the enrolment's debits still queued; (stopped, already on their way)."""
    stopped: list[Debit] = []
    on_the_way: list[Debit] = []
    for entry in conn.execute(_IN_FLIGHT, {"enrolment_id": enrolment_id}).all():
        amount = from_minor_units(entry.amount_cents)
        if entry.status == EXPORTED:
            on_the_way.append((entry.sent_effective_date or entry.effective_date, amount))
            continue
        if conn.execute(_CANCEL, {"entry_id": entry.id, "now": now}).rowcount:
            reverse_credit(conn, entry.payment_id, PaymentStatus.REFUNDED, now, actor, why="voided")
            stopped.append((entry.effective_date, amount))
    return stopped, on_the_way
