"""INSERT ... ON CONFLICT DO NOTHING on both databases the line runs on (PostgreSQL, SQLite):
how "one row per event" and "one debit per cycle" are kept by unique constraints, not hopes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def insert_or_skip(conn: Connection, table: Table) -> Insert:
    """An INSERT into `table` that skips rows a unique constraint already holds."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement: Insert = dialect.insert(table).on_conflict_do_nothing()
    return statement


def insert_new(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], returning: Any
) -> list[Any]:
    """Insert `rows`, skipping those that conflict; `returning` of the rows inserted."""
    if not rows:
        return []
    statement = insert_or_skip(conn, table).returning(returning)
    return list(conn.scalars(statement, list(rows)))


def insert_new_rows(
    conn: Connection, table: Table, rows: Sequence[dict[str, Any]], *returning: Any
) -> list[Any]:
    """As `insert_new`, with several columns of each row inserted."""
    if not rows:
        return []
    statement = insert_or_skip(conn, table).returning(*returning)
    return list(conn.execute(statement, list(rows)))
