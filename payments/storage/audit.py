"""The audit trail. Details are plain JSON values and never carry card or account numbers.

Events are inserted with Core statements into the caller's transaction: they commit or roll back
with the change they describe, and building ORM objects for rows never read back is not needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert

from payments.storage.tables import AUDIT_EVENTS

CALLER = "caller"
SYSTEM = "system"

_INSERT = insert(AUDIT_EVENTS).inline()  # no RETURNING: the new ids are never needed

Event = dict[str, Any]


def event(at: datetime, actor: str, action: str, subject: str, **details: Any) -> Event:
    """An audit event to record (see `record_all`)."""
    return {"at": at, "actor": actor, "action": action, "subject": subject, "details": details}


def record(
    conn: Connection, at: datetime, actor: str, action: str, subject: str, **details: Any
) -> None:
    """Insert an audit event in the connection's transaction."""
    record_all(conn, [event(at, actor, action, subject, **details)])


def record_all(conn: Connection, events: Sequence[Event]) -> None:
    """Insert audit events in the connection's transaction, in order, in one statement."""
    if events:
        conn.execute(_INSERT, list(events))
