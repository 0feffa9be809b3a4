"""The audit trail. Details are plain JSON values and never carry card or account numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from payments.models import AuditEvent

CALLER = "caller"
SYSTEM = "system"


def record(
    session: Session, at: datetime, actor: str, action: str, subject: str, **details: Any
) -> AuditEvent:
    """Add an audit event to the session's transaction."""
    event = AuditEvent(at=at, actor=actor, action=action, subject=subject, details=details)
    session.add(event)
    return event
