"""Reading and writing AutoPay enrolments and their authorizations (Core statements)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, RowMapping, bindparam, insert, select, update

from payments.domain.autopay import Enrolment, PauseReason
from payments.domain.clock import eastern_date
from payments.domain.confirmation import new_confirmation
from payments.storage.conflicts import insert_or_skip
from payments.storage.tables import (
    ENROLMENTS,
    MEMBERS,
    NOTICES,
    PAYMENTS,
    PLANS,
    RECURRING_AUTHORIZATIONS,
)

CYCLE_PREFIX = "autopay"


def cycle_key(enrolment_id: int, on: date) -> str:
    """The idempotency key of an enrolment's debit for the month of `on`: one per cycle, held
    by the payments' unique key whatever retries, crashes or concurrent runs do."""
    return f"{CYCLE_PREFIX}:{enrolment_id}:{on:%Y-%m}"


def retry_key(original_key: str, attempt: int) -> str:
    return f"{original_key}:retry{attempt}"


def cycle_month(key: str) -> str | None:
    """ "2026-12" from an AutoPay debit's key."""
    parts = key.split(":")
    return parts[2] if len(parts) >= 3 and parts[0] == CYCLE_PREFIX else None


def _current_authorization(column: Any) -> Any:
    return (
        select(column)
        .where(
            RECURRING_AUTHORIZATIONS.c.enrolment_id == ENROLMENTS.c.id,
            RECURRING_AUTHORIZATIONS.c.ended_at.is_(None),
        )
        .order_by(RECURRING_AUTHORIZATIONS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _last_debit(column: Any) -> Any:
    return (
        select(column)
        .where(PAYMENTS.c.enrolment_id == ENROLMENTS.c.id, PAYMENTS.c.retry_of.is_(None))
        .order_by(PAYMENTS.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )


_ENROLMENT_COLUMNS = (
    *ENROLMENTS.c,
    PLANS.c.plan_id.label("plan_code"),
    _current_authorization(RECURRING_AUTHORIZATIONS.c.id).label("authorization_id"),
    _current_authorization(RECURRING_AUTHORIZATIONS.c.accepted_at).label("authorized_at"),
    _current_authorization(RECURRING_AUTHORIZATIONS.c.written_copy_at).label("written_copy_at"),
    _last_debit(PAYMENTS.c.idempotency_key).label("last_key"),
    _last_debit(PAYMENTS.c.amount).label("last_amount"),
    _last_debit(PAYMENTS.c.created_at).label("last_at"),
)
_OF_MEMBER = (
    select(*_ENROLMENT_COLUMNS)
    .join(PLANS, ENROLMENTS.c.plan_id == PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(MEMBERS.c.subscriber_id == bindparam("subscriber_id"))
)
_OF_PLAN = select(*_ENROLMENT_COLUMNS).join(PLANS, ENROLMENTS.c.plan_id == PLANS.c.id)
_NOTICES = select(
    NOTICES.c.enrolment_id, NOTICES.c.debit_date, NOTICES.c.amount, NOTICES.c.noticed_on
).where(
    NOTICES.c.enrolment_id.in_(bindparam("ids", expanding=True)),
    NOTICES.c.debit_date >= bindparam("since"),
)


@dataclass(frozen=True)
class EnrolmentRow:
    """An enrolment as read, with its current authorization and its last cycle's debit."""

    values: RowMapping

    @property
    def id(self) -> int:
        return int(self.values["id"])

    @property
    def rules(self) -> Enrolment:
        stopped = self.values["stopped"]
        return Enrolment(
            day=self.values["day"],
            first_debit_on=self.values["first_debit_on"],
            cancelled=self.values["cancelled"],
            stopped=PauseReason(stopped) if stopped else None,
        )

    def told(self, notices: list[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
        """Amounts the member was told, with the day: the last debit, the amount announced with
        the authorization in force, and `notices` (each already checked to be timely)."""
        told: list[tuple[date, Decimal]] = []
        last = self.last_debit
        if last is not None:
            told.append((eastern_date(last[2]), last[1]))
        announced, authorized = self.values["announced_amount"], self.values["authorized_at"]
        if announced is not None and authorized is not None:
            told.append((eastern_date(authorized), announced))
        return told + notices

    @property
    def last_debit(self) -> tuple[str, Decimal, datetime] | None:
        key = self.values["last_key"]
        if key is None:
            return None
        return key, self.values["last_amount"], self.values["last_at"]

    def __getitem__(self, name: str) -> Any:
        return self.values[name]


def enrolments_of_member(conn: Connection, subscriber_id: str) -> dict[int, EnrolmentRow]:
    """The member's enrolments by plan id (the plan's database id)."""
    rows = conn.execute(_OF_MEMBER, {"subscriber_id": subscriber_id}).mappings()
    return {row["plan_id"]: EnrolmentRow(row) for row in rows}


def enrolment_of_plan(conn: Connection, plan_ref: int) -> EnrolmentRow | None:
    row = conn.execute(_OF_PLAN.where(ENROLMENTS.c.plan_id == plan_ref)).mappings().first()
    return None if row is None else EnrolmentRow(row)


def enrolments_of_plans(conn: Connection, plan_refs: list[int]) -> dict[int, EnrolmentRow]:
    """The enrolments of these plans (by plan id), in one query."""
    rows = conn.execute(_OF_PLAN.where(ENROLMENTS.c.plan_id.in_(plan_refs))).mappings()
    return {row["plan_id"]: EnrolmentRow(row) for row in rows}


def notices_since(
    conn: Connection, enrolment_ids: list[int], since: date
) -> dict[int, list[tuple[date, date, Decimal]]]:
    """Notices for debits on or after `since`: (debit date, told on, amount) by enrolment."""
    found: dict[int, list[tuple[date, date, Decimal]]] = {}
    if not enrolment_ids:
        return found
    for row in conn.execute(_NOTICES, {"ids": enrolment_ids, "since": since}):
        found.setdefault(row.enrolment_id, []).append((row.debit_date, row.noticed_on, row.amount))
    return found


REFERENCE_DRAWS = 10  # of 100 million references; one taken is drawn again


def insert_enrolment(conn: Connection, values: dict[str, Any]) -> tuple[int, str]:
    """Insert the enrolment `values` under a new reference (payments.domain.confirmation); its
    id and reference. Only a reference already taken is drawn again: another enrolment of the
    same plan still fails."""
    statement = insert_or_skip(conn, ENROLMENTS, on=["reference"]).returning(ENROLMENTS.c.id)
    for _ in range(REFERENCE_DRAWS):
        reference = new_confirmation()
        enrolment_id = conn.scalar(statement, {**values, "reference": reference})
        if enrolment_id is not None:
            return int(enrolment_id), reference
    raise RuntimeError(f"no free enrolment reference in {REFERENCE_DRAWS} draws")


def update_enrolment(conn: Connection, enrolment_id: int, **values: Any) -> None:
    conn.execute(update(ENROLMENTS).where(ENROLMENTS.c.id == enrolment_id).values(**values))


def insert_authorization(conn: Connection, values: dict[str, Any]) -> int:
    statement = insert(RECURRING_AUTHORIZATIONS).returning(RECURRING_AUTHORIZATIONS.c.id)
    return int(conn.scalar(statement, values))


def end_authorizations(
    conn: Connection, enrolment_id: int, now: datetime, why: str, retain_until: datetime
) -> None:
    """End the enrolment's authorization in force: kept until `retain_until` from now."""
    conn.execute(
        update(RECURRING_AUTHORIZATIONS)
        .where(
            RECURRING_AUTHORIZATIONS.c.enrolment_id == enrolment_id,
            RECURRING_AUTHORIZATIONS.c.ended_at.is_(None),
        )
        .values(ended_at=now, ended_why=why, retain_until=retain_until)
    )


def record_written_copy(conn: Connection, authorization_id: int, at: datetime, via: str) -> None:
    """The member was sent the written copy (the first one counts)."""
    conn.execute(
        update(RECURRING_AUTHORIZATIONS)
        .where(
            RECURRING_AUTHORIZATIONS.c.id == authorization_id,
            RECURRING_AUTHORIZATIONS.c.written_copy_at.is_(None),
        )
        .values(written_copy_at=at, written_copy_via=via)
    )


_FOR_RUN = (
    select(*_ENROLMENT_COLUMNS, MEMBERS.c.subscriber_id, MEMBERS.c.first_name, MEMBERS.c.last_name)
    .join(PLANS, ENROLMENTS.c.plan_id == PLANS.c.id)
    .join(MEMBERS, PLANS.c.member_id == MEMBERS.c.id)
    .where(ENROLMENTS.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(ENROLMENTS.c.id)
)
_LOCK_PLANS = (
    select(PLANS.c.id)
    .join(ENROLMENTS, ENROLMENTS.c.plan_id == PLANS.c.id)
    .where(ENROLMENTS.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(PLANS.c.id)
    .with_for_update(of=PLANS)
)
_RUNNABLE = (
    select(ENROLMENTS.c.id)
    .join(PLANS, ENROLMENTS.c.plan_id == PLANS.c.id)
    .where(
        ENROLMENTS.c.day.in_(bindparam("days", expanding=True)),
        ENROLMENTS.c.cancelled.is_(False),
        ENROLMENTS.c.stopped.is_(None),
        PLANS.c.status != "terminated",
    )
    .order_by(ENROLMENTS.c.id)
)


def runnable_on_days(conn: Connection, days: list[int]) -> list[int]:
    """Enrolments on one of `days` that may debit (not cancelled, stopped or terminated)."""
    if not days:
        return []
    return list(conn.scalars(_RUNNABLE, {"days": days}))


def lock_plans_of(conn: Connection, enrolment_ids: list[int]) -> list[int]:
    """Row-lock the plans of these enrolments, in id order (no deadlock with another run)."""
    return list(conn.scalars(_LOCK_PLANS, {"ids": enrolment_ids}))


def enrolments_for_run(conn: Connection, enrolment_ids: list[int]) -> list[EnrolmentRow]:
    """The enrolments with their member's Subscriber ID and name (an entry carries them)."""
    rows = conn.execute(_FOR_RUN, {"ids": enrolment_ids}).mappings()
    return [EnrolmentRow(row) for row in rows]
