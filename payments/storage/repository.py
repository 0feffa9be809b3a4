"""Queries the service layer shares. Functions take a Connection (Core statements) or a Session
(ORM); callers own the transaction.

The per-call queries are Core statements built once (payments.storage.tables): a call's steps read a
few columns and never need ORM objects. The ORM helpers serve the operator paths.
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Connection, RowMapping, bindparam, select
from sqlalchemy.orm import Session

from payments.storage.models import Member, Payment
from payments.storage.tables import MEMBERS, PAYMENTS, PHONES, PLANS


class KeyedPayment(NamedTuple):
    """The payment already holding an idempotency key, and what it was for."""

    id: int
    subscriber_id: str
    plan_id: str
    amount: Decimal


_SUBSCRIBERS_FOR_PHONE = (
    select(MEMBERS.c.subscriber_id)
    .join(PHONES, PHONES.c.member_id == MEMBERS.c.id)
    .where(PHONES.c.e164 == bindparam("e164"))
    .order_by(MEMBERS.c.subscriber_id)
)
_MEMBER_EXISTS = select(MEMBERS.c.id).where(MEMBERS.c.subscriber_id == bindparam("subscriber_id"))
_MEMBER_LANGUAGE = select(MEMBERS.c.language).where(
    MEMBERS.c.subscriber_id == bindparam("subscriber_id")
)
_PAYMENT_BY_KEY = (
    select(PAYMENTS.c.id, MEMBERS.c.subscriber_id, PLANS.c.plan_id, PAYMENTS.c.amount)
    .join(PLANS, PAYMENTS.c.plan_id == PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(PAYMENTS.c.idempotency_key == bindparam("key"))
)
_LOCK_MEMBERS_PLAN = (
    select(PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(
        PLANS.c.plan_id == bindparam("plan_id"),
        MEMBERS.c.subscriber_id == bindparam("subscriber_id"),
    )
    .with_for_update(of=PLANS)
)
# What recording a gateway answer reads of a payment, and tells the caller afterwards.
_RECORDED = (
    PAYMENTS.c.id,
    PAYMENTS.c.plan_id,
    PAYMENTS.c.confirmation,
    PAYMENTS.c.amount,
    PAYMENTS.c.status,
    PAYMENTS.c.decline_reason,
    PAYMENTS.c.gateway_ref,
    PAYMENTS.c.unresolved,
    PAYMENTS.c.activated_coverage_start,
    PAYMENTS.c.channel,
    PAYMENTS.c.call_sid,
    PAYMENTS.c.agent_id,
    PAYMENTS.c.created_at,
)
_LOCK_PLAN_OF_PAYMENT = (
    select(MEMBERS.c.subscriber_id, *_RECORDED)
    .join(PLANS, PLANS.c.member_id == MEMBERS.c.id)
    .join(PAYMENTS, PAYMENTS.c.plan_id == PLANS.c.id)
    .where(PAYMENTS.c.id == bindparam("payment_id"))
    .with_for_update(of=PLANS)
)
_PAYMENT = select(*_RECORDED).where(PAYMENTS.c.id == bindparam("payment_id"))
_LOCK_PAYMENT = _PAYMENT.with_for_update()


def subscribers_for_phone(conn: Connection, e164: str) -> list[str]:
    return list(conn.scalars(_SUBSCRIBERS_FOR_PHONE, {"e164": e164}))


def member_exists(conn: Connection, subscriber_id: str) -> bool:
    return conn.scalar(_MEMBER_EXISTS, {"subscriber_id": subscriber_id}) is not None


def member_language(conn: Connection, subscriber_id: str) -> str | None:
    """The member's language, or None for an unknown Subscriber ID."""
    return conn.scalar(_MEMBER_LANGUAGE, {"subscriber_id": subscriber_id})


def payment_by_key(conn: Connection, key: str) -> KeyedPayment | None:
    row = conn.execute(_PAYMENT_BY_KEY, {"key": key}).first()
    return None if row is None else KeyedPayment(*row)


def lock_members_plan(conn: Connection, subscriber_id: str, plan_id: str) -> int | None:
    """Row-lock the plan `plan_id` if it belongs to `subscriber_id`; its primary key."""
    params = {"plan_id": plan_id, "subscriber_id": subscriber_id}
    return conn.scalar(_LOCK_MEMBERS_PLAN, params)


def lock_plan_of_payment(conn: Connection, payment_id: int) -> tuple[str, RowMapping]:
    """Row-lock the plan a payment is for; its member's Subscriber ID, and the payment.

    The payment is read by the locking statement: after waiting for the lock its columns can
    be older than the lock. Writes to it must check what they expect (payments.services.recording).
    """
    row = conn.execute(_LOCK_PLAN_OF_PAYMENT, {"payment_id": payment_id}).one()
    return row.subscriber_id, row._mapping


def payment_row(conn: Connection, payment_id: int, lock: bool = False) -> RowMapping:
    """What recording reads of a payment; `lock` takes its row lock."""
    query = _LOCK_PAYMENT if lock else _PAYMENT
    return conn.execute(query, {"payment_id": payment_id}).one()._mapping


def member_by_subscriber(session: Session, subscriber_id: str) -> Member | None:
    return session.scalar(select(Member).where(Member.subscriber_id == subscriber_id))


def lock_payment(session: Session, payment_pk: int) -> Payment:
    query = select(Payment).where(Payment.id == payment_pk).with_for_update()
    return session.scalars(query.execution_options(populate_existing=True)).one()
