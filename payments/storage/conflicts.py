"""INSERT ... ON CONFLICT DO NOTHING on both databases the line runs on (PostgreSQL, SQLite):
how "one row per event" and "one debit per cycle" are kept by unique constraints, not hopes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert


def conflict_insert(conn: Connection, table: Table) -> postgresql.Insert | sqlite.Insert:
    """The database's own INSERT into `table`, the one that takes ON CONFLICT clauses."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def insert_or_skip(conn: Connection, table: Table, on: Sequence[str] | None = None) -> Insert:
    """An INSERT into `table` that skips rows a unique constraint already holds (`on`: only
    that constraint's columns; another conflict still fails)."""
    statement: Insert = conflict_insert(conn, table).on_conflict_do_nothing(index_elements=on)
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
