"""What a returned debit does beyond its own record: AutoPay stops when the account cannot be
used or the debit was not authorized; a debit returned for funds is presented again (at most
twice, within 30 days, never past the coverage it pays for); the member is sent a message."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from payments.domain import ach
from payments.domain.autopay import PauseReason
from payments.messages import outbox, texts
from payments.operations.debits import Debit, write_debits
from payments.services.reversal import Reversed
from payments.storage import audit
from payments.storage.enrolments import retry_key, update_enrolment
from payments.storage.tables import (
    ACH_ENTRIES,
    ALLOCATIONS,
    ENROLMENTS,
    INVOICES,
    MEMBERS,
    OUTBOX,
    PAYMENTS,
    PLANS,
)

_STOPS = {
    ach.ReturnKind.ACCOUNT: PauseReason.ACCOUNT,
    ach.ReturnKind.AUTHORIZATION: PauseReason.AUTHORIZATION,
}
_RETRIES = select(func.count()).where(PAYMENTS.c.retry_of == bindparam("original"))
_FIRST_SENT = (
    select(ACH_ENTRIES.c.sent_effective_date, PAYMENTS.c.idempotency_key)
    .join(PAYMENTS, ACH_ENTRIES.c.payment_id == PAYMENTS.c.id)
    .where(PAYMENTS.c.id == bindparam("original"))
)
_OLDEST_PERIOD = (
    select(func.min(INVOICES.c.period))
    .join(ALLOCATIONS, ALLOCATIONS.c.invoice_id == INVOICES.c.id)
    .where(ALLOCATIONS.c.payment_id == bindparam("payment_id"))
)
_ENROLMENT = select(ENROLMENTS.c.sms_to, ENROLMENTS.c.account_sealed, ENROLMENTS.c.language).where(
    ENROLMENTS.c.id == bindparam("enrolment_id")
)
_RECEIPT_TO = select(OUTBOX.c.to_number).where(
    OUTBOX.c.event_key == bindparam("key"), OUTBOX.c.channel == outbox.SMS
)
_LANGUAGE = (
    select(MEMBERS.c.language)
    .join(PLANS, PLANS.c.member_id == MEMBERS.c.id)
    .where(PLANS.c.id == bindparam("plan_pk"))
)


def after_return(
    conn: Connection,
    entry: dict[str, Any],
    reversed_: Reversed,
    code: str,
    today: date,
    now: datetime,
    phone: str,
) -> int:
    """Apply a return's consequences; how many retries were queued (0 or 1)."""
    kind = ach.kind_of(code)
    payment = reversed_.payment
    enrolment = _enrolment(conn, payment["enrolment_id"])
    if enrolment is not None and kind in _STOPS:
        update_enrolment(conn, payment["enrolment_id"], stopped=_STOPS[kind].value, updated_at=now)
    retry_on = _retry(conn, entry, reversed_, kind, enrolment, today, now)
    _tell(conn, entry, reversed_, kind, retry_on, enrolment, now, phone)
    audit.record(
        conn, now, audit.SYSTEM, "ach.returned", reversed_.subscriber_id,
        confirmation=payment["confirmation"], return_code=code, kind=kind.value,
        trace=entry["trace_number"], retry_on=retry_on.isoformat() if retry_on else None,
    )  # fmt: skip
    return 1 if retry_on else 0


def _enrolment(conn: Connection, enrolment_id: int | None) -> Any:
    if enrolment_id is None:
        return None
    return conn.execute(_ENROLMENT, {"enrolment_id": enrolment_id}).first()


def _retry(
    conn: Connection,
    entry: dict[str, Any],
    reversed_: Reversed,
    kind: ach.ReturnKind,
    enrolment: Any,
    today: date,
    now: datetime,
) -> date | None:
    """Present a debit returned for funds again, when the rules and the balance allow."""
    payment, plan = reversed_.payment, reversed_.plan
    original = payment["retry_of"] or payment["id"]
    retries = int(conn.scalar(_RETRIES, {"original": original}) or 0)
    first = conn.execute(_FIRST_SENT, {"original": original}).one()
    oldest = conn.scalar(_OLDEST_PERIOD, {"payment_id": payment["id"]})
    # Never before the debit it presents again was due (a return read ahead of its date).
    retry_on = ach.retry_date(max(today, entry["sent_effective_date"] or today))
    deadline = ach.coverage_deadline(oldest) if oldest else today
    sealed = entry["account_sealed"] or (enrolment.account_sealed if enrolment else None)
    amount = Decimal(payment["amount"])
    allowed = ach.may_retry(kind, retries, first.sent_effective_date, retry_on, deadline)
    if not (allowed and sealed and plan.balance() >= amount):
        return None
    debit = Debit(
        key=retry_key(first.idempotency_key, retries + 1),
        plan=plan,
        subscriber_id=reversed_.subscriber_id,
        name=entry["individual_name"],
        amount=amount,
        account_type="checking" if entry["transaction_code"] == ach.CHECKING_DEBIT else "savings",
        transaction_code=entry["transaction_code"],
        routing=entry["routing"],
        account_sealed=sealed,
        last4=entry["last4"],
        effective_date=retry_on,
        payment_type=entry["payment_type"],
        enrolment_id=payment["enrolment_id"],
        retry_of=original,
    )
    return retry_on if write_debits(conn, [debit], now, today) else None


def _tell(
    conn: Connection,
    entry: dict[str, Any],
    reversed_: Reversed,
    kind: ach.ReturnKind,
    retry_on: date | None,
    enrolment: Any,
    now: datetime,
    phone: str,
) -> None:
    """A message to the member: what came back and what happens next."""
    payment, plan = reversed_.payment, reversed_.plan
    lang = enrolment.language if enrolment else conn.scalar(_LANGUAGE, {"plan_pk": plan.ref})
    lang = texts.lang_of(lang or "en")
    if retry_on is not None:
        next_step = texts.sms("retry", lang, day=texts.day(retry_on, lang))
    elif enrolment is not None and kind is ach.ReturnKind.ACCOUNT:
        next_step = texts.sms("new_account", lang, phone=phone)
    elif enrolment is not None and kind is ach.ReturnKind.AUTHORIZATION:
        next_step = texts.sms("new_authorization", lang, phone=phone)
    else:
        next_step = texts.sms("pay_again", lang, phone=phone)
    body = texts.sms(
        "returned", lang, amount=texts.money(Decimal(payment["amount"]), lang),
        kind=texts.kind(plan.kind, lang), last4=entry["last4"],
        reason=texts.return_reason(kind.value, lang), next_step=next_step,
    )  # fmt: skip
    to = enrolment.sms_to if enrolment else _receipt_number(conn, payment)
    outbox.queue_sms_or_letter(
        conn, to, event_key=f"returned:{entry['id']}", kind="debit_returned",
        subscriber_id=reversed_.subscriber_id, language=lang, body=body, now=now,
        details={"confirmation": payment["confirmation"]},
    )  # fmt: skip


def _receipt_number(conn: Connection, payment: Any) -> str | None:
    """The number the member asked a receipt on during the call, if they did."""
    original = payment["retry_of"] or payment["id"]
    return conn.scalar(_RECEIPT_TO, {"key": f"receipt:{original}"})
