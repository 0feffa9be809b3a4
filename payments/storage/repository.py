"""Queries the services share, as Core statements built once. Callers own the transaction.

A call's steps read a few columns and never need ORM objects; the importer and the operator
views use the ORM (payments.operations).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from sqlalchemy import Connection, RowMapping, and_, bindparam, func, or_, select

from payments.domain.values import CallPayment, PaymentStatus
from payments.storage.sqltypes import UTCDateTime
from payments.storage.tables import MEMBERS, PAYMENTS, PHONES, PLANS


class KeyedPayment(NamedTuple):
    """The payment already holding an idempotency key, and what it was for."""

    id: int
    subscriber_id: str
    plan_id: str
    amount: Decimal


_SUBSCRIBERS_FOR_PHONE = (
    select(MEMBERS.c.subscriber_id, MEMBERS.c.language)
    .join(PHONES, PHONES.c.member_id == MEMBERS.c.id)
    .where(PHONES.c.e164 == bindparam("e164"))
    .order_by(MEMBERS.c.subscriber_id)
)
_MEMBER_EXISTS = select(MEMBERS.c.id).where(MEMBERS.c.subscriber_id == bindparam("subscriber_id"))
_PAYMENT_BY_KEY = (
    select(PAYMENTS.c.id, MEMBERS.c.subscriber_id, PLANS.c.plan_id, PAYMENTS.c.amount)
    .join(PLANS, PAYMENTS.c.plan_id == PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(PAYMENTS.c.idempotency_key == bindparam("key"))
)
_PLAN_OF_MEMBER = (
    select(PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(
        PLANS.c.plan_id == bindparam("plan_id"),
        MEMBERS.c.subscriber_id == bindparam("subscriber_id"),
    )
)
# The member's row is locked with the plan's: limits count per subscriber across plans.
_LOCK_MEMBERS_PLAN = (
    select(PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(
        PLANS.c.plan_id == bindparam("plan_id"),
        MEMBERS.c.subscriber_id == bindparam("subscriber_id"),
    )
    .with_for_update(of=[PLANS, MEMBERS])
)
# What recording a processor's answer reads of a payment, and tells the caller afterwards.
RECORDED = (
    PAYMENTS.c.id,
    PAYMENTS.c.plan_id,
    PAYMENTS.c.idempotency_key,
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
    PAYMENTS.c.enrolment_id,
    PAYMENTS.c.retry_of,
    PAYMENTS.c.created_at,
    PAYMENTS.c.updated_at,
)
_LOCK_PLAN_OF_PAYMENT = (
    select(MEMBERS.c.subscriber_id, *RECORDED)
    .join(PLANS, PLANS.c.member_id == MEMBERS.c.id)
    .join(PAYMENTS, PAYMENTS.c.plan_id == PLANS.c.id)
    .where(PAYMENTS.c.id == bindparam("payment_id"))
    .with_for_update(of=PLANS)
)
_PAYMENT = select(*RECORDED).where(PAYMENTS.c.id == bindparam("payment_id"))
_PAYMENT_WITH_KEY = select(*RECORDED).where(PAYMENTS.c.idempotency_key == bindparam("key"))
_CALL_PAYMENTS = (
    select(
        PAYMENTS.c.idempotency_key,
        PAYMENTS.c.confirmation,
        PLANS.c.kind,
        PAYMENTS.c.amount,
        PAYMENTS.c.status,
    )
    .join(PLANS, PAYMENTS.c.plan_id == PLANS.c.id)
    .where(PAYMENTS.c.call_sid == bindparam("call_sid"))
    .order_by(PAYMENTS.c.created_at, PAYMENTS.c.id)
)
_DECLINED_OR_WAITING = or_(
    PAYMENTS.c.status == PaymentStatus.PENDING.value,
    and_(
        PAYMENTS.c.status == PaymentStatus.DECLINED.value,
        PAYMENTS.c.created_at > bindparam("since", type_=UTCDateTime()),
    ),
)
_DECLINE_COUNTS = (
    select(
        func.count().label("for_subscriber"),
        func.count(PAYMENTS.c.id)
        .filter(PAYMENTS.c.call_sid == bindparam("call_sid"))
        .label("in_call"),
    )
    .select_from(PAYMENTS.join(PLANS, PAYMENTS.c.plan_id == PLANS.c.id))
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(MEMBERS.c.subscriber_id == bindparam("subscriber_id"), _DECLINED_OR_WAITING)
)


def subscribers_for_phone(conn: Connection, e164: str) -> list[tuple[str, str]]:
    """(Subscriber ID, language on file) of each member with this phone on file."""
    rows = conn.execute(_SUBSCRIBERS_FOR_PHONE, {"e164": e164})
    return [(row.subscriber_id, row.language) for row in rows]


def member_exists(conn: Connection, subscriber_id: str) -> bool:
    return conn.scalar(_MEMBER_EXISTS, {"subscriber_id": subscriber_id}) is not None


def payment_by_key(conn: Connection, key: str) -> KeyedPayment | None:
    row = conn.execute(_PAYMENT_BY_KEY, {"key": key}).first()
    if row is None:
        return None
    return KeyedPayment(row.id, row.subscriber_id, row.plan_id, row.amount)


def plan_ref_of(conn: Connection, subscriber_id: str, plan_id: str) -> int | None:
    """The id of the plan `plan_id`, if it belongs to `subscriber_id` (no lock)."""
    return conn.scalar(_PLAN_OF_MEMBER, {"plan_id": plan_id, "subscriber_id": subscriber_id})


def lock_members_plan(conn: Connection, subscriber_id: str, plan_id: str) -> int | None:
    """Row-lock the plan `plan_id` and its member, if it belongs to `subscriber_id`; its id."""
    params = {"plan_id": plan_id, "subscriber_id": subscriber_id}
    return conn.scalar(_LOCK_MEMBERS_PLAN, params)


def lock_plan_of_payment(conn: Connection, payment_id: int) -> tuple[str, RowMapping]:
    """Row-lock the plan a payment is for; its member's Subscriber ID, and the payment.

    The payment is read by the locking statement: after waiting for the lock its columns can
    be older than the lock. Writes to it must check what they expect (services.recording).
    """
    row = conn.execute(_LOCK_PLAN_OF_PAYMENT, {"payment_id": payment_id}).one()
    return row.subscriber_id, row._mapping


def payment_row(conn: Connection, payment_id: int) -> RowMapping:
    """What recording reads of a payment."""
    return conn.execute(_PAYMENT, {"payment_id": payment_id}).one()._mapping


def payment_with_key(conn: Connection, key: str) -> RowMapping | None:
    row = conn.execute(_PAYMENT_WITH_KEY, {"key": key}).first()
    return None if row is None else row._mapping


def payments_of_call(conn: Connection, call_sid: str) -> list[CallPayment]:
    """The payments confirmed in one call, oldest first."""
    return [
        CallPayment(
            idempotency_key=row.idempotency_key,
            confirmation=row.confirmation,
            plan_kind=row.kind,
            amount=row.amount,
            status=PaymentStatus(row.status),
        )
        for row in conn.execute(_CALL_PAYMENTS, {"call_sid": call_sid})
    ]


def decline_counts(
    conn: Connection, subscriber_id: str, call_sid: str | None, since: datetime
) -> tuple[int, int]:
    """Declined attempts since `since`, and attempts still waiting for the processor: in the
    call `call_sid` and for the subscriber."""
    params = {"subscriber_id": subscriber_id, "call_sid": call_sid or "", "since": since}
    row = conn.execute(_DECLINE_COUNTS, params).one()
    return row.in_call, row.for_subscriber
