"""Staging tables for the account import: the feed as rows, before anything real is written.

Temporary tables of the import's own connection and transaction (`import_members`, `_phones`,
`_plans`, `_invoices`), filled in batches as the feed is read: PostgreSQL's `COPY` (through
psycopg), batched inserts on SQLite. Their columns have the types of the tables they are merged
into, so a value compares equal to what is stored exactly when it is the same
(payments.operations.import_merge). A bank account number is never staged: the few portal
enrolments a feed carries stay in memory until they are sealed.

`state` is the merge's verdict on a row: `new`, `changed` or `same` (set before anything is
written, and read for the report and the AutoPay notices).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Connection,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    insert,
    text,
)

from payments.operations.import_validation import SubscriberRecord
from payments.storage.sqltypes import money_column_type

STAGING = MetaData()
SAME = "same"


INDEXES: dict[str, Sequence[str]] = {}  # made once a table is filled: loading is faster


def _staging(name: str, *columns: Column[Any], index: Sequence[str] = ()) -> Table:
    state = Column("state", String(8), nullable=False, server_default=SAME)
    INDEXES[name] = index
    return Table(name, STAGING, *columns, state, prefixes=["TEMPORARY"])


STAGED_MEMBERS = _staging(
    "import_members",
    Column("position", Integer, nullable=False),  # the subscriber's place in the feed
    Column("place", String(24), nullable=False),  # how problems name it: "subscribers[4]"
    Column("subscriber_id", String(12), nullable=False),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("date_of_birth", Date, nullable=False),
    Column("zip", String(10), nullable=False),
    Column("language", String(8), nullable=False),
    Column("mailing_address", JSON),
    index=("subscriber_id",),
)
STAGED_PHONES = _staging(
    "import_phones",
    Column("subscriber_id", String(12), nullable=False),
    Column("e164", String(16), nullable=False),
    Column("rank", Integer, nullable=False),  # its place in the subscriber's list
    index=("subscriber_id e164",),
)
STAGED_PLANS = _staging(
    "import_plans",
    Column("position", Integer, nullable=False),
    Column("plan_position", Integer, nullable=False),  # its place in the subscriber's plans
    Column("subscriber_id", String(12), nullable=False),
    Column("plan_id", String(40), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("name", String(200), nullable=False),
    Column("carrier", String(200), nullable=False),
    Column("monthly_premium", money_column_type(), nullable=False),
    Column("subsidized", Boolean, nullable=False),
    Column("status", String(12), nullable=False),
    Column("coverage_start", Date),
    index=("plan_id", "subscriber_id"),
)
STAGED_INVOICES = _staging(
    "import_invoices",
    Column("plan_id", String(40), nullable=False),
    Column("period", Date, nullable=False),
    Column("amount", money_column_type(), nullable=False),
    Column("due_date", Date, nullable=False),
    Column("paid", money_column_type(), nullable=False),
    index=("plan_id period",),
)
TABLES = (STAGED_MEMBERS, STAGED_PHONES, STAGED_PLANS, STAGED_INVOICES)


class Staging:
    """Rows for the staging tables, written a batch at a time on `conn`."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.postgres = conn.dialect.name == "postgresql"
        self.rows: dict[Table, list[tuple[Any, ...]]] = {table: [] for table in TABLES}
        schema = "pg_temp" if self.postgres else "temp"  # never a real table of that name
        for table in TABLES:
            conn.execute(text(f"DROP TABLE IF EXISTS {schema}.{table.name}"))
            table.create(conn)

    def add(self, position: int, place: str, record: SubscriberRecord) -> None:
        sid = record.subscriber_id
        address = record.mailing_address
        self.rows[STAGED_MEMBERS].append((
            position, place, sid, record.first_name, record.last_name, record.date_of_birth,
            record.zip, record.language, None if address is None else address.as_json(),
        ))  # fmt: skip
        phones = self.rows[STAGED_PHONES]
        phones.extend((sid, e164, rank) for rank, e164 in enumerate(record.phones))
        for plan_position, plan in enumerate(record.plans):
            self.rows[STAGED_PLANS].append((
                position, plan_position, sid, plan.plan_id, plan.kind, plan.name, plan.carrier,
                plan.monthly_premium, plan.subsidized, plan.status.value, plan.coverage_start,
            ))  # fmt: skip
            self.rows[STAGED_INVOICES].extend(
                (plan.plan_id, i.period, i.amount, i.due_date, i.paid) for i in plan.invoices
            )

    @property
    def pending(self) -> int:
        return len(self.rows[STAGED_MEMBERS])

    def flush(self) -> None:
        for table, rows in self.rows.items():
            if rows:
                (self._copy if self.postgres else self._insert)(table, rows)
                rows.clear()

    def ready(self) -> None:
        """Everything is staged: index the tables and give the planner their sizes."""
        self.flush()
        for table in TABLES:
            for number, names in enumerate(INDEXES[table.name]):
                columns = ", ".join(names.split())
                self.conn.execute(
                    text(f"CREATE INDEX {table.name}_{number} ON {table.name} ({columns})")
                )
            if self.postgres:  # autovacuum never analyzes a temporary table
                self.conn.execute(text(f"ANALYZE {table.name}"))

    def drop(self) -> None:
        for table in TABLES:
            table.drop(self.conn)

    def _insert(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        names = [column.name for column in _loaded(table)]
        self.conn.execute(insert(table), [dict(zip(names, row, strict=True)) for row in rows])

    def _copy(self, table: Table, rows: list[tuple[Any, ...]]) -> None:
        names = ", ".join(column.name for column in _loaded(table))
        json_at = [i for i, column in enumerate(_loaded(table)) if isinstance(column.type, JSON)]
        driver: Any = self.conn.connection.dbapi_connection  # psycopg's connection
        statement = f"COPY {table.name} ({names}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                if json_at:
                    row = tuple(_json(v) if i in json_at else v for i, v in enumerate(row))
                copy.write_row(row)


def _loaded(table: Table) -> list[Column[Any]]:
    """The columns the feed fills (every one but the merge's `state`)."""
    return [column for column in table.columns if column.name != "state"]


def _json(value: Any) -> str | None:
    return None if value is None else json.dumps(value)
