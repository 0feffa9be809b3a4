"""Read models: what a member owes and has paid, as the plain values of payments.domain.values."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

from sqlalchemy import Connection, bindparam, func, or_, select
from sqlalchemy.orm import Session

from payments.domain.ach import kind_of
from payments.domain.clock import EASTERN
from payments.domain.plans import summarize
from payments.domain.values import (
    AccountSummary,
    Channel,
    PaymentStatus,
    PaymentView,
    ReturnedDebit,
)
from payments.services.autopay_views import view_of
from payments.storage.enrolments import enrolments_of_member
from payments.storage.ledger import MONEY_MOVED, member_ledgers
from payments.storage.models import Member, Payment, Plan
from payments.storage.sqltypes import UTCDateTime
from payments.storage.tables import ACH_ENTRIES, MEMBERS, PAYMENTS, PHONES, PLANS, SMS_OPT_OUTS

RETURNS_TOLD_FOR = timedelta(days=30)  # a returned debit is told on calls this long after


def account_summary(conn: Connection, subscriber_id: str, today: date) -> AccountSummary | None:
    """The member's plans as of `today` with their AutoPay and lately returned debits, or None
    for an unknown Subscriber ID."""
    member = member_ledgers(conn, subscriber_id)
    if member is None:
        return None
    enrolments = enrolments_of_member(conn, subscriber_id) if member.plans else {}
    returned = returned_debits(conn, subscriber_id, today - RETURNS_TOLD_FOR)
    plans = tuple(
        replace(
            summarize(plan, today),
            autopay=view_of(conn, enrolments.get(plan.ref), plan, today),
            returned=tuple(returned.get(plan.ref, ())),
        )
        for plan in member.plans
    )
    return AccountSummary(
        subscriber_id,
        member.first_name,
        member.language,
        plans,
        last_name=member.last_name,
        sms_phones=tuple(conn.scalars(_SMS_PHONES, {"subscriber_id": subscriber_id})),
        paid_here=member.paid_here,
    )


_SMS_PHONES = (
    select(PHONES.c.e164)
    .join(MEMBERS, PHONES.c.member_id == MEMBERS.c.id)
    .outerjoin(SMS_OPT_OUTS, SMS_OPT_OUTS.c.e164 == PHONES.c.e164)
    .where(
        MEMBERS.c.subscriber_id == bindparam("subscriber_id"),
        or_(SMS_OPT_OUTS.c.opted_out.is_(None), SMS_OPT_OUTS.c.opted_out.is_(False)),
    )
    .order_by(PHONES.c.id)
)
_RETRY = PAYMENTS.alias("retry")
_RETRY_ENTRY = ACH_ENTRIES.alias("retry_entry")
_RETURNED = (
    select(
        PAYMENTS.c.plan_id,
        PAYMENTS.c.amount,
        PAYMENTS.c.created_at,
        ACH_ENTRIES.c.last4,
        ACH_ENTRIES.c.return_code,
        func.coalesce(ACH_ENTRIES.c.sent_effective_date, ACH_ENTRIES.c.effective_date).label(
            "debited_on"
        ),
        _RETRY_ENTRY.c.effective_date.label("retry_on"),
    )
    .join(ACH_ENTRIES, ACH_ENTRIES.c.payment_id == PAYMENTS.c.id)
    .join(PLANS, PAYMENTS.c.plan_id == PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .outerjoin(_RETRY, _RETRY.c.retry_of == PAYMENTS.c.id)
    .outerjoin(_RETRY_ENTRY, _RETRY_ENTRY.c.payment_id == _RETRY.c.id)
    .where(
        MEMBERS.c.subscriber_id == bindparam("subscriber_id"),
        PAYMENTS.c.status == PaymentStatus.RETURNED.value,
        ACH_ENTRIES.c.returned_at >= bindparam("since", type_=UTCDateTime()),
    )
    .order_by(PAYMENTS.c.created_at)
)


def returned_debits(
    conn: Connection, subscriber_id: str, since: date
) -> dict[int, list[ReturnedDebit]]:
    """Bank debits returned since `since`, by plan id, oldest first."""
    start = datetime.combine(since, time(), tzinfo=EASTERN)
    found: dict[int, list[ReturnedDebit]] = {}
    for row in conn.execute(_RETURNED, {"subscriber_id": subscriber_id, "since": start}):
        debit = ReturnedDebit(
            amount=row.amount,
            taken_on=row.debited_on,
            last4=row.last4,
            kind=kind_of(row.return_code or "").value,
            retry_on=row.retry_on,
        )
        found.setdefault(row.plan_id, []).append(debit)
    return found


def member_by_subscriber(session: Session, subscriber_id: str) -> Member | None:
    return session.scalar(select(Member).where(Member.subscriber_id == subscriber_id))


def member_payments(
    session: Session, member: Member, limit: int | None, statuses: tuple[str, ...] | None = None
) -> list[Payment]:
    """The member's payments, newest first."""
    query = (
        select(Payment)
        .join(Plan, Payment.plan_id == Plan.id)
        .where(Plan.member_id == member.id)
        .order_by(Payment.created_at.desc(), Payment.id.desc())
        .limit(limit)
    )
    if statuses is not None:
        query = query.where(Payment.status.in_(statuses))
    return list(session.scalars(query))


_RECENT = (
    select(
        PAYMENTS.c.confirmation,
        PLANS.c.plan_id,
        PLANS.c.kind,
        PAYMENTS.c.amount,
        PAYMENTS.c.status,
        PAYMENTS.c.method,
        PAYMENTS.c.last4,
        PAYMENTS.c.channel,
        PAYMENTS.c.created_at,
    )
    .join(PLANS, PAYMENTS.c.plan_id == PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(
        MEMBERS.c.subscriber_id == bindparam("subscriber_id"),
        or_(*(PAYMENTS.c.status == status for status in MONEY_MOVED)),
    )
    .order_by(PAYMENTS.c.created_at.desc(), PAYMENTS.c.id.desc())
    .limit(bindparam("limit"))
)


def recent_payments(conn: Connection, subscriber_id: str, limit: int) -> list[PaymentView]:
    """Newest first; declined and failed attempts are left out."""
    rows = conn.execute(_RECENT, {"subscriber_id": subscriber_id, "limit": limit})
    return [
        PaymentView(
            confirmation=row.confirmation,
            plan_id=row.plan_id,
            kind=row.kind,
            amount=row.amount,
            status=PaymentStatus(row.status),
            method=row.method,
            last4=row.last4,
            channel=Channel(row.channel),
            created_at=row.created_at,
        )
        for row in rows
    ]
