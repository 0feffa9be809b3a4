"""The account import, set-based: from the staging tables into the real ones, in a few
statements whatever the feed's size (payments.operations.import_staging).

In order, all in the import's transaction:
1. `problems`: what only the whole file shows (a subscriber or plan twice, a plan that belongs
   to another subscriber), each named by its place in the feed.
2. `classify`: each staged member and plan is `new`, `changed` or `same` against what is
   stored, after the binder rule (a plan this line activated with a binder payment is not sent
   back to `pending`). A member is changed when a field of theirs or their phones are; a plan
   when a field of it or one of its invoices is.
3. `merge`: `INSERT ... ON CONFLICT DO UPDATE ... WHERE ... IS DISTINCT FROM`, for the rows that
   are not `same` only: an unchanged feed writes nothing. Phones not in the feed are removed from
   a member in it; invoices and members missing from the feed are left alone; a plan's owner is
   never changed (1 refuses the feed instead).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    Table,
    and_,
    cast,
    delete,
    exists,
    func,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from payments.domain.values import PlanStatus
from payments.operations.import_staging import (
    SAME,
    STAGED_INVOICES,
    STAGED_MEMBERS,
    STAGED_PHONES,
    STAGED_PLANS,
)
from payments.storage.conflicts import conflict_insert
from payments.storage.ledger import CREDITED
from payments.storage.tables import INVOICES, MEMBERS, PAYMENTS, PHONES, PLANS

NEW, CHANGED = "new", "changed"
MEMBER_FIELDS = ("first_name", "last_name", "date_of_birth", "zip", "language")
PLAN_FIELDS = (
    "kind", "name", "carrier", "monthly_premium", "subsidized", "status", "coverage_start",
)  # fmt: skip
INVOICE_FIELDS = {"amount": "amount", "due_date": "due_date", "paid_external": "paid"}

SM, SPH, SP, SI = STAGED_MEMBERS, STAGED_PHONES, STAGED_PLANS, STAGED_INVOICES


@dataclass(frozen=True)
class Counts:
    created: int = 0
    changed: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class PremiumChange:
    subscriber_id: str
    plan_id: str
    old: Decimal
    new: Decimal


# 1. What only the whole file shows


def problems(conn: Connection) -> list[str]:
    """Repeated subscribers and plans, and plans of another subscriber, in feed order."""
    found: list[tuple[int, int, str]] = []
    for row in conn.execute(_repeated(SM.c.subscriber_id, SM.c.position, literal(-1))):
        found.append((row.position, -1, f"{row.place}: subscriber {row.key} appears twice"))
    for row in conn.execute(_repeated(SP.c.plan_id, SP.c.position, SP.c.plan_position)):
        where = f"{row.place} ({row.subscriber_id}).plans[{row.plan_position}]"
        found.append((row.position, row.plan_position, f"{where}: plan {row.key} appears twice"))
    owners = (
        select(
            SP.c.position,
            SP.c.plan_position,
            SP.c.plan_id,
            SM.c.place,
            SM.c.subscriber_id,
            MEMBERS.c.subscriber_id.label("owner"),
        )  # fmt: skip
        .join(SM, SM.c.position == SP.c.position)
        .join(PLANS, PLANS.c.plan_id == SP.c.plan_id)
        .join(MEMBERS, MEMBERS.c.id == PLANS.c.member_id)
        .where(MEMBERS.c.subscriber_id != SP.c.subscriber_id)
    )
    for row in conn.execute(owners):
        where = f"{row.place} ({row.subscriber_id}).plans[{row.plan_position}].plan_id"
        problem = f'{where}: "{row.plan_id}" belongs to subscriber {row.owner}'
        found.append((row.position, row.plan_position, problem))
    return [problem for *_, problem in sorted(found)]


def _repeated(key: Any, position: Any, plan_position: Any) -> Select[Any]:
    """The rows whose `key` an earlier row of the feed has already, with the place and the
    subscriber of the record they are in."""
    ranked = select(
        key.label("key"),
        position.label("position"),
        plan_position.label("plan_position"),
        func.row_number().over(partition_by=key, order_by=(position, plan_position)).label("n"),
    ).subquery()
    return (
        select(
            ranked.c.key, ranked.c.position, ranked.c.plan_position, SM.c.place, SM.c.subscriber_id
        )  # fmt: skip
        .join(SM, SM.c.position == ranked.c.position)
        .where(ranked.c.n > 1)
    )


# 2. Classify


def classify(conn: Connection) -> None:
    """Set each staged member's and plan's `state`, applying the binder rule first."""
    _keep_binder_activations(conn)
    stored = MEMBERS.c.subscriber_id == SM.c.subscriber_id
    conn.execute(update(SM).where(~exists().where(stored)).values(state=NEW))
    member_differs = or_(
        *(MEMBERS.c[name].is_distinct_from(SM.c[name]) for name in MEMBER_FIELDS),
        _json_differs(conn, MEMBERS.c.mailing_address, SM.c.mailing_address),
        _phones_differ(),
    )
    changed = exists().where(stored, member_differs)  # never a NEW row: it has none stored
    conn.execute(update(SM).where(changed).values(state=CHANGED))

    stored_plan = PLANS.c.plan_id == SP.c.plan_id
    conn.execute(update(SP).where(~exists().where(stored_plan)).values(state=NEW))
    plan_differs = or_(
        *(PLANS.c[name].is_distinct_from(SP.c[name]) for name in PLAN_FIELDS),
        _invoices_differ(),
    )
    changed = exists().where(stored_plan, plan_differs)
    conn.execute(update(SP).where(changed).values(state=CHANGED))


def _keep_binder_activations(conn: Connection) -> None:
    """A plan this line activated with a binder payment stays active, with its coverage
    start, when the feed still says `pending` (it was produced before the payment)."""
    activated = exists().where(
        PAYMENTS.c.plan_id == PLANS.c.id,
        PAYMENTS.c.activated_coverage_start.is_not(None),
        PAYMENTS.c.status.in_(CREDITED),
    )
    active = and_(PLANS.c.plan_id == SP.c.plan_id, PLANS.c.status == PlanStatus.ACTIVE.value)
    kept_start = select(PLANS.c.coverage_start).where(PLANS.c.plan_id == SP.c.plan_id)
    conn.execute(
        update(SP)
        .where(SP.c.status == PlanStatus.PENDING.value, exists().where(active, activated))
        .values(status=PlanStatus.ACTIVE.value, coverage_start=kept_start.scalar_subquery())
    )


def _phones_differ() -> ColumnElement[bool]:
    """For the member of the MEMBERS row being compared: a phone in the feed not on file, or
    one on file not in the feed. (Each inner EXISTS is correlated explicitly: SQLAlchemy only
    correlates to the nearest enclosing query by itself, and MEMBERS is two levels up.)"""
    on_file = PHONES.c.member_id == MEMBERS.c.id
    in_feed = SPH.c.subscriber_id == MEMBERS.c.subscriber_id
    not_on_file = ~exists().where(on_file, PHONES.c.e164 == SPH.c.e164).correlate(MEMBERS, SPH)
    not_in_feed = ~exists().where(in_feed, SPH.c.e164 == PHONES.c.e164).correlate(MEMBERS, PHONES)
    return or_(exists().where(in_feed, not_on_file), exists().where(on_file, not_in_feed))


def _invoices_differ() -> ColumnElement[bool]:
    """For the PLANS row being compared: an invoice in the feed that is new or different."""
    same = exists().where(
        INVOICES.c.plan_id == PLANS.c.id,
        INVOICES.c.period == SI.c.period,
        *(INVOICES.c[mine] == SI.c[theirs] for mine, theirs in INVOICE_FIELDS.items()),
    )
    same = same.correlate(PLANS, SI)  # PLANS is two levels up (see _phones_differ)
    return exists().where(SI.c.plan_id == PLANS.c.plan_id, ~same)


def _json_differs(conn: Connection, stored: Any, staged: Any) -> ColumnElement[bool]:
    """JSON compared as values on PostgreSQL (its `json` type has no equality), as the same
    serialization on SQLite (both sides are written by json.dumps)."""
    if conn.dialect.name == "postgresql":
        stored, staged = cast(stored, postgresql.JSONB), cast(staged, postgresql.JSONB)
    result: ColumnElement[bool] = stored.is_distinct_from(staged)
    return result


def counts(conn: Connection, table: Table) -> Counts:
    query = select(table.c.state, func.count()).group_by(table.c.state)
    rows: dict[str, int] = {state: number for state, number in conn.execute(query)}
    return Counts(rows.get(NEW, 0), rows.get(CHANGED, 0), rows.get(SAME, 0))


def premium_changes(conn: Connection) -> list[PremiumChange]:
    """Plans whose monthly premium the feed changes, in feed order (before the merge)."""
    query = (
        select(SP.c.subscriber_id, SP.c.plan_id, PLANS.c.monthly_premium, SP.c.monthly_premium)
        .join(PLANS, PLANS.c.plan_id == SP.c.plan_id)
        .where(PLANS.c.monthly_premium != SP.c.monthly_premium)
        .order_by(SP.c.position, SP.c.plan_position)
    )
    return [PremiumChange(*row) for row in conn.execute(query)]


# 3. Merge


def merge(conn: Connection) -> None:
    """Write every staged row that is not `same`; nothing else."""
    members = select(SM.c.subscriber_id, *_of(SM, MEMBER_FIELDS), SM.c.mailing_address)
    members = members.where(SM.c.state != SAME)
    fields = (*MEMBER_FIELDS, "mailing_address")
    _upsert(conn, MEMBERS, members, ["subscriber_id"], fields, json_fields={"mailing_address"})
    _sync_phones(conn)
    plans = (
        select(SP.c.plan_id, MEMBERS.c.id, *_of(SP, PLAN_FIELDS))
        .join(MEMBERS, MEMBERS.c.subscriber_id == SP.c.subscriber_id)
        .where(SP.c.state != SAME)
        .order_by(SP.c.position, SP.c.plan_position)
    )
    _upsert(conn, PLANS, plans, ["plan_id", "member_id"], PLAN_FIELDS, key=["plan_id"])
    invoices = (
        select(PLANS.c.id, SI.c.period, *_of(SI, INVOICE_FIELDS.values()))
        .join(SP, SP.c.plan_id == SI.c.plan_id)
        .join(PLANS, PLANS.c.plan_id == SI.c.plan_id)
        .where(SP.c.state != SAME)
    )
    _upsert(conn, INVOICES, invoices, ["plan_id", "period"], tuple(INVOICE_FIELDS))


def _of(table: Table, names: Any) -> list[Any]:
    return [table.c[name] for name in names]


def _upsert(
    conn: Connection,
    table: Table,
    rows: Select[Any],
    keys: list[str],
    fields: tuple[str, ...],
    key: list[str] | None = None,
    json_fields: frozenset[str] | set[str] = frozenset(),
) -> None:
    """INSERT `rows` (the columns `keys` then `fields`) into `table`; a row whose `key`
    (default `keys`) exists already is updated, and only when a field differs (`json_fields`
    compared as JSON)."""
    insert = conflict_insert(conn, table)
    differs = [
        _json_differs(conn, table.c[name], insert.excluded[name])
        if name in json_fields
        else table.c[name].is_distinct_from(insert.excluded[name])
        for name in fields
    ]
    statement = insert.from_select([*keys, *fields], rows).on_conflict_do_update(
        index_elements=key or keys,
        set_={name: insert.excluded[name] for name in fields},
        where=or_(*differs),
    )
    conn.execute(statement)


def _sync_phones(conn: Connection) -> None:
    """A member in the feed has exactly the feed's phones: those no longer listed go, new ones
    are added in the feed's order."""
    touched = select(MEMBERS.c.id).join(SM, SM.c.subscriber_id == MEMBERS.c.subscriber_id)
    touched = touched.where(SM.c.state == CHANGED)
    listed = exists().where(
        MEMBERS.c.id == PHONES.c.member_id,
        SPH.c.subscriber_id == MEMBERS.c.subscriber_id,
        SPH.c.e164 == PHONES.c.e164,
    )
    conn.execute(delete(PHONES).where(PHONES.c.member_id.in_(touched), ~listed))
    on_file = exists().where(PHONES.c.member_id == MEMBERS.c.id, PHONES.c.e164 == SPH.c.e164)
    new = (
        select(MEMBERS.c.id, SPH.c.e164)
        .join(MEMBERS, MEMBERS.c.subscriber_id == SPH.c.subscriber_id)
        .join(SM, SM.c.subscriber_id == SPH.c.subscriber_id)
        .where(SM.c.state != SAME, ~on_file)
        .order_by(SM.c.position, SPH.c.rank)
    )
    conn.execute(PHONES.insert().from_select(["member_id", "e164"], new))
