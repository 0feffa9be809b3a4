"""Read models: what a member owes and has paid, as the plain values of payments.domain.values."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, bindparam, or_, select
from sqlalchemy.orm import Session

from payments.domain.plans import summarize
from payments.domain.values import AccountSummary, Channel, PaymentStatus, PaymentView
from payments.storage.ledger import member_ledgers
from payments.storage.models import Member, Payment, Plan
from payments.storage.tables import MEMBERS, PAYMENTS, PLANS

# Shown to members as "recent payments": attempts that took no money are left out.
MONEY_MOVED = tuple(
    s.value for s in PaymentStatus if s not in (PaymentStatus.DECLINED, PaymentStatus.FAILED)
)


def account_summary(conn: Connection, subscriber_id: str, today: date) -> AccountSummary | None:
    """The member's plans as of `today`, or None for an unknown Subscriber ID."""
    member = member_ledgers(conn, subscriber_id)
    if member is None:
        return None
    plans = tuple(summarize(plan, today) for plan in member.plans)
    return AccountSummary(
        subscriber_id, member.first_name, member.language, plans, last_name=member.last_name
    )


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
