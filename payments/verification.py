"""Caller verification by date of birth, with a lockout against guessing and ID enumeration.

Failures count per subscriber across calls. Five failures within 24 hours lock self-service for
24 hours from the fifth. A success does not erase failures; while locked the date of birth is
not even checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from payments import audit
from payments.api import Verification, VerifyResult
from payments.models import VerificationFailure
from payments.repository import member_by_subscriber

SUBSCRIBER_ID_LENGTH = 12
MAX_FAILURES = 5
WINDOW = timedelta(hours=24)
LOCKOUT = timedelta(hours=24)


def locked_until(failures: Sequence[datetime], now: datetime) -> datetime | None:
    """End of the lockout in force at `now`, given failure times in ascending order."""
    end: datetime | None = None
    for index in range(MAX_FAILURES - 1, len(failures)):
        fifth = failures[index]
        if fifth - failures[index - MAX_FAILURES + 1] <= WINDOW and fifth + LOCKOUT > now:
            end = max(end or fifth, fifth + LOCKOUT)
    return end


def lockout_until(session: Session, subscriber_id: str, now: datetime) -> datetime | None:
    since = now - WINDOW - LOCKOUT
    failures = session.scalars(
        select(VerificationFailure.at)
        .where(VerificationFailure.subscriber_id == subscriber_id, VerificationFailure.at > since)
        .order_by(VerificationFailure.at)
    )
    return locked_until(list(failures), now)


def verify(session: Session, subscriber_id: str, dob: date, now: datetime) -> Verification:
    """Check the date of birth; records (and audits) a failure. Caller commits."""
    if len(subscriber_id) != SUBSCRIBER_ID_LENGTH or not subscriber_id.isdigit():
        raise ValueError("a Subscriber ID is 12 digits")
    locked = lockout_until(session, subscriber_id, now)
    if locked is not None:
        audit.record(session, now, audit.CALLER, "verify.refused_locked", subscriber_id)
        return Verification(VerifyResult.LOCKED, locked)
    member = member_by_subscriber(session, subscriber_id)
    if member is not None and member.date_of_birth == dob:
        audit.record(session, now, audit.CALLER, "verify.ok", subscriber_id)
        return Verification(VerifyResult.OK)
    session.add(VerificationFailure(subscriber_id=subscriber_id, at=now))
    session.flush()
    locked = lockout_until(session, subscriber_id, now)
    audit.record(
        session,
        now,
        audit.CALLER,
        "verify.failed",
        subscriber_id,
        known_subscriber=member is not None,
        locked_until=locked.isoformat() if locked else None,
    )
    if locked is not None:
        return Verification(VerifyResult.LOCKED, locked)
    return Verification(VerifyResult.MISMATCH)
